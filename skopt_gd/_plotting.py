"""LossCurveDisplay: training-loss curves, following scikit-learn's Display convention.

matplotlib is an optional dependency (``pip install skopt_gd[plot]``), imported
only when something is drawn, so ``import skopt_gd`` never needs it.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

_META_ATTRIBUTES = ("best_estimator_", "regressor_", "estimator_")


def _import_matplotlib():
    """Return ``matplotlib.pyplot``'s parent module, or a clear ImportError."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("plotting needs matplotlib: pip install skopt_gd[plot] "
                          "(or pip install matplotlib)") from exc
    return matplotlib


def _unwrap(estimator):
    """The fitted model holding ``loss_curve_`` inside a pipeline / search / wrapper."""
    check_is_fitted(estimator)
    found = estimator
    for _ in range(20):
        if hasattr(found, "loss_curve_"):
            return found
        inner = next((getattr(found, a) for a in _META_ATTRIBUTES if hasattr(found, a)), None)
        if inner is None and hasattr(found, "steps"):
            inner = found.steps[-1][1]
        if inner is None:
            break
        found = inner
    raise ValueError(f"{type(estimator).__name__} has no loss_curve_: pass a fitted skopt_gd "
                     "estimator, or a pipeline or search ending in one")


def _default_name(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return type(model).__name__
    return optimizer if isinstance(optimizer, str) else repr(optimizer)


class LossCurveDisplay:
    """Training objective per epoch (log scale) of one or several fitted models.

    Draws each model's ``loss_curve_`` against the epoch on one axes, and its
    ``validation_scores_`` (when the model was fitted with
    ``early_stopping=True``) as a dashed line of the same colour on a twin
    axis. Build it with :meth:`from_estimator` or :meth:`from_estimators`;
    needs matplotlib (``pip install skopt_gd[plot]``).

    Parameters
    ----------
    loss_curves : list of array-like
        Training objective after each epoch, one sequence per model.
    names : list of str, default=None
        Legend label of each curve; ``None`` draws no legend.
    validation_scores : list of (array-like or None), default=None
        Validation score after each epoch, one entry per model (``None`` for
        a model without one).

    Attributes
    ----------
    ax_ : matplotlib.axes.Axes
        Axes with the training objectives.
    figure_ : matplotlib.figure.Figure
        Figure holding ``ax_``.
    lines_ : list of matplotlib.lines.Line2D
        One training curve per model.
    ax_validation_ : matplotlib.axes.Axes or None
        Twin axes with the validation scores, ``None`` when no model has any.
    validation_lines_ : list of matplotlib.lines.Line2D
        The validation curves drawn on ``ax_validation_``.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : score against training size.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import scale
    >>> from skopt_gd import LossCurveDisplay, SGDLinearRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X, y = scale(X), scale(y)
    >>> models = [SGDLinearRegressor(optimizer=name, random_state=0).fit(X, y)
    ...           for name in ("sgd", "adam")]
    >>> display = LossCurveDisplay.from_estimators(models, ax=Figure().subplots())
    >>> [line.get_label() for line in display.lines_], display.ax_.get_yscale()
    (['sgd', 'adam'], 'log')
    """

    def __init__(self, *, loss_curves, names=None, validation_scores=None):
        self.loss_curves = loss_curves
        self.names = names
        self.validation_scores = validation_scores

    def plot(self, ax=None, *, log_scale=True):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; ``None`` makes a new figure with pyplot, laid
            out with matplotlib's constrained layout so the axis labels fit
            (a given ``ax``'s figure keeps its own layout).
        log_scale : bool, default=True
            Logarithmic objective axis.

        Returns
        -------
        self : LossCurveDisplay
            With ``ax_``, ``figure_``, ``lines_``, ``ax_validation_`` and
            ``validation_lines_`` set.
        """
        _import_matplotlib()
        if ax is None:
            import matplotlib.pyplot as plt

            # Constrained layout, not the fixed default margins: the log axis's
            # minor tick labels (e.g. 3x10^-1) are wide enough to push the y label
            # off the left edge (issue 13). It is applied at draw time, so it also
            # makes room for a title, legend or twin axis added afterwards.
            _, ax = plt.subplots(layout="constrained")
        names = self.names if self.names is not None else [None] * len(self.loss_curves)
        if len(names) != len(self.loss_curves):
            raise ValueError(f"got {len(names)} names for {len(self.loss_curves)} loss curves")
        self.lines_ = [ax.plot(np.arange(1, len(curve) + 1), curve, label=name)[0]
                       for curve, name in zip(self.loss_curves, names)]
        ax.set_xlabel("epoch")
        ax.set_ylabel("training objective")
        if log_scale:
            ax.set_yscale("log")
        self._plot_validation(ax)
        if self.names is not None:
            ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _plot_validation(self, ax):
        scores = self.validation_scores or [None] * len(self.loss_curves)
        self.ax_validation_, self.validation_lines_ = None, []
        if all(s is None for s in scores):
            return
        twin = ax.twinx()
        twin.set_ylabel("validation score (dashed)")
        for line, score in zip(self.lines_, scores):
            if score is not None:
                self.validation_lines_.append(twin.plot(
                    np.arange(1, len(score) + 1), score, linestyle="--",
                    color=line.get_color())[0])
        self.ax_validation_ = twin

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Plot the loss curve of one fitted estimator.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~skopt_gd.SGDLinearRegressor` or
            :class:`~skopt_gd.SGDLogisticClassifier` (any model with
            ``loss_curve_``), or a fitted Pipeline, ``GridSearchCV`` or
            ``TransformedTargetRegressor`` ending in one.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        name : str, default=None
            Legend label; defaults to the optimizer's name.

        Returns
        -------
        display : LossCurveDisplay
        """
        return cls.from_estimators([estimator], names=None if name is None else [name], ax=ax)

    @classmethod
    def from_estimators(cls, estimators, *, names=None, ax=None):
        """Plot the loss curves of several fitted estimators on one axes.

        Parameters
        ----------
        estimators : list of estimators
            Fitted models as accepted by :meth:`from_estimator`.
        names : list of str, default=None
            Legend labels; default to each model's optimizer name.
        ax : matplotlib.axes.Axes, default=None
            Axes to draw on; ``None`` makes a new figure.

        Returns
        -------
        display : LossCurveDisplay
        """
        _import_matplotlib()
        models = [_unwrap(est) for est in estimators]
        if names is None:
            names = [_default_name(model) for model in models]
        validation = [getattr(model, "validation_scores_", None) for model in models]
        display = cls(loss_curves=[list(m.loss_curve_) for m in models], names=list(names),
                      validation_scores=validation)
        return display.plot(ax=ax)
