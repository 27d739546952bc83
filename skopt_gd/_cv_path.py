r"""One fold's path of a ``...CV`` estimator (``_cv.py``): the base estimator fitted along
the alpha grid, each fit warm-started from the previous one, and scored on the held-out
rows; what the fits of a path share (:class:`_FoldPath`), and the least-squares rows a
squared-error path trains on (:func:`_least_squares_rows`). Issue 13's speed target:
the per-alpha work that does not depend on alpha is done once per fold.
"""

from functools import lru_cache
from types import SimpleNamespace

import numpy as np
from sklearn import config_context

from . import _callbacks, _precondition
from ._penalties import make_penalty




class _FoldPath:
    """Mixin of the estimator that walks one fold's path: its fits share the work that
    does not depend on ``alpha`` instead of redoing it per alpha (issue 13).

    * the data are validated and encoded once (``_prepare``: a pass over X);
    * the preconditioner's statistics of X (means, variances, the covariance of a full
      whitening: passes over X) are computed once; the map itself once per L2
      strength (it scales by ``kappa Var(x_j) + l2``), so once for all alphas of an
      L1 penalty;
    * ``eta0="auto"`` is resolved once per preconditioner and L2 strength, from the
      rows' Gram matrix about the column means, computed once (``_row_moments``);
    * the reference objective (``tol``'s unit and the divergence limit) is the zero
      model's: along a decreasing path a warm start is never worse than it --
      ``J_a(w) <= J_a'(w) <= J_a'(0) = J_a(0)`` for ``a < a'`` and ``w`` the previous
      fit -- so the base's extra pass over X to evaluate the starting point is skipped.

    Every fit is otherwise the base estimator's own ``fit``: the same loop, update
    rules and stopping rule.
    """

    _fold_cache = None

    def _shared(self, name, key, compute):
        """``compute()``, or the value it gave for the previous call of ``name`` if that had
        the same ``key`` (a tuple; its objects compared by identity, its scalars by value;
        the cache holds them, so an identity is never that of a freed object)."""
        if self._fold_cache is None:
            self._fold_cache = {}
        old = self._fold_cache.get(name)
        if old is None or len(old[0]) != len(key) or not all(
                a is b or (np.isscalar(a) and np.isscalar(b) and a == b)
                for a, b in zip(old[0], key)):
            old = self._fold_cache[name] = (key, compute())
        return old[1]

    def _prepare(self, X, y, sample_weight, **kwargs):
        return self._shared("data", (X, y, sample_weight),
                            lambda: super(_FoldPath, self)._prepare(X, y, sample_weight, **kwargs))

    def _strengths(self, n_features):
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio, n_features)
        return bool(penalty.l1), float(penalty.l2)

    def _preconditioner(self, X, Y, sw, n_outputs, partial=False):
        base = super()._preconditioner
        if self.preconditioning is None:
            return base(X, Y, sw, n_outputs)
        l1, l2 = self._strengths(X.shape[1])
        full = _precondition.whitens(X, self._batch_size(X.shape[0], X), l1)
        stats = self._shared("stats", (X, sw, full), lambda: _precondition.statistics(
            X, sw, fit_intercept=self.fit_intercept, full=full))
        return self._shared("pre", (X, Y, sw, l1, l2),
                            lambda: base(X, Y, sw, n_outputs, stats=stats))

    def _resolve_eta0(self, optimizer, problem, pre, n_outputs, partial=False):
        key = (pre, problem.X, self._strengths(problem.X.shape[1])[1], str(self.eta0))
        return self._shared("eta0", key, lambda: super(_FoldPath, self)._resolve_eta0(
            optimizer, problem, pre, n_outputs))

    def _row_moments(self, X, sw, pre):
        """The rows' Gram matrix of ``eta0="auto"`` depends on the map only through its
        centring, the same for all alphas."""
        return self._shared("moments", (X, sw, pre.shift, pre.fit_intercept),
                            lambda: _precondition.row_moments(X, sw, pre))

    def _reference_objective(self, problem, state):
        """The blow-up scale of ``w = 0``, not of the warm start from the previous alpha."""
        return super()._reference_objective(
            problem, SimpleNamespace(loss_curve=[], theta=np.zeros_like(state.theta)))

    #: ``(X, values)``: the current model's decision values on the held-out rows ``X``,
    #: computed with the other alphas' (``_scores``); ``None`` outside the scoring
    _held_out = None

    def _decision(self, X):
        held = self._held_out
        if held is not None and X is held[0]:
            return held[1]
        return super()._decision(X)



@lru_cache(maxsize=None)
def _path_class(base):
    """``base`` with the fold's shared work (:class:`_FoldPath`)."""
    return type(f"_FoldPath{base.__name__}", (_FoldPath, base), {})


#: a squared-error path on dense rows at least this many times as many as the features
#: (plus targets) trains on their least-squares rows (``_least_squares_rows``) instead
LEAST_SQUARES_RATIO = 4


def _least_squares_rows(X, y, sw, rows, fit_intercept):
    r"""``(Z, T, x_mean, y_mean)``: ``m = d + k`` rows with the weighted mean squared error
    of ``(X, y)``'s rows ``rows`` at every ``W``, its intercept fitted:

    .. math:: \frac{1}{m} \sum_j \|T_j - Z_j W\|^2
              = \frac{\sum_i s_i \|y_i - b^*(W) - x_i W\|^2}{\sum_i s_i},
              \qquad b^*(W) = \bar y - \bar x W,

    (``b^*`` the best intercept for ``W``; means zero without one). ``[Z, T]`` is a
    factor ``R`` (``R^T R = m / sum s`` times the weighted Gram matrix of the centred
    ``[X, y]``, from one pass over X in blocks; ``R = sqrt(Lambda) Q^T`` of its
    eigendecomposition). So the squared-error fit of ``Z, T`` without intercept is the
    fit of ``X, y`` -- same objective value, same minimiser, the intercept recovered
    as ``b^*`` -- and an epoch costs ``O(m d)`` instead of ``O(n d)``: the sufficient
    statistics ``LassoCV`` reads through its Gram matrix (``precompute``), fed to the
    unchanged squared-error loss.
    """
    shift = _first_block_mean(X, y, rows, fit_intercept)
    return _factor(*_moments(X, y, sw, rows, shift), shift, X, y, fit_intercept)


def _block_rows(X, y):
    """Rows of a block of ``[X, y]`` (about 2 MiB of float64)."""
    return max(64, (1 << 21) // (8 * (X.shape[1] + _outputs(y))))


def _outputs(y):
    return 1 if np.ndim(y) == 1 else y.shape[1]


def _first_block_mean(X, y, rows, fit_intercept):
    """The point the moments are taken about: the mean of the first block of ``rows``
    (zero without an intercept). Raw columns far from zero (years, dollars) would lose
    their digits to the square of their mean otherwise."""
    if not fit_intercept:
        return np.zeros(X.shape[1] + _outputs(y))
    first = rows[:_block_rows(X, y)]
    Y = np.asarray(y[first], dtype=np.float64).reshape(len(first), -1)
    return np.hstack([X[first].mean(axis=0), Y.mean(axis=0)])


def _moments(X, y, sw, rows, shift):
    """``(gram, sums, total)`` of ``[X, y]``'s rows ``rows`` about ``shift``: the weighted
    sums of ``z z^T`` and ``z`` for ``z = [x, y] - shift``, and of the weights; one pass
    over the rows in blocks gathered from X (no copy of the fold)."""
    n, d = len(rows), X.shape[1]
    k = _outputs(y)
    step = _block_rows(X, y)
    gram, sums, total = np.zeros((d + k, d + k)), np.zeros(d + k), 0.0
    for lo in range(0, n, step):
        block = rows[lo:lo + step]
        s = np.ones(len(block)) if sw is None else np.asarray(sw[block], dtype=np.float64)
        root = np.sqrt(s)
        B = np.empty((len(block), d + k))
        np.subtract(X[block], shift[:d], out=B[:, :d])
        np.subtract(np.asarray(y[block], dtype=np.float64).reshape(len(block), k), shift[d:],
                    out=B[:, d:])
        B *= root[:, None]
        gram += B.T @ B
        sums += root @ B
        total += float(s.sum())
    return gram, sums, total


def _factor(gram, sums, total, shift, X, y, fit_intercept):
    """``_least_squares_rows`` of the moments ``(gram, sums, total)`` about ``shift``."""
    d = X.shape[1]
    k = _outputs(y)
    delta = sums / total if fit_intercept else np.zeros(d + k)
    gram = gram - total * np.outer(delta, delta)  # about the weighted mean
    lam, Q = np.linalg.eigh((gram + gram.T) / 2)
    R = np.sqrt(np.maximum(lam, 0.0) * ((d + k) / total))[:, None] * Q.T
    T = R[:, d:] if np.ndim(y) == 2 else R[:, d]
    mean = shift + delta
    # C-contiguous: the compiled engine reads rows that way (a column slice would send
    # every fit of the path to the numpy loop)
    return (np.ascontiguousarray(R[:, :d], dtype=X.dtype),
            np.ascontiguousarray(T, dtype=X.dtype), mean[:d], mean[d:])


def fold_least_squares(X, y, sw, folds, fit_intercept):
    """``_least_squares_rows`` of every fold's training rows, the folds sharing the pass
    over X: where each fold trains on the complement of its held-out rows, a fold's
    moments are those of all rows less those of its held-out rows (all about one
    point), and where the held-out rows partition the data (K-fold) the moments of all
    rows are the sum of theirs -- one pass over X for all folds instead of ``K - 1``.
    Other splits get their own pass each. Returns a list aligned with ``folds``."""
    n = X.shape[0]

    def once(*parts):  # every row in exactly one of the parts (a counting pass, no sort)
        rows = np.concatenate(parts)
        return len(rows) == n and bool(np.all(np.bincount(rows, minlength=n) == 1))

    complements = all(once(train, test) for train, test in folds)
    if not complements:
        return [_least_squares_rows(X, y, sw, train, fit_intercept) for train, _ in folds]
    shift = _first_block_mean(X, y, np.arange(n), fit_intercept)
    held = [_moments(X, y, sw, np.asarray(test), shift) for _, test in folds]
    if once(*(test for _, test in folds)):  # a partition
        whole = tuple(sum(m[i] for m in held) for i in range(3))
    else:
        whole = _moments(X, y, sw, np.arange(n), shift)
    return [_factor(whole[0] - g, whole[1] - m, whole[2] - t, shift, X, y, fit_intercept)
            for g, m, t in held]


def _least_squares_path(params, X, y, n_train):
    """Whether a path of ``params`` on ``n_train`` rows of ``(X, y)`` trains on
    ``_least_squares_rows``: the squared error, full batch, no held-out split, dense X
    with many more rows than columns (the same fits, far cheaper epochs)."""
    k = 1 if np.ndim(y) == 1 else y.shape[1]
    return (params.get("loss") == "squared_error" and params.get("batch_size") in (None, "auto")
            and not params.get("early_stopping") and isinstance(X, np.ndarray)
            and LEAST_SQUARES_RATIO * (X.shape[1] + k) <= n_train)


def _path(base, params, X, y, sw, train, test, alphas, scorer, keep, ctx=None, caller=None,
          least_squares=None):
    """Fit ``base(**params)`` along ``alphas`` (decreasing) on the rows ``train``, each
    fit warm-started from the previous one (:class:`_FoldPath`), on the least-squares
    rows of the fold when they serve (``_least_squares_path``); score each on ``test``.

    ``ctx`` (callbacks): this path's task in ``caller``'s tree; each fit is one of its
    sub-tasks (:func:`_callbacks.sub_fit`), whose ``fitted_estimator`` is ``caller``
    with that fit's coefficients.

    ``least_squares``: the fold's ``_least_squares_rows``, where the caller computed them
    for all folds at once (:func:`fold_least_squares`).

    Returns ``(scores, n_iter, coefs)``; ``coefs`` holds ``(coef_, intercept_)`` per
    alpha when ``keep`` (``refit=False`` averages them), else ``None``.
    """
    fit_kw = {} if sw is None else {"sample_weight": sw[train]}
    score_kw = {} if sw is None else {"sample_weight": sw[test]}
    X_te, y_te = X[test], y[test]
    intercept = None  # b*(W) of the least-squares rows' fits
    if _least_squares_path(params, X, y, len(train)):
        X_tr, y_tr, x_mean, y_mean = (
            least_squares if least_squares is not None
            else _least_squares_rows(X, y, sw, train, params["fit_intercept"]))
        fit_kw, params = {}, {**params, "fit_intercept": False}
        intercept = lambda coef: y_mean[0] - coef @ x_mean if coef.ndim == 1 else (
            y_mean - coef @ x_mean)
    else:
        X_tr, y_tr = X[train], y[train]
    est = _path_class(base)(**{**params, "warm_start": True})
    # the callbacks of the path and its fits get the fold's rows (also where the fits
    # train on its least-squares rows: those are no data a score would mean much on)
    fold = (None, None, None) if ctx is None else (
        (X[train], y[train], None if sw is None else sw[train]) if intercept is not None
        else (X_tr, y_tr, fit_kw.get("sample_weight")))
    with _callbacks.task(ctx, caller, *fold):
        return _walk(est, alphas, X_tr, y_tr, fit_kw, X_te, y_te, score_kw, intercept,
                     scorer, keep, ctx, caller, params["l1_ratio"], fold)


def _walk(est, alphas, X_tr, y_tr, fit_kw, X_te, y_te, score_kw, intercept, scorer, keep,
          ctx, caller, ratio, fold):
    """The fits and scores of ``_path``."""
    n_iter, coefs = [], []
    for alpha in alphas:
        est.set_params(alpha=float(alpha))
        leaf = None if ctx is None else ctx.subcontext(task_name="alpha")
        with _callbacks.sub_fit(leaf, est, caller, *fold,
                                attributes=lambda: _fitted(est, ratio)):
            est.fit(X_tr, y_tr, **fit_kw)
            if intercept is not None:
                est.intercept_ = intercept(est.coef_)
        n_iter.append(est.n_iter_)
        coefs.append((est.coef_.copy(), np.copy(est.intercept_)))
    scores = _scores(est, coefs, X_te, y_te, scorer, score_kw)
    return np.array(scores, dtype=np.float64), np.array(n_iter), coefs if keep else None


#: decision values of the held-out rows computed at once, per group of alphas (bytes)
SCORE_BLOCK_BYTES = 1 << 25


def _scores(est, coefs, X_te, y_te, scorer, score_kw):
    """Each alpha's held-out score through ``scorer`` (any scikit-learn scorer), the
    decision values of several alphas' models coming from one product with ``X_te``:
    the held-out rows are read once per group of alphas instead of once per alpha (at
    20,000 x 100 held-out rows, scoring 20 alphas one at a time was a third of a
    squared-error path's time). ``est`` is left with the last alpha's model."""
    last = est.coef_, est.intercept_
    W = np.stack([np.atleast_2d(coef) for coef, _ in coefs])  # (alphas, k, d)
    B = np.stack([np.atleast_1d(b) for _, b in coefs])  # (alphas, k)
    a, k, d = W.shape
    group = max(1, SCORE_BLOCK_BYTES // (8 * k * max(X_te.shape[0], 1)))
    scores = []
    try:
        for lo in range(0, a, group):
            hi = min(a, lo + group)
            V = np.asarray(X_te @ W[lo:hi].reshape(-1, d).T).reshape(-1, hi - lo, k)
            V = V + B[lo:hi]
            for j in range(lo, hi):
                est.coef_, est.intercept_ = coefs[j]
                est._held_out = (X_te, V[:, j - lo, :])
                with config_context(assume_finite=True):  # X was checked by the CV's fit
                    scores.append(scorer(est, X_te, y_te, **score_kw))
    finally:
        est.coef_, est.intercept_ = last
        est._held_out = None
    return scores


def _fitted(est, ratio):
    """The fitted attributes a ``...CV`` estimator would have with ``est``'s model."""
    names = ("coef_", "intercept_", "n_iter_", "n_features_in_", "classes_")
    attributes = {name: getattr(est, name) for name in names if hasattr(est, name)}
    return {**attributes, "alpha_": est.alpha, "l1_ratio_": ratio}


def _fold_average(paths, k):
    """``(coef, intercept, most epochs)`` of the folds' models at the ``k``-th alpha."""
    coef = np.mean([coefs[k][0] for _, _, coefs in paths], axis=0)
    intercept = np.mean([coefs[k][1] for _, _, coefs in paths], axis=0)
    return coef, intercept, int(max(n_iter[k] for _, n_iter, _ in paths))
