r"""Real-data panel: our estimators at their defaults, on raw tables, against the exact solver.

    python -m benchmarks.panel                  # every set x every optimizer, 5-fold CV
    python -m benchmarks.panel --quick          # 8 small sets, 3 folds, sgd/adam/adagrad
    python -m benchmarks.panel --only longley iris --optimizers sgd,adam

The claim under test: ``SGDLinearRegressor(optimizer=name)`` and
``SGDLogisticClassifier(optimizer=name)`` -- nothing else set, no scaler, no
``eta0`` -- fitted on a real table *as published* (:mod:`benchmarks.panel_data`:
years next to rates, dollars next to dummies) give the exact solver's answer.

Method
------
For every data set and every alias of :data:`skopt_gd.optimizers.OPTIMIZERS`
(the dict's keys, so new optimizers join automatically), 5-fold CV
(``KFold(5, shuffle=True, random_state=0)``; ``StratifiedKFold`` for
classification). On every fold:

* **the objective** is the one the estimators document, read from their own
  ``get_params()`` (penalty, alpha, l1_ratio, loss, fit_intercept) and written
  out here in numpy, independently of ``skopt_gd``:
  :math:`J(w, b) = \frac1n \sum_i \ell(y_i, x_i w + b) + \alpha R(w)` with
  :math:`\ell = \tfrac12 \|y - \hat y\|^2` (summed over outputs) or the binary /
  multinomial cross-entropy, and :math:`R = \tfrac12\|w\|^2` (l2),
  :math:`\|w\|_1` (l1), :math:`\rho\|w\|_1 + (1-\rho)\tfrac12\|w\|^2` (elasticnet);
* **the exact solver** of that objective is scikit-learn's (``LinearRegression``
  for no penalty, ``Ridge(alpha = alpha n)``, ``Lasso`` / ``ElasticNet(alpha)``,
  ``LogisticRegression(C = 1 / (alpha n))``, newton-cholesky, tol 1e-10). Its
  fit is timed as is. Raw tables are badly conditioned (longley's is ~5e9), so
  the optimum :math:`J^*` is made robust: squared loss solves the (penalised)
  least-squares problem by SVD (``lstsq``, no normal equations) in the
  standardized parametrization, plus one refinement step; log loss polishes
  scikit-learn's answer by damped Newton steps in float64 in the same
  parametrization until the gradient is 1e-10 of its size at zero. The panel
  checks :math:`J^* \le J(\text{scikit-learn's answer})` and keeps the better
  of the two (noting it) if not; for an L1 part no polish is done (noted);
* **our training-objective gap** is :math:`(J - J^*) / (J_0 - J^*)` on the
  training fold, :math:`J_0` the best constant (intercept-only) model's
  objective: 0 is the optimum, 1 is no better than predicting the mean;
* **scores** on the held-out fold: R² (regression), accuracy and log loss
  (classification), ours minus the exact optimum's;
* **peers at their defaults** on the same raw folds, for information:
  ``SGDRegressor()`` / ``SGDClassifier(loss="log_loss")`` (``random_state=0``;
  exceptions and garbage are recorded as they come) and, for classification,
  ``LogisticRegression()``. Their ConvergenceWarnings (and ours) are counted,
  not shown.

A cell (data set x optimizer) passes when our fit raised nothing on any fold,
the mean CV score gap is within 0.01 (R²: ``|gap| <= 0.01``; accuracy:
``gap >= -0.01``; log loss: ``gap <= 0.02``) and the objective gap is at most
1e-3 on every fold. Times are single ``fit`` calls (input validation included),
the median over folds (a fit that raised: the time until it raised), after a
few warm-up fits per optimizer (numba compilation is not timed). Full runs
write ``results/panel.md`` and ``results/panel.json``;
``--quick`` writes ``panel-quick.*``, other subsets ``panel-subset.*``.
"""

import argparse
import ast
import json
import sys
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/panel.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from scipy.special import expit, log_expit, logsumexp, softmax  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import (  # noqa: E402
    ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge, SGDClassifier,
    SGDRegressor,
)
from sklearn.metrics import log_loss, r2_score  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold  # noqa: E402

from benchmarks import panel_data  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 0
R2_TOL, ACC_TOL, LOGLOSS_TOL, OBJ_TOL = 0.01, 0.01, 0.02, 1e-3
QUICK_OPTIMIZERS = ("sgd", "adam", "adagrad")
GRAD_RTOL, NEWTON_STEPS = 1e-10, 60


# ---- the objective, from the estimators' own defaults ------------------------------------
@dataclass(frozen=True)
class Spec:
    """The documented objective of one estimator at its defaults."""

    loss: str  # "squared" or "log"
    penalty: object  # None, "l2", "l1", "elasticnet"
    alpha: float
    l1_ratio: float
    fit_intercept: bool

    @property
    def smooth(self):
        return self.penalty in (None, "l2")


def spec_of(est):
    """The :class:`Spec` of an (unfitted) estimator, read from ``get_params()``."""
    p = est.get_params()
    loss = p.get("loss", "log_loss")
    loss = {"squared_error": "squared", "log_loss": "log"}.get(loss, loss)
    penalty = None if p.get("penalty") in (None, "none") else p["penalty"]
    return Spec(loss, penalty, float(p.get("alpha", 0.0)), float(p.get("l1_ratio", 0.0)),
                bool(p.get("fit_intercept", True)))


def decision(X, coef, intercept):
    """Raw scores ``X W^T + b`` of shape ``(n, k)`` from sklearn-style coef/intercept."""
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    return X @ W.T + np.atleast_1d(np.asarray(intercept, dtype=np.float64))


def penalty_value(spec, coef):
    """``R(w)`` of the spec's penalty (the intercept is never penalised)."""
    W = np.asarray(coef, dtype=np.float64)
    l1, l2 = float(np.abs(W).sum()), 0.5 * float(np.sum(W * W))
    r = spec.l1_ratio
    return {None: 0.0, "l2": l2, "l1": l1, "elasticnet": r * l1 + (1 - r) * l2}[spec.penalty]


def data_loss(spec, Z, y):
    """Mean loss of scores ``Z`` (n, k): half squared error summed over outputs,
    or the binary (k = 1) / multinomial cross-entropy of integer labels ``y``."""
    n = Z.shape[0]
    if spec.loss == "squared":
        R = np.asarray(y, dtype=np.float64).reshape(n, -1) - Z
        return 0.5 * float(np.sum(R * R)) / n
    if Z.shape[1] == 1:
        z = Z[:, 0]
        return -float(np.sum(y * log_expit(z) + (1 - y) * log_expit(-z))) / n
    return float(np.sum(logsumexp(Z, axis=1) - Z[np.arange(n), y])) / n


def objective(spec, X, y, coef, intercept):
    """``J(w, b) = mean loss + alpha R(w)`` on ``(X, y)``; NaN for non-finite parameters."""
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        return np.nan
    with np.errstate(all="ignore"):
        value = data_loss(spec, decision(X, coef, intercept), y)
        return value + spec.alpha * penalty_value(spec, coef)


def constant_intercept(spec, y, k):
    """The intercept of the best intercept-only model (zeros without an intercept)."""
    if spec.loss == "squared":
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        m = Y.shape[1]
        b = Y.mean(axis=0) if spec.fit_intercept else np.zeros(m)
    else:
        m = 1 if k == 2 else k
        freq = np.bincount(y, minlength=k) / len(y)
        b = np.log(freq) if m > 1 else np.log(freq[1:] / freq[:1])
        b = b if spec.fit_intercept else np.zeros(m)
    return b


def j_zero(spec, X, y, k):
    """``J_0``: the objective of the best constant model."""
    b = constant_intercept(spec, y, k)
    return objective(spec, X, y, np.zeros((len(b), X.shape[1])), b)


# ---- the standardized parametrization ----------------------------------------------------
@dataclass
class Scaling:
    """``z = (x - mean) / scale`` (constant columns: ``z = 0``); ``w = v / scale``."""

    mean: np.ndarray
    scale: np.ndarray
    constant: np.ndarray

    @classmethod
    def of(cls, X, center):
        mean = X.mean(axis=0) if center else np.zeros(X.shape[1])
        constant = np.ptp(X, axis=0) == 0 if center else ~np.any(X, axis=0)
        scale = np.sqrt(np.mean((X - mean) ** 2, axis=0))
        scale[constant | ~(scale > 0)] = 1.0
        return cls(mean, scale, constant)

    def apply(self, X):
        Z = (X - self.mean) / self.scale
        Z[:, self.constant] = 0.0
        return Z

    def to_original(self, V, c):
        """(coef (k, d), intercept (k,)) from standardized ``V`` (d, k) and ``c`` (k,)."""
        W = (V / self.scale[:, None]).T
        return W, np.asarray(c, dtype=np.float64) - W @ self.mean

    def to_standard(self, coef, intercept):
        W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
        return (W * self.scale).T, np.atleast_1d(intercept) + W @ self.mean


def _l2_weights(spec, sc):
    """Curvature ``alpha / scale^2`` of an l2 penalty in the standardized coordinates."""
    if spec.penalty != "l2":
        return np.zeros(len(sc.scale))
    return spec.alpha / sc.scale ** 2


# ---- J*: squared loss --------------------------------------------------------------------
def squared_optimum(spec, X, y):
    """Exact minimiser of the squared-loss objective (penalty None or l2):
    SVD least squares on ``[Z / sqrt(n); sqrt(alpha) / scale]`` (the normal equations
    never formed), standardized ``Z``, one refinement step. Returns (coef, intercept)."""
    n, d = X.shape
    Y = np.asarray(y, dtype=np.float64).reshape(n, -1)
    sc = Scaling.of(X, spec.fit_intercept)
    ym = Y.mean(axis=0) if spec.fit_intercept else np.zeros(Y.shape[1])
    A, B = sc.apply(X) / np.sqrt(n), (Y - ym) / np.sqrt(n)
    if spec.penalty == "l2":
        A = np.vstack([A, np.diag(np.sqrt(_l2_weights(spec, sc)))])
        B = np.vstack([B, np.zeros((d, Y.shape[1]))])
    V = np.linalg.lstsq(A, B, rcond=None)[0]
    V += np.linalg.lstsq(A, B - A @ V, rcond=None)[0]
    return sc.to_original(V, ym)


# ---- J*: log loss, Newton polish ---------------------------------------------------------
def _design(Z, fit_intercept):
    return np.hstack([Z, np.ones((len(Z), 1))]) if fit_intercept else Z


def _logistic_value(Z1, y, theta, pen):
    """Standardized-coordinate objective; ``theta`` (p, m), m = 1 binary, m = k softmax."""
    S = Z1 @ theta
    if theta.shape[1] == 1:
        s = S[:, 0]
        f = -np.mean(y * log_expit(s) + (1 - y) * log_expit(-s))
    else:
        f = np.mean(logsumexp(S, axis=1) - S[np.arange(len(y)), y])
    return f + 0.5 * float(np.sum(pen[:, None] * theta * theta))


def _logistic_derivatives(Z1, y, theta, pen):
    """(gradient (p, m), Hessian (p m, p m)) in class-major order."""
    n, p = Z1.shape
    m = theta.shape[1]
    S = Z1 @ theta
    if m == 1:
        q = expit(S[:, 0])
        G = (Z1.T @ (q - y))[:, None] / n
        H = (Z1 * (q * (1 - q))[:, None]).T @ Z1 / n
    else:
        P = softmax(S, axis=1)
        G = Z1.T @ (P - (y[:, None] == np.arange(m))) / n
        H = np.empty((m * p, m * p))
        for a in range(m):
            for b in range(a, m):
                weights = P[:, a] * ((a == b) - P[:, b])
                block = (Z1 * weights[:, None]).T @ Z1 / n
                H[a * p:(a + 1) * p, b * p:(b + 1) * p] = block
                H[b * p:(b + 1) * p, a * p:(a + 1) * p] = block.T
    G += pen[:, None] * theta
    H[np.diag_indices_from(H)] += np.tile(pen, m)
    return G, H


def _newton_direction(G, H):
    """Jacobi-preconditioned least-squares Newton step (the softmax's flat directions
    get the minimum-norm answer)."""
    diag = np.diag(H)
    D = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
    g = G.T.ravel()
    u = np.linalg.lstsq(H * D[:, None] * D[None, :], D * g, rcond=None)[0]
    return (D * u).reshape(G.shape[1], G.shape[0]).T


def _line_search(Z1, y, theta, pen, f, G, step):
    """Backtracking (Armijo) along ``-step``; at round-off level, any non-increase with a
    smaller gradient counts. Returns the new theta, or None if no step helps."""
    slope, gnorm = float(np.sum(G * step)), np.linalg.norm(G)
    t = 1.0
    while t > 1e-12:
        new = theta - t * step
        fn = _logistic_value(Z1, y, new, pen)
        if fn <= f - 1e-4 * t * slope:
            return new
        if fn <= f + 1e-15 * abs(f):
            if np.linalg.norm(_logistic_derivatives(Z1, y, new, pen)[0]) < gnorm:
                return new
        t *= 0.5
    return None


def logistic_optimum(spec, X, y, k, start=None):
    """Exact minimiser of the log-loss objective (penalty None or l2): damped Newton in
    the standardized parametrization from ``start`` = (coef, intercept) (or zero) until
    the gradient is ``GRAD_RTOL`` of its norm at zero. Returns (coef, intercept, rel_grad)."""
    sc = Scaling.of(X, spec.fit_intercept)
    Z1 = _design(sc.apply(X), spec.fit_intercept)
    m = 1 if k == 2 else k
    pen = np.append(_l2_weights(spec, sc), [0.0] * spec.fit_intercept)
    theta = np.zeros((Z1.shape[1], m))
    g_zero = np.linalg.norm(_logistic_derivatives(Z1, y, theta, pen)[0])
    if start is not None and np.all(np.isfinite(start[0])):
        V, c = sc.to_standard(*start)
        theta = np.vstack([V, c[None, :]]) if spec.fit_intercept else V
    for _ in range(NEWTON_STEPS):
        G, H = _logistic_derivatives(Z1, y, theta, pen)
        if np.linalg.norm(G) <= GRAD_RTOL * g_zero:
            break
        new = _line_search(Z1, y, theta, pen, _logistic_value(Z1, y, theta, pen), G,
                           _newton_direction(G, H))
        if new is None:
            break
        theta = new
    G = _logistic_derivatives(Z1, y, theta, pen)[0]
    V, c = (theta[:-1], theta[-1]) if spec.fit_intercept else (theta, np.zeros(m))
    coef, intercept = sc.to_original(V, c)
    return coef, intercept, float(np.linalg.norm(G) / max(g_zero, 1e-300))


# ---- the exact solver and the optimum ----------------------------------------------------
def exact_solver(spec, task, n):
    """(scikit-learn estimator, its description) minimising the same objective on n rows."""
    fi = spec.fit_intercept
    if spec.loss not in ("squared", "log"):
        raise NotImplementedError(f"no exact solver for the {spec.loss!r} loss")
    if task == panel_data.REGRESSION:
        if spec.penalty is None:
            return LinearRegression(fit_intercept=fi), "LinearRegression()"
        if spec.penalty == "l2":
            return Ridge(alpha=spec.alpha * n, fit_intercept=fi), "Ridge(alpha = α·n)"
        if spec.penalty == "l1":
            return (Lasso(alpha=spec.alpha, fit_intercept=fi, tol=1e-12, max_iter=100_000),
                    "Lasso(alpha = α)")
        est = ElasticNet(alpha=spec.alpha, l1_ratio=spec.l1_ratio, fit_intercept=fi,
                         tol=1e-12, max_iter=100_000)
        return est, "ElasticNet(alpha = α, l1_ratio = ρ)"
    C = np.inf if spec.penalty is None else 1.0 / (spec.alpha * n)
    l1_ratio = {None: 0.0, "l2": 0.0, "l1": 1.0}.get(spec.penalty, spec.l1_ratio)
    solver = "newton-cholesky" if l1_ratio == 0 else "saga"
    est = LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-10,
                             max_iter=1000 if l1_ratio == 0 else 100_000, fit_intercept=fi)
    what = "C = ∞" if spec.penalty is None else "C = 1/(α·n)"
    return est, f"LogisticRegression({what}, {solver})"


def optimum(spec, task, X, y, k, start):
    """(coef, intercept, note): the exact optimum (polished from ``start``, scikit-learn's
    answer), or ``start`` itself with a note when the penalty has an L1 part."""
    if not spec.smooth:
        return start[0], start[1], "unpolished (L1 penalty): scikit-learn's answer"
    if spec.loss == "squared":
        coef, intercept = squared_optimum(spec, X, y)
        return coef, intercept, ""
    coef, intercept, rel = logistic_optimum(spec, X, y, k, start)
    note = "" if rel <= 10 * GRAD_RTOL else f"Newton stopped at |g| = {rel:.1e} (relative)"
    return coef, intercept, note


def _tiny(*values):
    return 1e-10 * max((abs(v) for v in values if np.isfinite(v)), default=0.0)


# ---- timed fits that never raise ---------------------------------------------------------
def fit_quietly(est, X, y):
    """(fitted estimator or None, seconds, error text, warning counts) of one ``fit``."""
    counts = Counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                est.fit(X, y)
            error = ""
        except Exception as exc:  # recorded in the cell, never fatal
            est, error = None, f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
    for w in caught:
        counts["convergence" if issubclass(w.category, ConvergenceWarning) else "other"] += 1
    return est, seconds, " ".join(error.split())[:300], dict(counts)


def scores(task, y, predict, proba=None, k=None):
    """{"r2"} or {"accuracy", "log_loss"} on held-out rows; NaN where they are not finite."""
    out = {}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if task == panel_data.REGRESSION:
                out["r2"] = float(r2_score(y, predict().reshape(np.shape(y))))
            else:
                out["accuracy"] = float(np.mean(predict() == y))
                if proba is not None:
                    out["log_loss"] = float(log_loss(y, proba(), labels=np.arange(k)))
    except (ValueError, FloatingPointError):
        pass
    return {key: out.get(key, np.nan) for key in score_keys(task)}


def score_keys(task):
    """The held-out scores a task reports."""
    return ("r2",) if task == panel_data.REGRESSION else ("accuracy", "log_loss")


def scores_of(task, X, y, coef, intercept, k):
    """Held-out scores of explicit parameters (the exact optimum)."""
    Z = decision(X, coef, intercept)
    if task == panel_data.REGRESSION:
        return scores(task, y, lambda: Z)
    if Z.shape[1] == 1:
        return scores(task, y, lambda: (Z[:, 0] > 0).astype(int),
                      lambda: np.column_stack([expit(-Z[:, 0]), expit(Z[:, 0])]), k)
    return scores(task, y, lambda: Z.argmax(axis=1), lambda: softmax(Z, axis=1), k)


def scores_of_estimator(task, est, X, y, k, proba=True):
    """Held-out scores of a fitted estimator's own ``predict`` / ``predict_proba``."""
    if est is None:
        return {key: np.nan for key in score_keys(task)}
    return scores(task, y, lambda: est.predict(X),
                  (lambda: est.predict_proba(X)) if proba else None, k)


# ---- one fold: the references, then ours -------------------------------------------------
@dataclass
class Fold:
    """One CV fold of one data set, with everything the cells compare against."""

    train: np.ndarray
    test: np.ndarray
    k: int  # classes (0 for regression)
    j_star: float = np.nan
    j_zero: float = np.nan
    optimum: tuple = None  # (coef, intercept)
    reference: dict = None  # held-out scores of the optimum
    exact: dict = None  # scikit-learn's exact solver: seconds, error, J, scores
    sgd: dict = None  # SGDRegressor() / SGDClassifier(loss="log_loss") at defaults
    logreg: dict = None  # LogisticRegression() at defaults (classification)
    note: str = ""


def splits(ds, n_splits):
    """KFold (regression) or StratifiedKFold (classification), shuffled, seed 0."""
    if ds.task == panel_data.REGRESSION:
        cv = KFold(n_splits, shuffle=True, random_state=SEED)
    else:
        cv = StratifiedKFold(n_splits, shuffle=True, random_state=SEED)
    return list(cv.split(ds.X, ds.y))


def peer(ds, est, fold, proba=True):
    """Fit a scikit-learn peer on the raw training fold: seconds, error, warnings, scores."""
    X, y = ds.X[fold.train], ds.y[fold.train]
    est, seconds, error, counts = fit_quietly(est, X, y)
    out = dict(seconds=seconds, error=error, warnings=counts)
    out.update(scores_of_estimator(ds.task, est, ds.X[fold.test], ds.y[fold.test], fold.k,
                                   proba))
    return out, est


def reference_fold(ds, spec, train, test):
    """The exact optimum, J*, J0 and the peers on one fold."""
    k = len(np.unique(ds.y)) if ds.task == panel_data.CLASSIFICATION else 0
    fold = Fold(train, test, k)
    X, y = ds.X[train], ds.y[train]
    solver, _ = exact_solver(spec, ds.task, len(train))
    fold.exact, est = peer(ds, solver, fold)
    start = (est.coef_, est.intercept_) if est is not None else None
    j_sklearn = np.nan if est is None else objective(spec, X, y, est.coef_, est.intercept_)
    fold.exact["objective"] = j_sklearn
    coef, intercept, fold.note = optimum(spec, ds.task, X, y, k, start)
    fold.j_star = objective(spec, X, y, coef, intercept)
    fold.j_zero = j_zero(spec, X, y, k)
    if j_sklearn < fold.j_star - _tiny(j_sklearn, fold.j_zero - j_sklearn):
        fold.note = (f"scikit-learn's J below ours by {fold.j_star - j_sklearn:.2e}; kept "
                     + fold.note).strip()
        coef, intercept, fold.j_star = est.coef_, est.intercept_, j_sklearn
    fold.optimum = (np.atleast_2d(coef), np.atleast_1d(intercept))
    fold.reference = scores_of(ds.task, ds.X[test], ds.y[test], coef, intercept, k)
    if ds.task == panel_data.REGRESSION:
        fold.sgd = peer(ds, SGDRegressor(random_state=SEED), fold)[0]
    else:
        fold.sgd = peer(ds, SGDClassifier(loss="log_loss", random_state=SEED), fold)[0]
        fold.logreg = peer(ds, LogisticRegression(), fold)[0]
    return fold


# ``--params``: parameters set on every estimator besides ``optimizer`` (to measure a
# candidate default on the whole panel); empty for the panel's claim
PARAMS = {}


def ours(task, name):
    """Our estimator with only ``optimizer`` (and the seed, and ``--params``) set."""
    from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

    cls = SGDLinearRegressor if task == panel_data.REGRESSION else SGDLogisticClassifier
    return cls(**{"optimizer": name, "random_state": SEED, **PARAMS})


def our_fold(ds, spec, name, fold):
    """Our fit on one fold: seconds, error, warnings, objective gap and held-out scores."""
    X, y = ds.X[fold.train], ds.y[fold.train]
    est, seconds, error, counts = fit_quietly(ours(ds.task, name), X, y)
    out = dict(seconds=seconds, error=error, warnings=counts, objective=np.nan,
               gap=np.nan, epochs=getattr(est, "n_iter_", None))
    if est is not None:
        out["objective"] = j = objective(spec, X, y, est.coef_, est.intercept_)
        out["gap"] = (j - fold.j_star) / max(fold.j_zero - fold.j_star, 1e-300)
    out.update(scores_of_estimator(ds.task, est, ds.X[fold.test], ds.y[fold.test], fold.k))
    return out


# ---- cells -------------------------------------------------------------------------------
def _mean(rows, key):
    return float(np.mean([r[key] for r in rows]))


def _median(rows, key):
    return float(np.median([r[key] for r in rows]))


def _ratio(a, b):
    return a / b if np.isfinite(a) and np.isfinite(b) and b > 0 else np.nan


def _merge_counts(rows):
    total = Counter()
    for r in rows:
        total.update(r["warnings"])
    return dict(total)


def make_cell(ds, name, reference, folds, results):
    """One data set x optimizer: mean CV scores and gaps, worst objective gap, median
    times and ratios, errors, warnings, and the pass/fail verdict with its reasons.

    Our scores, score gaps and the worst objective gap are over the folds whose fit
    did not raise (a raising fold fails the cell anyway); ``<score>_ref`` is the
    exact optimum's CV mean over all folds."""
    c = dict(dataset=ds.name, task=ds.task, optimizer=name, reference=reference,
             errors=sorted({r["error"] for r in results if r["error"]}))
    ran = [i for i, r in enumerate(results) if not r["error"]]  # gaps: the folds that ran
    for key in score_keys(ds.task):
        ref = [f.reference[key] for f in folds]
        c[key] = _mean([results[i] for i in ran], key) if ran else np.nan
        c[f"{key}_ref"] = float(np.mean(ref))
        c[f"{key}_gap"] = c[key] - float(np.mean([ref[i] for i in ran])) if ran else np.nan
    c["gap_folds"] = [r["gap"] for r in results]
    # worst fold among those that ran; NaN if one of them has non-finite parameters
    c["gap_max"] = float(np.max([c["gap_folds"][i] for i in ran])) if ran else np.nan
    c["seconds"] = _median(results, "seconds")
    c["exact_seconds"] = _median([f.exact for f in folds], "seconds")
    c["sgd_seconds"] = _median([f.sgd for f in folds], "seconds")
    c["vs_sgd"] = _ratio(c["seconds"], c["sgd_seconds"])
    c["vs_exact"] = _ratio(c["seconds"], c["exact_seconds"])
    c["warnings"] = _merge_counts(results)
    c["epochs"] = [None if r["epochs"] is None else int(np.max(r["epochs"])) for r in results]
    c["reasons"] = verdict(c, sum(bool(r["error"]) for r in results), len(results))
    c["passed"] = not c["reasons"]
    return c


def verdict(c, n_errors, n_folds):
    """Why a cell fails (empty list: it passes). NaN never passes; a fit that raised on
    every fold is reported by its error alone."""
    reasons = []
    if n_errors:
        reasons.append(f"fit raised on {n_errors} of {n_folds} folds: {c['errors'][0]}")
        if n_errors == n_folds:
            return reasons
    if c["task"] == panel_data.REGRESSION:
        if not abs(c["r2_gap"]) <= R2_TOL:
            reasons.append(f"R² gap {c['r2_gap']:+.3g} (|gap| > {R2_TOL})")
    else:
        if not c["accuracy_gap"] >= -ACC_TOL:
            reasons.append(f"accuracy gap {c['accuracy_gap']:+.3g} (< -{ACC_TOL})")
        if not c["log_loss_gap"] <= LOGLOSS_TOL:
            reasons.append(f"log-loss gap {c['log_loss_gap']:+.3g} (> {LOGLOSS_TOL})")
    if not c["gap_max"] <= OBJ_TOL:
        reasons.append(f"objective gap {c['gap_max']:.3g} on the worst fold (> {OBJ_TOL:g})")
    return reasons


def failed_cell(ds, name, reference, error):
    """A cell whose references could not be built."""
    c = dict(dataset=ds.name, task=ds.task, optimizer=name, reference=reference,
             errors=[error], gap_max=np.nan, seconds=np.nan, exact_seconds=np.nan,
             sgd_seconds=np.nan, vs_sgd=np.nan, vs_exact=np.nan, warnings={}, epochs=[])
    for key in score_keys(ds.task):
        c[key] = c[f"{key}_ref"] = c[f"{key}_gap"] = np.nan
    c["reasons"], c["passed"] = [f"reference failed: {error}"], False
    return c


def dataset_info(ds, reference, folds):
    """What the data-set table shows: shape, source, reference, J* notes, peers."""
    info = dict(name=ds.name, task=ds.task, label=ds.label, source=ds.source,
                reference=reference, folds=len(folds),
                notes=sorted({f.note for f in folds if f.note}),
                exact_seconds=_median([f.exact for f in folds], "seconds"),
                exact_errors=sorted({f.exact["error"] for f in folds if f.exact["error"]}),
                exact_warnings=_merge_counts([f.exact for f in folds]),
                sgd_seconds=_median([f.sgd for f in folds], "seconds"),
                sgd_errors=sorted({f.sgd["error"] for f in folds if f.sgd["error"]}),
                sgd_warnings=_merge_counts([f.sgd for f in folds]),
                j_star=[f.j_star for f in folds], j_zero=[f.j_zero for f in folds])
    for key in score_keys(ds.task):
        info[f"{key}_ref"] = float(np.mean([f.reference[key] for f in folds]))
        info[f"{key}_exact"] = _mean([f.exact for f in folds], key)
        info[f"{key}_sgd"] = _mean([f.sgd for f in folds], key)
    if ds.task == panel_data.CLASSIFICATION:
        for key in score_keys(ds.task):
            info[f"{key}_logreg"] = _mean([f.logreg for f in folds], key)
        info["logreg_warnings"] = _merge_counts([f.logreg for f in folds])
        info["logreg_seconds"] = _median([f.logreg for f in folds], "seconds")
    return info


# ---- the run -----------------------------------------------------------------------------
def run_dataset(ds, optimizers, n_splits, log=print):
    """(info, cells) of one data set: the folds' references once per distinct objective
    (every optimizer shares the defaults), then every optimizer on every fold."""
    cache, cells, info = {}, [], None
    for name in optimizers:
        spec, reference = spec_of(ours(ds.task, name)), "—"
        try:
            reference = exact_solver(spec, ds.task, len(ds.y))[1]
            if spec not in cache:
                cache[spec] = [reference_fold(ds, spec, tr, te)
                               for tr, te in splits(ds, n_splits)]
                info = info or dataset_info(ds, reference, cache[spec])
            folds = cache[spec]
            results = [our_fold(ds, spec, name, f) for f in folds]
            cell = make_cell(ds, name, reference, folds, results)
        except Exception as exc:  # a broken reference must not stop the panel
            cell = failed_cell(ds, name, reference, f"{type(exc).__name__}: {exc}")
            info = info or dict(name=ds.name, task=ds.task, label=ds.label, source=ds.source,
                                reference=reference, folds=n_splits, notes=[cell["errors"][0]])
        cells.append(cell)
        log(cell_line(cell))
    return info, cells


def cell_line(c):
    """One progress line per cell."""
    mark = "pass" if c["passed"] else "FAIL"
    key = "r2" if c["task"] == panel_data.REGRESSION else "accuracy"
    why = "" if c["passed"] else "  <- " + "; ".join(c["reasons"])[:160]
    return (f"  {c['dataset']:<19} {c['optimizer']:<9} {mark}  {key} gap "
            f"{c[f'{key}_gap']:+9.2e}  objective gap {c['gap_max']:9.2e}  "
            f"{c['seconds']:7.3f} s{why}")


def warm_up(optimizers):
    """One small fit per optimizer and target kind (numba compiles here, not in a timing)."""
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((300, 3))
    targets = [(panel_data.REGRESSION, X @ [1.0, 2.0, 3.0]),
               (panel_data.REGRESSION, X[:, :2] + 1.0),
               (panel_data.CLASSIFICATION, (X[:, 0] > 0).astype(np.int64)),
               (panel_data.CLASSIFICATION, np.argmax(X, axis=1))]
    start = time.perf_counter()
    for name in optimizers:
        for task, y in targets:
            for n in (50, 300):
                fit_quietly(ours(task, name), X[:n], y[:n])
    return time.perf_counter() - start


# ---- the report --------------------------------------------------------------------------
def _g(x, fmt="{:+.2g}"):
    return "—" if x is None or not np.isfinite(x) else fmt.format(x)


def _t(seconds):
    if seconds is None or not np.isfinite(seconds):
        return "—"
    return f"{seconds * 1e3:.1f} ms" if seconds < 0.1 else f"{seconds:.2f} s"


def _x(ratio):
    return _g(ratio, "{:.2g}×")


def _esc(text, width=90):
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= width else text[:width - 1] + "…"


def _median_of(cells, key):
    """Median over the cells whose fits ran on every fold (a raising fit's time says
    nothing about speed)."""
    values = [c[key] for c in cells if not c["errors"] and np.isfinite(c[key])]
    return float(np.median(values)) if values else np.nan


def summary(cells, optimizers):
    """Plain-text summary: passing cells, per-optimizer counts, median time ratios."""
    passed = sum(c["passed"] for c in cells)
    lines = [f"{passed} / {len(cells)} cells pass "
             f"(ours at defaults vs the exact solver, raw data)",
             f"median time ratio (cells without errors) ours / SGD* default "
             f"{_x(_median_of(cells, 'vs_sgd'))}, ours / exact solver "
             f"{_x(_median_of(cells, 'vs_exact'))}", "per optimizer:"]
    for name in optimizers:
        mine = [c for c in cells if c["optimizer"] == name]
        errors = sum(bool(c["errors"]) for c in mine)
        lines.append(f"  {name:<9} {sum(c['passed'] for c in mine):>3} / {len(mine)} pass, "
                     f"{errors} with errors, median fit {_t(_median_of(mine, 'seconds'))}, "
                     f"ours/SGD* {_x(_median_of(mine, 'vs_sgd'))}, "
                     f"ours/exact {_x(_median_of(mine, 'vs_exact'))}")
    failing = [c for c in cells if not c["passed"]]
    if failing:
        lines.append(f"failing cells ({len(failing)}):")
        lines += [f"  {c['dataset']} x {c['optimizer']}: {'; '.join(c['reasons'])[:240]}"
                  for c in failing]
    return "\n".join(lines)


def optimizer_table(cells, optimizers):
    """Markdown: pass counts and median times per optimizer."""
    rows = ["| optimizer | pass | with errors | median fit | median ours / SGD* | "
            "median ours / exact |", "|---|---|---|---|---|---|"]
    for name in optimizers:
        mine = [c for c in cells if c["optimizer"] == name]
        rows.append(f"| `{name}` | {sum(c['passed'] for c in mine)} / {len(mine)} | "
                    f"{sum(bool(c['errors']) for c in mine)} | "
                    f"{_t(_median_of(mine, 'seconds'))} | {_x(_median_of(mine, 'vs_sgd'))} | "
                    f"{_x(_median_of(mine, 'vs_exact'))} |")
    return "\n".join(rows)


def _mark(c):
    if c["passed"]:
        return f"✓ {_g(c['gap_max'], '{:.0e}')}"
    return "✗ error" if c["errors"] else f"✗ {_g(c['gap_max'], '{:.3g}')}"


def matrix(datasets, cells, optimizers):
    """Data sets x optimizers: pass mark and the worst fold's objective gap."""
    by = {(c["dataset"], c["optimizer"]): c for c in cells}
    rows = ["| data set | " + " | ".join(f"`{o}`" for o in optimizers) + " |",
            "|---|" + "---|" * len(optimizers)]
    for info in datasets:
        marks = [_mark(by[info["name"], o]) for o in optimizers if (info["name"], o) in by]
        rows.append(f"| {info['name']} | " + " | ".join(marks) + " |")
    return "\n".join(rows)


def _score_text(info, suffix):
    if info["task"] == panel_data.REGRESSION:
        return f"R² {_g(info.get('r2' + suffix), '{:.3g}')}"
    return (f"acc {_g(info.get('accuracy' + suffix), '{:.3f}')}, "
            f"ll {_g(info.get('log_loss' + suffix), '{:.3g}')}")


def _warn_text(counts):
    counts = counts or {}
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "0"


def datasets_table(datasets):
    """Markdown: each data set, its exact solver, the optimum's and the peers' scores."""
    rows = ["| data set | shape | target ~ features | exact solver | t exact | exact optimum "
            "(CV) | SGD* at defaults (CV) | LogisticRegression() (CV) | notes |",
            "|---|---|---|---|---|---|---|---|---|"]
    for d in datasets:
        sgd = _score_text(d, "_sgd") + (f"; errors: {_esc(d['sgd_errors'][0], 60)}"
                                         if d.get("sgd_errors") else "")
        sgd += f"; warnings {_warn_text(d.get('sgd_warnings'))}"
        logreg = "—"
        if d["task"] == panel_data.CLASSIFICATION and "accuracy_logreg" in d:
            logreg = (_score_text(d, "_logreg") + f"; {_warn_text(d.get('logreg_warnings'))} "
                      "warnings")
        rows.append(f"| {d['name']} | {d['label']} | {_esc(d['source'])} | {d['reference']} | "
                    f"{_t(d.get('exact_seconds'))} | {_score_text(d, '_ref')} | {sgd} | "
                    f"{logreg} | {_esc('; '.join(d.get('notes', [])), 120)} |")
    return "\n".join(rows)


def cells_table(cells):
    """One optimizer's cells, one row per data set."""
    rows = ["| data set | | R² / accuracy gap | log-loss gap | worst objective gap | t ours | "
            "t exact | t SGD* | ours / SGD* | ours / exact | epochs | warnings | error |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        key = "r2" if c["task"] == panel_data.REGRESSION else "accuracy"
        epochs = [e for e in c["epochs"] if e is not None]
        rows.append(
            f"| {c['dataset']} | {'✓' if c['passed'] else '✗'} | {_g(c[f'{key}_gap'])} | "
            f"{_g(c.get('log_loss_gap'))} | {_g(c['gap_max'], '{:.2g}')} | "
            f"{_t(c['seconds'])} | {_t(c['exact_seconds'])} | {_t(c['sgd_seconds'])} | "
            f"{_x(c['vs_sgd'])} | {_x(c['vs_exact'])} | "
            f"{'–'.join(map(str, (min(epochs), max(epochs)))) if epochs else '—'} | "
            f"{_warn_text(c['warnings'])} | {_esc('; '.join(c['errors']), 80)} |")
    return "\n".join(rows)


def failing_list(cells):
    """Markdown: every failing cell with its reasons."""
    failing = [c for c in cells if not c["passed"]]
    if not failing:
        return "None: every cell passes."
    return "\n".join(f"- `{c['dataset']}` × `{c['optimizer']}`: "
                     f"{_esc('; '.join(c['reasons']), 300)}" for c in failing)


def markdown(run):
    """The whole report."""
    meta, datasets, cells, optimizers = (run["meta"], run["datasets"], run["cells"],
                                         run["meta"]["optimizers"])
    passed = sum(c["passed"] for c in cells)
    body = [
        f"# Real-data panel{meta['title_suffix']}\n",
        f"{meta['date']}, {meta.get('code', 'skopt_gd')}; {meta['machine']}"
        f"{meta.get('threads', '')}. Load average at start {meta['load_start']}, at "
        f"end {meta['load_end']}; the run took {_duration(meta['seconds'])} (warm-up "
        f"{meta['warm_up_seconds']:.1f} s, not timed in any cell).\n",
        f"Reproduce: `{meta['command']}`\n",
        "Our estimators at their defaults (only `optimizer=` and `random_state=0` set), "
        f"{meta['folds']}-fold CV on the raw tables of `benchmarks/panel_data.py`. "
        f"Objectives read from the defaults: regression {meta['specs'].get('regression')}; "
        f"classification {meta['specs'].get('classification')}. A cell passes with no "
        f"error, |R² gap| ≤ {R2_TOL} (accuracy gap ≥ −{ACC_TOL}, log-loss gap ≤ "
        f"{LOGLOSS_TOL}) against the exact optimum, and (J − J*) / (J0 − J*) ≤ "
        f"{OBJ_TOL:g} on every training fold. Method: the docstring of "
        "`benchmarks/panel.py`.\n",
        "## Summary\n", f"**{passed} / {len(cells)} cells pass.** Median time ratio ours / "
        f"SGD* at defaults {_x(_median_of(cells, 'vs_sgd'))}, ours / exact solver "
        f"{_x(_median_of(cells, 'vs_exact'))} (medians over the cells whose fits ran on "
        "every fold).\n", optimizer_table(cells, optimizers), "",
        "## Pass / fail (worst fold's objective gap)\n", matrix(datasets, cells, optimizers),
        "", "## Data sets, exact solver and peers\n",
        "Scores are CV means on the held-out folds; SGD* is `SGDRegressor()` / "
        "`SGDClassifier(loss=\"log_loss\")` at defaults (`random_state=0`) on the same raw "
        "folds; warnings are counted over all folds.\n", datasets_table(datasets), ""]
    if meta.get("skipped"):
        body += ["Skipped: " + ", ".join(f"{k} ({v})" for k, v in meta["skipped"].items()),
                 ""]
    for name in optimizers:
        body += [f"## `{name}`\n", cells_table([c for c in cells if c["optimizer"] == name]),
                 ""]
    body += ["## Failing cells\n", failing_list(cells), ""]
    return "\n".join(body)


def _jsonable(obj):
    """Plain JSON: numpy scalars and arrays become numbers and lists, NaN / inf null."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    return obj


def write(run, out, stem):
    """Write ``<stem>.md`` and ``<stem>.json`` under ``out``; return the markdown path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.md").write_text(markdown(run), encoding="utf-8")
    (out / f"{stem}.json").write_text(json.dumps(_jsonable(run), indent=1), encoding="utf-8")
    return out / f"{stem}.md"


# ---- command line ------------------------------------------------------------------------
def numba_threads():
    """``", numba: N threads (layer)"``: timings of small fits depend on both."""
    try:
        import numba

        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel kernel launched yet
            layer = "layer not chosen yet"
        return f", numba {numba.get_num_threads()} threads ({layer})"
    except ImportError:
        return ""


def load_run(path):
    """A saved panel JSON back as the run dict (null numbers become NaN)."""
    def nan(obj):
        if isinstance(obj, dict):
            return {k: nan(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [nan(v) for v in obj]
        return np.nan if obj is None else obj
    run = nan(json.loads(Path(path).read_text(encoding="utf-8")))
    for c in run["cells"]:  # fields where null means "none", not a number
        c["epochs"] = [None if isinstance(e, float) else e for e in c["epochs"]]
    return run


def code_version():
    """Which ``skopt_gd`` ran: its git commit, and whether its files had changes."""
    import subprocess

    import skopt_gd

    where = Path(skopt_gd.__file__).resolve().parent
    try:
        def git(*args):
            return subprocess.run(["git", "-C", str(where), *args], capture_output=True,
                                  text=True, check=True, timeout=30).stdout.strip()
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return f"skopt_gd from {where} (not a git checkout)"
    return f"skopt_gd at {commit}" + (" with uncommitted changes" if dirty else "")


def _duration(seconds):
    """``"42 s"`` under two minutes (a quick run), else ``"12.3 min"``."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def parse(argv, optimizers):
    """Command-line options; ``--optimizers`` defaults to every alias (quick: three)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.panel",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{len(panel_data.QUICK)} small sets, 3 folds, "
                             f"{', '.join(QUICK_OPTIMIZERS)}")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=list(panel_data.SETS),
                        help="data set names (default: all, or the quick ones)")
    parser.add_argument("--optimizers", type=lambda s: [o for o in s.split(",") if o],
                        help=f"comma-separated aliases among {', '.join(optimizers)}")
    parser.add_argument("--folds", type=int, help="CV folds (default 5, quick 3)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="output folder")
    parser.add_argument("--params", nargs="+", default=[], metavar="NAME=VALUE",
                        help="set these estimator parameters too (Python literals, e.g. "
                             "batch_size=None); the report is then a subset's")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only rewrite the markdown next to a saved panel JSON")
    args = parser.parse_args(argv)
    try:
        args.params = {k: ast.literal_eval(v) for k, v in
                       (item.split("=", 1) for item in args.params)}
    except (ValueError, SyntaxError) as exc:
        parser.error(f"--params takes NAME=VALUE with a Python literal value ({exc})")
    if args.optimizers is None:
        args.optimizers = [o for o in QUICK_OPTIMIZERS if o in optimizers] if args.quick \
            else list(optimizers)
    unknown = [o for o in args.optimizers if o not in optimizers]
    if unknown:
        parser.error(f"unknown optimizer(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(optimizers)}")
    return args


def main(argv=None):
    """Run the panel, write the report, print the summary; return the run's data."""
    from skopt_gd.optimizers import OPTIMIZERS

    from benchmarks.run import load, machine

    args = parse(argv, OPTIMIZERS)
    if args.render:
        path = args.render.with_suffix(".md")
        path.write_text(markdown(load_run(args.render)), encoding="utf-8")
        print(f"wrote {path}")
        return None
    PARAMS.clear()
    PARAMS.update(args.params)
    names = args.only or (list(panel_data.QUICK) if args.quick else None)
    folds = args.folds or (3 if args.quick else 5)
    start, load_start = time.perf_counter(), load()
    sets, skipped = panel_data.load_all(names)
    print(f"{len(sets)} data sets x {len(args.optimizers)} optimizers, {folds}-fold CV")
    warm = warm_up(args.optimizers)
    datasets, cells = [], []
    for ds in sets:
        print(f"{ds.name}: {ds.label}", flush=True)
        info, mine = run_dataset(ds, args.optimizers, folds,
                                 log=lambda line: print(line, flush=True))
        datasets.append(info)
        cells += mine
    full = not (args.quick or args.only or args.optimizers != list(OPTIMIZERS) or args.folds
                or args.params)
    stem = "panel" if full else "panel-quick" if args.quick else "panel-subset"
    specs = {t: str(asdict(spec_of(ours(t, args.optimizers[0]))))
             for t in (panel_data.REGRESSION, panel_data.CLASSIFICATION)}
    meta = dict(date=time.strftime("%Y-%m-%d %H:%M"), machine=machine(), code=code_version(),
                threads=numba_threads(),
                load_start=load_start,
                load_end=load(), seconds=time.perf_counter() - start, warm_up_seconds=warm,
                command=" ".join(["python -m benchmarks.panel", *(argv or sys.argv[1:])]),
                folds=folds, optimizers=args.optimizers, specs=specs, skipped=skipped,
                title_suffix="" if full else " (quick)" if args.quick else " (subset)")
    path = write(dict(meta=meta, datasets=datasets, cells=cells), args.out, stem)
    print(summary(cells, args.optimizers))
    print(f"wrote {path} in {_duration(meta['seconds'])}")
    return dict(meta=meta, datasets=datasets, cells=cells)


if __name__ == "__main__":
    main()
