r"""Cross-validated estimators: choose ``alpha`` (and ``l1_ratio``) along a warm-started path.

:class:`SGDLinearRegressorCV` and :class:`SGDLogisticClassifierCV` take every
parameter of their base estimator except ``alpha`` -- read from the base class's
``__init__`` signature and ``_parameter_constraints``, so the two never drift -- plus
``alphas``, ``eps``, ``cv``, ``scoring``, ``n_jobs`` and ``refit``.

For each ``l1_ratio`` and each training fold, one base estimator walks the grid from
the largest ``alpha`` down, every fit warm-started (``warm_start=True``) from the
previous solution, and is scored on the held-out part. The (``l1_ratio``, ``alpha``)
with the best mean score wins and, with ``refit=True``, is refitted on all the data.
The (fold, ``l1_ratio``) paths are independent and run in parallel with joblib
(threads, as ``LassoCV``: the compiled epochs release the GIL). One path, and the work
its fits share, is ``_cv_path.py``.

The grid of ``alphas=n`` is built in the units of the objective (API.md)

.. math::  J(w, b) = \sum_i s_i \ell(y_i, x_i w + b) / \sum_i s_i + \alpha R(w),

with ``alpha_max`` the smallest ``alpha`` at which ``w = 0`` is optimal when the penalty
has an L1 part (``rho = l1_ratio > 0``): at ``w = 0`` the intercept is fitted alone and
``0`` is optimal iff ``max |G| <= alpha rho``, ``G = X^T diag(s) l'(y, b*) / sum s``
the data term's gradient there (the ``LassoCV`` / ``ElasticNetCV`` rule), and the grid
runs down to ``eps * alpha_max``. A pure L2 penalty (``rho = 0``) has no such
``alpha``, nor a scale-free one; its grid is ``LogisticRegressionCV(Cs=n)``'s,
``C = logspace(-4, 4, n)``, as ``alpha = 1 / (C n_train)`` (``n_train`` the mean
training-fold weight): ``Ridge(alpha=a)`` for ``a`` in ``logspace(4, -4, n)`` for the
regressor.
"""

import copy
import inspect
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state

from . import _callbacks, _threads
from ._classifier import SGDLogisticClassifier
from ._cv_path import _fold_average, _least_squares_path, _path, fold_least_squares
from ._penalties import L1_RATIOS
from ._regressor import SGDLinearRegressor
from ._validation import (
    Interval, StrOptions, available_if, check_fit_data, check_weights,
)

#: the parameters a ``...CV`` estimator adds to its base estimator's (minus ``alpha``)
_CV_CONSTRAINTS = {
    "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
    "eps": [Interval(Real, 0, 1, closed="neither")],
    "cv": ["cv_object"],
    "scoring": [StrOptions(set(get_scorer_names())), callable, None],
    "n_jobs": [Integral, None],
    "refit": ["boolean"],
}
_CV_DEFAULTS = {"eps": 1e-3, "cv": None, "scoring": None, "n_jobs": None, "refit": True}
#: defaults that differ from the base estimator's: a warm start only saves epochs when
#: the stopping rule can stop soon after starting near the optimum. Full batch with a
#: constant rate stops ``n_iter_no_change`` epochs after it stalls; the base's
#: ``"adaptive"`` schedule needs ~90 epochs (a fifth of the rate per stall, down to
#: 1e-6) wherever it starts, and mini-batches stall at a noise floor above the optimum.
#: And with full batch an epoch's objective has no sampling noise: an epoch that does
#: not improve by ``tol`` is a stall, not bad luck, so two in a row stop the fit (the
#: base's patience of 10 made every warm-started fit of the path at least 11 epochs,
#: most of them spent waiting after it had converged).
_PATH_DEFAULTS = {"batch_size": None, "learning_rate": "constant", "n_iter_no_change": 2}
#: the penalties whose strength can be chosen (``None`` has no ``alpha``)
_PENALTIES = StrOptions({"l2", "l1", "elasticnet"})


def _cv_constraints(base):
    """The base estimator's constraints without ``alpha``, plus the CV parameters."""
    table = {k: v for k, v in base._parameter_constraints.items() if k != "alpha"}
    return {**table, "penalty": [_PENALTIES], **_CV_CONSTRAINTS}


def _cv_init(base, defaults):
    """An assign-only ``__init__`` with the base's keyword parameters, ``alpha`` replaced
    by ``alphas`` and the CV parameters appended; ``defaults`` overrides some defaults.

    Its ``__signature__`` is what ``get_params``, ``clone`` and ``repr`` read.
    """
    kw = inspect.Parameter.KEYWORD_ONLY
    params = []
    for p in list(inspect.signature(base.__init__).parameters.values())[1:]:
        name = "alphas" if p.name == "alpha" else p.name
        params.append(p.replace(name=name, default=defaults.get(name, p.default)))
    params += [inspect.Parameter(k, kw, default=v) for k, v in _CV_DEFAULTS.items()]
    names = {p.name: p.default for p in params}

    def __init__(self, **kwargs):
        unknown = sorted(set(kwargs) - set(names))
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments "
                            f"{unknown}")
        for name, default in names.items():
            setattr(self, name, kwargs.get(name, default))

    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = inspect.Signature([self_param, *params])
    return __init__


def _never(est):
    """A path needs all the data at once: ``...CV`` estimators have no ``partial_fit``."""
    return False


# --------------------------------------------------------------------------- #
# The alpha grid
# --------------------------------------------------------------------------- #


def _null_gradient(X, residual, s):
    """``max |X^T diag(s) residual| / sum s``: the data gradient at ``w = 0``, entrywise."""
    G = X.T @ (residual * s[:, None])
    return float(np.max(np.abs(np.asarray(G)), initial=0.0)) / float(s.sum())


def alpha_grid(X, residual, s, *, l1_ratio, n_alphas, eps, n_train):
    """``n_alphas`` values, log-spaced and decreasing, for one ``l1_ratio`` (module doc).

    ``residual`` is the loss gradient in the prediction at the intercept-only fit;
    ``n_train`` the (mean) training-fold weight, the ``n`` of ``C = 1 / (alpha n)``.
    """
    if l1_ratio == 0:  # LogisticRegressionCV(Cs=n_alphas): C in logspace(-4, 4)
        return np.logspace(4, -4, n_alphas) / n_train
    top, tiny = _null_gradient(X, residual, s) / l1_ratio, np.finfo(np.float64).resolution
    if not top > tiny:  # a constant target: LassoCV's convention
        return np.full(n_alphas, tiny)
    return np.geomspace(top, top * eps, num=n_alphas)


def _intercept_only(loss, Y, s, fit_intercept):
    """Raw predictions of the best intercept-only model of a regression loss: the
    weighted root of ``sum_i s_i l'(b - y_i)`` per output, by regula falsi (Illinois)
    within ``[min y, max y]`` (monotone for a convex loss: one step for squared error,
    where it is the mean; a few for Huber's pieces)."""
    if not fit_intercept:
        return np.zeros_like(Y)
    slope = lambda b: s @ loss.gradient(np.broadcast_to(b, Y.shape), Y)
    lo, hi = Y.min(axis=0).astype(np.float64), Y.max(axis=0).astype(np.float64)
    f_lo, f_hi = slope(lo), slope(hi)  # <= 0 and >= 0
    root = lo.copy()
    for _ in range(200):
        with np.errstate(invalid="ignore", divide="ignore"):
            mid = np.where(f_hi > f_lo, hi - f_hi * (hi - lo) / (f_hi - f_lo), lo)
        mid = np.clip(np.where(np.isfinite(mid), mid, 0.5 * (lo + hi)), lo, hi)
        f_mid = slope(mid)
        done = (f_mid == 0) | (mid <= lo) | (mid >= hi)
        root = np.where(done, mid, root)
        if np.all(done | (hi - lo <= 4 * np.finfo(np.float64).eps * np.abs(mid))):
            return np.broadcast_to(np.where(done, root, mid), Y.shape)
        left = f_mid < 0  # the root is right of mid: mid is the new lo (Illinois halves
        f_hi = np.where(left & ~done, 0.5 * f_hi, f_hi)  # the kept end's value)
        f_lo = np.where(~left & ~done, 0.5 * f_lo, f_lo)
        lo, f_lo = np.where(left, mid, lo), np.where(left, f_mid, f_lo)
        hi, f_hi = np.where(left, hi, mid), np.where(left, f_hi, f_mid)
    return np.broadcast_to(0.5 * (lo + hi), Y.shape)


# --------------------------------------------------------------------------- #
# The estimators
# --------------------------------------------------------------------------- #


class _PathCV:
    """``fit`` of both ``...CV`` estimators; the subclass names ``_base`` (the estimator
    trained along the path) and ``_default_scoring``, and gives ``_null_residual``."""

    @available_if(_never)
    def partial_fit(self, X, y, *args, **kwargs):  # pragma: no cover - never available
        raise AttributeError("partial_fit")

    def _l1_ratios(self):
        """The ``l1_ratio`` values searched; one, the penalty's own, unless elastic net."""
        if self.penalty != "elasticnet":
            return np.array([L1_RATIOS[self.penalty]])
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=np.float64))
        if ratios.ndim != 1 or ratios.size == 0 or not np.all((ratios >= 0) & (ratios <= 1)):
            raise ValueError(f"The 'l1_ratio' parameter of {type(self).__name__} must be a "
                             f"float or a non-empty 1-D list of floats in [0, 1]; got "
                             f"{self.l1_ratio!r}.")
        return ratios

    def _alphas(self, X, Y, s, ratios, folds, info):
        """``(n_l1_ratio, n_alphas)`` decreasing grid: the given one, or built from data."""
        if isinstance(self.alphas, Integral):
            residual = self._null_residual(Y, s, info)
            n_train = np.mean([s[train].sum() for train, _ in folds])
            return np.array([alpha_grid(X, residual, s, l1_ratio=r, n_alphas=self.alphas,
                                        eps=self.eps, n_train=n_train) for r in ratios])
        alphas = np.asarray(self.alphas, dtype=np.float64)
        if alphas.ndim != 1 or alphas.size == 0 or not np.all(np.isfinite(alphas) & (alphas >= 0)):
            raise ValueError(f"The 'alphas' parameter of {type(self).__name__} must be an int "
                             f">= 1 or a non-empty 1-D array of finite values >= 0; got "
                             f"{self.alphas!r}.")
        return np.tile(np.sort(alphas)[::-1], (len(ratios), 1))

    def _base_params(self, ratio, random_state):
        """Parameters of the base estimator for one ``l1_ratio`` (``alpha`` set per fit)."""
        own = self.get_params(deep=False)
        names = inspect.signature(self._base.__init__).parameters
        params = {k: own[k] for k in names if k in own}
        return {**params, "l1_ratio": float(ratio), "random_state": random_state}

    def _scorer(self):
        return check_scoring(self._base(), scoring=self.scoring or self._default_scoring)

    def fit(self, X, y, sample_weight=None):
        """Choose ``alpha`` (and ``l1_ratio``) by cross-validation, then refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) (or (n_samples, n_targets), regressor)
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to every fit and to the scorer (on the held-out rows).

        Returns
        -------
        self : object

        Notes
        -----
        Callbacks (scikit-learn >= 1.9) see one ``fit`` task with a ``"path"`` sub-task
        per (``l1_ratio``, fold) and a ``"refit"`` one; each fit of a path is an
        ``"alpha"`` task of its path, and the base estimator's epochs hang under it (and
        under the refit) as under ``GridSearchCV``. The ``fitted_estimator`` of an
        ``"alpha"`` task is this estimator with that fold's model at that ``alpha``.
        """
        with _threads.one_blas_thread():  # the compiled passes own the cores (_threads)
            return self._fit_cv(X, y, sample_weight)

    def _fit_cv(self, X, y, sample_weight):
        """``fit``'s work: the grid, the paths, the choice and the refit."""
        self._validate_params()
        ratios = self._l1_ratios()
        X_in = X
        X, y, names = check_fit_data(X, y, multi_output=self._multi_output,
                                     y_numeric=not self._is_classifier)
        if X.shape[0] == 0:
            raise ValueError("Found array with 0 sample(s); fitting needs at least 1.")
        sw = None if sample_weight is None else check_weights(sample_weight, X)
        Y, info = self._encode(y, X.dtype, reset=True)
        s = check_weights(sw, X) * self._class_weights(y, info, False)
        folds = list(check_cv(self.cv, y, classifier=self._is_classifier).split(X, y))
        alphas = self._alphas(X, Y, s, ratios, folds, info)
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):  # one seed shared by every fit
            rs = int(check_random_state(rs).randint(np.iinfo(np.int32).max))
        scorer, keep = self._scorer(), not self.refit
        jobs = [(i, j) for i in range(len(ratios)) for j in range(len(folds))]
        with _callbacks.meta_fit_task(self, X, y, sw,
                                      max_subtasks=len(jobs) + bool(self.refit)) as root:
            self._fit_paths(X_in, X, y, sw, sample_weight, ratios, folds, alphas, rs, scorer,
                            keep, jobs, info, names, root)
        return self

    def _fit_paths(self, X_in, X, y, sw, sample_weight, ratios, folds, alphas, rs, scorer,
                   keep, jobs, info, names, root):
        """The paths, the choice and the refit of ``fit`` (under its callback task; its
        sub-tasks only where there are callbacks to call)."""
        root = root if getattr(self, "_skl_callbacks", None) else None
        paths = [None if root is None else root.subcontext(
            task_name="path", task_id=t, max_subtasks=alphas.shape[1])
            for t in range(len(jobs))]
        params = self._base_params(ratios[0], rs)  # what decides the least-squares route
        shared = [None] * len(folds)
        if all(_least_squares_path(params, X, y, len(train)) for train, _ in folds):
            shared = fold_least_squares(X, y, sw, folds, params["fit_intercept"])
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(_path)(self._base, self._base_params(ratios[i], rs), X, y, sw,
                           *folds[j], alphas[i], scorer, keep, ctx, self,
                           least_squares=shared[j])
            for (i, j), ctx in zip(jobs, paths))
        scores = np.empty((len(ratios), alphas.shape[1], len(folds)))
        for (i, j), (path_scores, _, _) in zip(jobs, results):
            scores[i, :, j] = path_scores
        i, k = np.unravel_index(np.argmax(scores.mean(axis=2)), scores.shape[:2])
        best = self._base_params(ratios[i], rs) | {"alpha": float(alphas[i, k])}
        if self.refit:
            model = self._refit_model(best)
            ctx = None if root is None else root.subcontext(task_name="refit",
                                                            task_id=len(jobs))
            with _callbacks.sub_fit(ctx, model, self, X, y, sw):
                model.fit(X_in, y, sample_weight=sample_weight)
            coef, intercept, n_iter = model.coef_, model.intercept_, model.n_iter_
        else:
            model = None
            coef, intercept, n_iter = _fold_average(
                [r for job, r in zip(jobs, results) if job[0] == i], k)
        self._assign_cv(alphas, ratios, scores, (i, k), coef, intercept, n_iter, model,
                        info, names, X.shape[1])

    def _refit_model(self, params):
        """The model refitted at the best values (from the previous one with warm_start)."""
        previous = getattr(self, "best_estimator_", None)
        if self.warm_start and previous is not None:
            return copy.deepcopy(previous).set_params(**{**params, "warm_start": True})
        return self._base(**params)

    def _assign_cv(self, alphas, ratios, scores, best, coef, intercept, n_iter, model,
                   info, names, n_features):
        """Set every fitted attribute in one block (the fit succeeded)."""
        i, k = best
        self.alpha_ = float(alphas[i, k])
        self.l1_ratio_ = float(ratios[i])
        self.alphas_ = alphas[0] if len(ratios) == 1 else alphas
        self.scores_ = scores
        self.best_score_ = float(scores[i, k].mean())
        self.coef_, self.intercept_, self.n_iter_ = coef, intercept, n_iter
        if self._is_classifier:
            self.classes_ = info
        if model is not None:
            self.best_estimator_ = model
        elif hasattr(self, "best_estimator_"):
            del self.best_estimator_
        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_


_SHARED_DOC = """
    Parameters
    ----------
    alphas : int or array-like of shape (n_alphas,), default={n_alphas}
        An int: that many values on a log grid from the data's ``alpha_max`` down (see
        ``eps``). An array: these values (sorted decreasing). Units: the ``alpha`` of
        :class:`{base}`; see ``docs/guide/model_selection.md`` for the mapping to
        scikit-learn's ``alpha`` / ``C``.
    l1_ratio : float or list of float, default=0.15
        With ``penalty="elasticnet"``, the mix(es) to search (as ``ElasticNetCV``); with
        ``"l1"`` / ``"l2"`` it is ignored, as by :class:`{base}`.
    eps : float, default=1e-3
        Length of an int ``alphas`` grid. With an L1 part the grid goes from
        ``alpha_max``, the smallest ``alpha`` giving all-zero coefficients, to
        ``eps * alpha_max`` (``LassoCV``). A pure L2 penalty has no such ``alpha``; its grid
        is ``alpha = 1 / (C n_train)`` for ``C`` in ``logspace(-4, 4, alphas)``
        (``LogisticRegressionCV(Cs=alphas)``; ``n_train`` the mean training-fold size, or
        weight), and ``eps`` is unused.
    cv : int, cross-validation generator or iterable, default=None
        As in ``LassoCV`` (``None``: 5-fold{stratified}).
    scoring : str, callable or None, default=None
        Score of each held-out fold (greater is better); ``None`` is ``{scoring}``.
    n_jobs : int or None, default=None
        Folds (times ``l1_ratio`` values) fitted in parallel (joblib threads).
    refit : bool, default=True
        Refit on all the data at the best values (``best_estimator_``); ``False``
        averages the folds' models at the best values instead (as
        ``LogisticRegressionCV``).
    **base_params
        Every other parameter of :class:`{base}` (all but ``alpha``), with its default,
        except ``batch_size=None``, ``learning_rate="constant"`` and
        ``n_iter_no_change=2``: a fit warm-started near its optimum then stops two
        epochs after it stalls (full batch has no sampling noise to wait out){override}.
        ``warm_start=True`` makes the refit start from the previous ``best_estimator_``;
        the path itself is always warm-started.

    Attributes
    ----------
    alpha_ : float
        The chosen ``alpha``.
    l1_ratio_ : float
        The chosen ``l1_ratio`` (the penalty's own, 1 or 0, unless elastic net).
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid, decreasing (2-D for several ``l1_ratio`` values, as ``ElasticNetCV``).
    scores_ : ndarray of shape (n_l1_ratio, n_alphas, n_folds)
        ``scores_[i, k, j]``: the score on fold ``j``'s held-out rows of the model fitted
        on its other rows at ``l1_ratio`` ``i`` and ``alphas_[..., k]``.
    best_score_ : float
        Mean score over the folds at the chosen values.
    coef_, intercept_ :
        Of the refitted model (or the fold average with ``refit=False``).
    n_iter_ : int
        Epochs of the refit (the most of any fold's model with ``refit=False``).
    best_estimator_ : {base}
        The refitted model (``refit=True`` only).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When ``X`` has column names."""


class SGDLinearRegressorCV(_PathCV, SGDLinearRegressor):
    _base = SGDLinearRegressor
    _default_scoring = "neg_mean_squared_error"
    _parameter_constraints = _cv_constraints(SGDLinearRegressor)
    __init__ = _cv_init(SGDLinearRegressor, {"alphas": 100, "penalty": "l2", **_PATH_DEFAULTS})

    def _null_residual(self, Y, s, info):
        """Loss gradient of the best intercept-only model, per sample and output."""
        loss = self._make_loss(Y.shape[1])
        return loss.gradient(_intercept_only(loss, Y, s, self.fit_intercept), Y)


class SGDLogisticClassifierCV(_PathCV, SGDLogisticClassifier):
    _base = SGDLogisticClassifier
    _default_scoring = "accuracy"
    _parameter_constraints = _cv_constraints(SGDLogisticClassifier)
    __init__ = _cv_init(SGDLogisticClassifier, {"alphas": 10, **_PATH_DEFAULTS})

    def _null_residual(self, Y, s, info):
        """``p - y`` of the intercept-only model, ``y`` the encoded targets (the 0 / 1
        label of two classes, else the class index, expanded here to ``p - onehot``):
        ``p`` the weighted class frequencies (``1 / n_classes`` without an intercept)."""
        labels, n_classes = Y[:, 0].astype(np.intp), len(info)
        if self.fit_intercept:
            p = np.bincount(labels, weights=s, minlength=n_classes) / s.sum()
        else:
            p = np.full(n_classes, 1.0 / n_classes)
        if n_classes == 2:
            return p[1] - Y
        residual = np.tile(p, (len(labels), 1))
        residual[np.arange(len(labels)), labels] -= 1.0
        return residual


SGDLinearRegressorCV.__doc__ = r"""Linear regression trained by gradient descent, with ``alpha``
    (and ``l1_ratio``) chosen by cross-validation along a warm-started path.

    The gradient-descent counterpart of ``RidgeCV`` (``penalty="l2"``, the default
    here), ``LassoCV`` (``"l1"``) and ``ElasticNetCV`` (``"elasticnet"``): the
    objective is :class:`SGDLinearRegressor`'s, so a fit at ``alpha`` is ``Lasso(alpha)``,
    ``ElasticNet(alpha, l1_ratio)`` or ``Ridge(alpha * n_train)``.
""" + _SHARED_DOC.format(
    n_alphas=100, base="SGDLinearRegressor", stratified="", scoring='"neg_mean_squared_error"',
    override='; and ``penalty="l2"`` (``None`` has no ``alpha`` to choose)') + r"""

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd import SGDLinearRegressorCV
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 5)
    >>> y = X @ [3.0, -2.0, 0.0, 0.0, 1.0] + 0.5 * rng.randn(200)
    >>> reg = SGDLinearRegressorCV(penalty="l1", alphas=20, batch_size=None,
    ...                            random_state=0).fit(X, y)
    >>> reg.scores_.shape, bool(reg.alpha_ < reg.alphas_[0])
    ((1, 20, 5), True)
    """

SGDLogisticClassifierCV.__doc__ = r"""Logistic regression trained by gradient descent, with
    ``alpha`` (and ``l1_ratio``) chosen by cross-validation along a warm-started path.

    The gradient-descent counterpart of ``LogisticRegressionCV``: a fit at ``alpha`` is
    ``LogisticRegression(C=1 / (alpha * n_train))`` (binary sigmoid or multinomial).
""" + _SHARED_DOC.format(
    n_alphas=10, base="SGDLogisticClassifier", stratified=", stratified", scoring='"accuracy"',
    override="") + r"""
    classes_ : ndarray of shape (n_classes,)

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from skopt_gd import SGDLogisticClassifierCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = SGDLogisticClassifierCV(alphas=5, cv=3, random_state=0).fit(X, y)
    >>> clf.scores_.shape, clf.coef_.shape
    ((1, 5, 3), (1, 30))
    """
