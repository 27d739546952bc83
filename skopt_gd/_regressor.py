"""SGDLinearRegressor: squared error, Huber and epsilon-insensitive losses, multi-output."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from ._base import BaseSGD, _without_early_stopping
from ._losses import REGRESSION_LOSSES
from ._validation import available_if, Interval, StrOptions


class SGDLinearRegressor(RegressorMixin, BaseSGD):
    r"""Linear regression trained by (stochastic) gradient descent.

    Minimises :math:`J(w, b) = \sum_i s_i \ell(y_i, x_i \cdot w + b) / \sum_i s_i
    + \alpha R(w)` with any optimizer, learning-rate schedule and penalty of the
    package, by full-batch, mini-batch or per-sample updates.

    Parameters
    ----------
    loss : {"squared_error", "huber", "epsilon_insensitive"}, default="squared_error"
        :math:`\ell`: :math:`\tfrac12 (y - \hat y)^2`; Huber (quadratic within
        ``epsilon``, linear beyond); or :math:`\max(0, |y - \hat y| - \epsilon)`.
    epsilon : float, default=0.1
        Threshold of the Huber and epsilon-insensitive losses.
    optimizer : str or Optimizer, default="sgd"
        Update rule: an alias of :data:`skopt_gd.optimizers.OPTIMIZERS` or an
        optimizer object (whose hyperparameters are searchable as
        ``optimizer__beta1`` and so on).
    learning_rate : str or Schedule, default="auto"
        Schedule: an alias of :data:`skopt_gd.schedules.SCHEDULES`, a schedule
        object, or ``"auto"``: at full batch (the optimizer's ``full_batch_schedule``)
        ``"constant"`` for plain and Nesterov SGD and the schedule-free optimizers
        (they converge at a fixed rate) and ``"adaptive"`` for Rprop; for the others
        (heavy-ball momentum, the Adam family, RMSprop, Adagrad, Adadelta, Prodigy,
        Lion) ``"cosine"`` over ``max_iter`` epochs from their ``horizon_rate``, run
        to its end (``tol`` does not stop it, ``early_stopping`` does). With
        mini-batches and in ``partial_fit``: ``"adaptive"``.
    eta0 : float or "auto", default="auto"
        Base learning rate; ``"auto"`` is the optimizer's own rate in the
        preconditioned geometry (``1 / L`` from the data for plain and momentum
        SGD), see ``docs/guide/preconditioning.md``.
    power_t : float, default=0.25
        Exponent of the ``"invscaling"`` schedule.
    penalty : {None, "l2", "l1", "elasticnet"}, default=None
        Regularizer :math:`R`, never applied to the intercept; the L1 part is
        applied by a proximal (soft-threshold) step.
    alpha : float, default=1e-4
        Penalty strength.
    l1_ratio : float, default=0.15
        Elastic-net mix: :math:`R = \rho \|w\|_1 + (1-\rho) \|w\|^2 / 2`.
    batch_size : int, None or "auto", default="auto"
        Samples per update; ``None`` is full batch, 1 is per-sample SGD. ``"auto"``:
        full batch in ``fit`` on dense data (each pass one well-conditioned step in
        the preconditioned geometry), 128 for sparse data and in ``partial_fit``.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-5
        Stop when the epoch objective has not improved by ``tol`` times the
        objective at the start (or the validation score, with ``early_stopping``,
        by ``tol``) for ``n_iter_no_change`` epochs. ``None`` runs all ``max_iter``
        epochs.
    n_iter_no_change : int, default=10
        Patience, in epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop on the validation
        R², and keep the coefficients of the best epoch.
    validation_fraction : float, default=0.1
        Share of the data held out with ``early_stopping``.
    shuffle : bool, default=True
        Reshuffle the samples every epoch.
    average : bool or int, default=False
        Polyak averaging of the iterates; an int starts after that many samples.
    fit_intercept : bool, default=True
        Fit an (unpenalised) intercept.
    warm_start : bool, default=False
        Start ``fit`` from the previous coefficients.
    random_state : int, RandomState or None, default=None
        Seeds shuffling and the validation split.
    verbose : int, default=0
        Print a line per epoch (objective, learning rate, updates, time).
    preconditioning : {"auto", None}, default="auto"
        ``"auto"``: the optimizer works in a well-conditioned parametrization learned
        from the training data of the first call (feature scales, implicit centring of
        dense columns, whitening of up to 256 dense features, the regression target's
        location and scale); the objective, its minimizer, the penalty and every
        fitted attribute stay in the original units. ``None``: the optimizer works on
        the coefficients and intercept themselves.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
        Epochs run.
    t_ : int
        Updates made.
    loss_curve_ : list of float
        Training objective of each epoch: the weight-averaged objective (loss
        plus penalty) of each batch at the parameters its update started from;
        for full batch, exactly :math:`J` before the epoch's update.
    best_loss_ : float
    validation_scores_ : list of float or None
    best_validation_score_ : float or None
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd import SGDLinearRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 3)
    >>> y = X @ [1.0, -2.0, 0.5] + 3.0
    >>> reg = SGDLinearRegressor(random_state=0).fit(X * [1e4, 1e-3, 1.0], y)
    >>> reg.coef_ *= [1e4, 1e-3, 1.0]  # back to the units of X: the same fit
    >>> np.round(reg.coef_, 1), round(float(reg.intercept_), 1)
    (array([ 1. , -2. ,  0.5]), 3.0)
    """

    _is_classifier = False
    _multi_output = True
    _parameter_constraints = {
        **BaseSGD._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
        "epsilon": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, *, loss="squared_error", epsilon=0.1, optimizer="sgd",
                 learning_rate="auto", eta0="auto", power_t=0.25, penalty=None,
                 alpha=1e-4, l1_ratio=0.15, batch_size="auto", max_iter=1000, tol=1e-5,
                 n_iter_no_change=10, early_stopping=False, validation_fraction=0.1,
                 shuffle=True, average=False, fit_intercept=True, warm_start=False,
                 random_state=None, verbose=0, preconditioning="auto"):
        self.loss = loss
        self.epsilon = epsilon
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.average = average
        self.fit_intercept = fit_intercept
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.preconditioning = preconditioning

    def _make_loss(self, n_outputs, target_scale=1.0):
        """The loss; ``target_scale`` divides the threshold (targets in other units)."""
        return REGRESSION_LOSSES[self.loss](self.epsilon * target_scale)

    def _encode(self, y, dtype, *, reset, classes=None):
        y = np.asarray(y, dtype=dtype)
        if not np.all(np.isfinite(y)):
            raise ValueError("Input y contains NaN or infinity.")
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not reset and Y.shape[1] != self._state.theta.shape[1]:
            raise ValueError(f"y has {Y.shape[1]} targets but the model was fitted with "
                             f"{self._state.theta.shape[1]}.")
        return Y, y.ndim

    def _n_outputs(self, y, info):
        """Columns of the parameters: one per target."""
        return 1 if y.ndim == 1 else y.shape[1]

    def _class_weights(self, y, info, partial):
        return 1.0

    def _validation_scorer(self, X, Y, y, sw):
        def score(theta):
            raw = X @ theta[: X.shape[1]] + (theta[-1] if self.fit_intercept else 0.0)
            return r2_score(Y, np.asarray(raw), sample_weight=sw)
        return score

    def _expose(self, theta, n_features, ndim):
        coef, intercept = self._coef_intercept(theta, n_features)
        if ndim == 1:
            return {"coef_": coef[0], "intercept_": intercept[0]}
        return {"coef_": coef, "intercept_": intercept}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @available_if(_without_early_stopping)
    def partial_fit(self, X, y, sample_weight=None):
        """One pass over ``(X, y)``, continuing parameters, optimizer state and ``t_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, partial=True)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        out = self._decision(X)
        return out[:, 0] if np.ndim(self.coef_) == 1 else out
