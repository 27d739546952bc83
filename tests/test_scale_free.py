"""Scale-free defaults (``preconditioning="auto"``, ``eta0="auto"``): raw tables, no scaler.

References are independent of the code under test: ``LinearRegression``,
``Ridge``, ``Lasso``, ``ElasticNet`` and ``LogisticRegression`` fitted on the
same raw data, and the invariances a linear least-squares fit has exactly
(rescaling or shifting a column of X, an affine map of y).
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.datasets import load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd.optimizers import OPTIMIZERS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

INVARIANCE = 1e-4  # issue 10: ||p' - p|| / ||p - mean(p)||


def _raw_regression(seed=0, n=300):
    """Columns in wildly different units and offsets, a target far from zero."""
    rng = np.random.RandomState(seed)
    Z = rng.randn(n, 5)
    Z[:, 1] += 0.6 * Z[:, 0]  # correlated columns
    scales = np.array([1e4, 1e-3, 1.0, 250.0, 1e6])
    offsets = np.array([5e4, 0.0, -3.0, 1e3, 2e7])
    X = Z * scales + offsets
    y = 65_000.0 + 3_000.0 * (Z @ [1.0, -2.0, 0.5, 0.0, 1.5]) + 300.0 * rng.randn(n)
    return X, y


class _Standardized:
    """``LinearRegression`` on standardized columns: the same least-squares fit, solved
    where its SVD cutoff cannot drop a column of small units (plain ``LinearRegression``
    on ``_raw_regression`` scores R^2 0.32 for that reason)."""

    def __init__(self, solver):
        self.solver = solver

    def fit(self, X, y, sample_weight=None):
        self.mean_, self.std_ = X.mean(axis=0), X.std(axis=0)
        self.solver.fit((X - self.mean_) / self.std_, y, sample_weight=sample_weight)
        self.coef_ = self.solver.coef_ / self.std_
        self.intercept_ = self.solver.intercept_ - self.mean_ @ self.coef_
        return self

    def predict(self, X):
        return X @ self.coef_ + self.intercept_

    def score(self, X, y):
        return 1 - np.mean((self.predict(X) - y) ** 2) / np.var(y)


def _log_objective(est, X, y, alpha):
    """Mean cross-entropy plus ``alpha ||w||^2 / 2`` (numpy, from the probabilities)."""
    p = np.clip(est.predict_proba(X)[np.arange(len(y)), np.searchsorted(est.classes_, y)],
                1e-300, None)
    return -np.mean(np.log(p)) + 0.5 * alpha * np.sum(np.asarray(est.coef_) ** 2)


def _log_zero(y):
    freq = np.bincount(y) / len(y)
    return -np.mean(np.log(freq[y]))


def _rel(p, q):
    return np.linalg.norm(p - q) / np.linalg.norm(q - q.mean())


def _objective(X, y, coef, intercept, alpha=0.0, l1=0.0):
    r = y - X @ coef - intercept
    return (0.5 * np.mean(r * r) + alpha * (l1 * np.abs(coef).sum()
                                            + (1 - l1) * 0.5 * coef @ coef))


# ---- the exact solver's answer at defaults -------------------------------------------
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_defaults_match_linear_regression_on_raw_columns(optimizer):
    X, y = _raw_regression()
    exact = _Standardized(LinearRegression()).fit(X, y)
    ours = SGDLinearRegressor(optimizer=optimizer, random_state=0).fit(X, y)
    j_star = _objective(X, y, exact.coef_, exact.intercept_)
    j_zero = 0.5 * np.var(y)
    gap = (_objective(X, y, ours.coef_, ours.intercept_) - j_star) / (j_zero - j_star)
    assert gap <= 1e-3
    assert abs(ours.score(X, y) - exact.score(X, y)) <= 1e-3


def test_defaults_on_raw_diabetes_match_linear_regression():
    X, y = load_diabetes(return_X_y=True, scaled=False)
    exact = LinearRegression().fit(X, y)
    ours = SGDLinearRegressor(random_state=0).fit(X, y)
    assert _rel(ours.predict(X), exact.predict(X)) < 1e-2


# ---- invariances ------------------------------------------------------------------------
@pytest.mark.parametrize("factor", [1e-6, 1e-3, 7.0, 1e6])
@pytest.mark.parametrize("column", [0, 2])
def test_predictions_invariant_to_column_scale(factor, column):
    X, y = _raw_regression()
    est = SGDLinearRegressor(random_state=0)
    base = est.fit(X, y).predict(X)
    Xs = X.copy()
    Xs[:, column] *= factor
    moved = SGDLinearRegressor(random_state=0).fit(Xs, y).predict(Xs)
    assert _rel(moved, base) < INVARIANCE


@pytest.mark.parametrize("shift", [-1e5, 3.0, 1e8])
def test_predictions_invariant_to_column_shift(shift):
    X, y = _raw_regression()
    base = SGDLinearRegressor(random_state=0).fit(X, y).predict(X)
    Xs = X.copy()
    Xs[:, 3] += shift
    moved = SGDLinearRegressor(random_state=0).fit(Xs, y).predict(Xs)
    assert _rel(moved, base) < INVARIANCE


@pytest.mark.parametrize("a, b", [(1e-6, 0.0), (-3.0, 1e9), (1e6, -5.0)])
def test_predictions_follow_affine_target(a, b):
    X, y = _raw_regression()
    base = SGDLinearRegressor(random_state=0).fit(X, y).predict(X)
    moved = SGDLinearRegressor(random_state=0).fit(X, a * y + b).predict(X)
    assert _rel((moved - b) / a, base) < INVARIANCE


@pytest.mark.parametrize("factor", [1e-6, 1e6])
def test_sparse_predictions_invariant_to_column_scale(factor):
    rng = np.random.RandomState(1)
    X = sp.random(400, 30, density=0.2, random_state=rng, format="csr")
    X = X @ sp.diags(np.logspace(-3, 3, 30))
    y = X @ rng.randn(30) * 1e3 + 5.0 + rng.randn(400)
    base = SGDLinearRegressor(random_state=0).fit(X, y).predict(X)
    scale = np.ones(30)
    scale[4] = factor
    Xs = sp.csr_matrix(X @ sp.diags(scale))
    moved = SGDLinearRegressor(random_state=0).fit(Xs, y).predict(Xs)
    assert _rel(moved, base) < INVARIANCE
    exact = LinearRegression().fit(X.toarray(), y).predict(X.toarray())
    assert _rel(base, exact) < 1e-2


def test_classifier_invariant_to_column_scale():
    rng = np.random.RandomState(2)
    Z = rng.randn(400, 3)
    y = (Z @ [1.0, -1.0, 0.5] + rng.randn(400) > 0).astype(int)  # overlapping classes
    X = Z * [1e-4, 1.0, 1e5] + [0.0, 7.0, -3e6]
    kw = dict(penalty=None, random_state=0)
    ours = SGDLogisticClassifier(**kw).fit(X, y)
    base = ours.decision_function(X)
    Xs = X * [1e3, 1.0, 1e-4]
    moved = SGDLogisticClassifier(**kw).fit(Xs, y).decision_function(Xs)
    assert _rel(moved, base) < INVARIANCE
    Z = (X - X.mean(0)) / X.std(0)
    exact = LogisticRegression(C=np.inf, max_iter=10_000, tol=1e-12).fit(Z, y)
    j_star = _log_objective(exact, Z, y, 0.0)
    assert (_log_objective(ours, X, y, 0.0) - j_star) / (_log_zero(y) - j_star) < 1e-3


# ---- the exact solvers of penalized objectives, on raw columns ---------------------
def test_ridge_on_raw_columns():
    X, y = _raw_regression()
    n, a = len(y), 1e3
    exact = Ridge(alpha=a).fit(X, y)
    ours = SGDLinearRegressor(penalty="l2", alpha=a / n, random_state=0).fit(X, y)
    j = lambda c, b: _objective(X, y, c, b, a / n)  # noqa: E731
    j_star = j(exact.coef_, exact.intercept_)
    assert (j(ours.coef_, ours.intercept_) - j_star) / (0.5 * np.var(y) - j_star) < 1e-3


@pytest.mark.parametrize("solver, l1_ratio", [(Lasso, 1.0), (ElasticNet, 0.5)])
def test_lasso_zero_pattern_on_raw_columns(solver, l1_ratio):
    X, y = _raw_regression()
    X = X[:, [0, 1, 2, 3]]  # the 4th column has no signal: Lasso zeroes it
    a = 30.0
    kw = dict(alpha=a) if solver is Lasso else dict(alpha=a, l1_ratio=l1_ratio)
    exact = solver(**kw, tol=1e-12, max_iter=100_000).fit(X, y)
    penalty = "l1" if solver is Lasso else "elasticnet"
    ours = SGDLinearRegressor(penalty=penalty, alpha=a, l1_ratio=l1_ratio, batch_size=None,
                              random_state=0, max_iter=5000).fit(X, y)  # full batch
    assert_array_equal(ours.coef_ == 0, exact.coef_ == 0)
    j = lambda c, b: _objective(X, y, c, b, a, l1_ratio)  # noqa: E731
    j_star = j(exact.coef_, exact.intercept_)
    assert (j(ours.coef_, ours.intercept_) - j_star) / (0.5 * np.var(y) - j_star) < 1e-3


@pytest.mark.parametrize("multinomial", [False, True])
def test_logistic_regression_on_raw_columns(multinomial):
    X, y = load_wine(return_X_y=True)
    if not multinomial:
        y = (y == 1).astype(int)
    n, C = len(y), 1.0
    alpha = 1.0 / (C * n)
    exact = LogisticRegression(C=C, max_iter=100_000, tol=1e-10).fit(X, y)
    ours = SGDLogisticClassifier(alpha=alpha, batch_size=None, random_state=0).fit(X, y)
    assert np.mean(ours.predict(X) == exact.predict(X)) >= 0.98
    j_star = _log_objective(exact, X, y, alpha)
    assert (_log_objective(ours, X, y, alpha) - j_star) / (_log_zero(y) - j_star) < 1e-3


# ---- weights, partial_fit, sparse, hostile columns --------------------------------------
def test_class_weight_acts_at_batch_size_one():
    rng = np.random.RandomState(3)
    X = rng.randn(300, 2) * [1e3, 1e-2]
    y = (X[:, 0] / 1e3 + rng.randn(300) > 0.8).astype(int)
    plain = SGDLogisticClassifier(batch_size=1, random_state=0, max_iter=30).fit(X, y)
    tilted = SGDLogisticClassifier(batch_size=1, random_state=0, max_iter=30,
                                   class_weight={1: 20.0}).fit(X, y)
    assert tilted.predict(X).mean() > plain.predict(X).mean() + 0.1


def test_sample_weight_is_repetition_in_expectation_at_batch_size_one():
    X, y = _raw_regression(n=200)
    w = np.where(np.arange(200) % 4 == 0, 3.0, 1.0)
    weighted = SGDLinearRegressor(batch_size=1, random_state=0).fit(X, y, sample_weight=w)
    exact = _Standardized(LinearRegression()).fit(X, y, sample_weight=w)
    assert _rel(weighted.predict(X), exact.predict(X)) < 2e-2


def test_partial_fit_chunks_land_on_fit():
    X, y = _raw_regression(n=600)
    full = _Standardized(LinearRegression()).fit(X, y)
    est = SGDLinearRegressor(random_state=0)
    for _ in range(40):  # E epochs of K chunks
        for lo in range(0, 600, 150):
            est.partial_fit(X[lo:lo + 150], y[lo:lo + 150])
    assert abs(est.score(X, y) - full.score(X, y)) < 1e-2


def test_sparse_fit_is_never_densified(monkeypatch):
    X = sp.random(2000, 200_000, density=5e-5, random_state=0, format="csr")
    y = np.asarray(X.sum(axis=1)).ravel() * 10 + 3.0

    def refuse(*args, **kwargs):
        raise AssertionError("sparse X densified")

    monkeypatch.setattr(sp.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(sp.csr_matrix, "todense", refuse)
    est = SGDLinearRegressor(random_state=0, max_iter=20).fit(X, y)
    assert est.coef_.shape == (200_000,)


def test_hostile_column_scales_and_constants():
    rng = np.random.RandomState(4)
    Z = rng.randn(200, 3)
    X = np.column_stack([Z[:, 0] * 1e150, Z[:, 1] * 1e-150, np.full(200, 42.0), Z[:, 2]])
    y = 1e12 + 1e9 * (Z @ [1.0, 2.0, -1.0]) + 1e8 * rng.randn(200)
    exact = _Standardized(LinearRegression()).fit(X[:, [0, 1, 3]], y)
    ours = SGDLinearRegressor(random_state=0).fit(X, y)
    assert np.all(np.isfinite(ours.coef_))
    assert ours.coef_[2] == 0.0
    assert abs(ours.score(X, y) - exact.score(X[:, [0, 1, 3]], y)) < 1e-3


def test_preconditioning_none_keeps_original_coordinates():
    X, y = _raw_regression()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = SGDLinearRegressor(preconditioning=None, learning_rate="constant", eta0=1e-30,
                                 batch_size=None, shuffle=False, max_iter=1, tol=None)
        est.fit(X, y)
    # one full-batch step from zero in the original coordinates: -eta0 * grad J(0)
    grad = -(X.T @ y) / len(y)
    assert np.allclose(est.coef_, -1e-30 * grad, rtol=1e-12)
    assert np.isclose(est.intercept_, 1e-30 * y.mean(), rtol=1e-12)


def test_averaged_point_is_judged_for_divergence():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([1.0, -1.0])
    est = SGDLinearRegressor(optimizer="adagrad", eta0=10.0, max_iter=2, average=True,
                             batch_size=None, learning_rate="constant", tol=None,
                             preconditioning=None)
    try:
        est.fit(X, y)
    except ValueError as exc:
        assert "diverged" in str(exc)
        assert not hasattr(est, "coef_")
        return
    j = _objective(X, y, est.coef_, est.intercept_)
    assert j <= 10 * _objective(X, y, np.zeros(2), 0.0)


def test_preconditioner_and_auto_eta0_temporaries_stay_under_a_tenth_of_X():
    """The statistics behind preconditioning="auto" and eta0="auto" (moments, covariance,
    Lipschitz bound) work on row blocks: their peak extra memory stays below 10 % of X
    (issue 11's memory target; one n x d temporary would be 100 %)."""
    import tracemalloc

    from skopt_gd import _precondition

    rng = np.random.RandomState(0)
    X = rng.standard_normal((200_000, 20))
    y = X @ rng.standard_normal(20)
    sw = np.ones(len(y))
    tracemalloc.start()
    try:
        pre = _precondition.fit(X, y[:, None], sw, fit_intercept=True, kappa=1.0, degree=2,
                                l1=0.0, l2=0.0, batch_size=32)
        _precondition.lipschitz(X, sw, pre, curvature=1.0, l2=0.0, batch_size=32)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pre.mode == "full"
    assert peak < 0.1 * X.nbytes, f"{peak / 2**20:.1f} MiB for X of {X.nbytes / 2**20:.0f} MiB"


def test_weighted_means_and_target_scale_make_no_n_sized_temporaries():
    """The column means and the target's location and scale are summed in row blocks:
    no copy of the weights -- a zero-stride view where the fit has no sample_weight,
    which numpy's matmul reads slowly -- and no float64 copy of float32 X or Y."""
    import tracemalloc

    from skopt_gd import _precondition

    rng = np.random.RandomState(0)
    n = 1_000_000
    X = rng.standard_normal((n, 3)).astype(np.float32) + 7.0
    Y = (X @ np.ones(3, dtype=np.float32) + 1e3)[:, None]
    sw = np.broadcast_to(np.ones(1), (n,))
    tracemalloc.start()
    try:
        mean, _ = _precondition._weighted_moments(X, sw, True, variances=False)
        loc, scale = _precondition._target(Y, sw, True, 2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * n, f"{peak / 2**20:.2f} MiB: an n-sized float64 array is {8 * n / 2**20:.1f}"
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
    np.testing.assert_allclose(mean, X64.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(loc, Y64.mean(axis=0), rtol=1e-12)
    assert scale == pytest.approx(float(Y64.std()), rel=1e-10)


def test_a_refined_log_loss_fit_stays_under_a_tenth_of_X():
    """A converged default classifier fit, refinement stages included (their curvature
    weights are taken on strided rows), allocates less than 10 % of X beyond it: the
    targets (one float per row, 2.5 % of X at 40 columns), the row order and row-block
    temporaries. (Predictions and curvature weights of all rows would add 5 %.)"""
    import tracemalloc

    from skopt_gd import SGDLogisticClassifier

    rng = np.random.RandomState(0)
    X = rng.standard_normal((200_000, 40)) * rng.uniform(0.5, 3.0, 40) + 5.0
    y = ((X - 5.0) @ rng.standard_normal(40) / 4 + rng.logistic(size=len(X)) > 1.0).astype(int)
    SGDLogisticClassifier(random_state=0).fit(X, y)  # numba's cache loads outside
    tracemalloc.start()
    try:
        est = SGDLogisticClassifier(random_state=0).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert est.n_iter_ > 0
    assert peak < 0.1 * X.nbytes, f"{peak / 2**20:.1f} MiB for X of {X.nbytes / 2**20:.0f} MiB"


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("kappa, l2", [(1.0, 0.0), (0.25, 1e-2), (1.0, 3.0)])
@pytest.mark.parametrize("batch_size", [16, 300])
def test_auto_eta0_of_a_full_whitening_equals_its_hessian_bound(fit_intercept, kappa, l2,
                                                                batch_size):
    """A full whitening of all the rows makes ``lipschitz``'s Hessian bound the identity
    on the data's span (``pre.whitened``, no eigenvalue problem solved): the same value,
    to round-off, as the bound's largest eigenvalue computed from its matrix, written
    out here from the map ``z_i = M^T (x_i - mu)``; a collinear pair of columns leaves
    one direction out."""
    from skopt_gd import _precondition

    X, _ = _raw_regression(n=300)
    X = np.column_stack([X, 2.0 * X[:, 0]])
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(X))
    Y = np.zeros((len(X), 1))
    pre = _precondition.fit(X, Y, sw, fit_intercept=fit_intercept, kappa=kappa, degree=0,
                            l1=0.0, l2=l2, batch_size=batch_size)
    assert pre.mode == "full" and pre.whitened is not None
    fast = _precondition.lipschitz(X, sw, pre, curvature=kappa, l2=l2, batch_size=batch_size)
    Z = X - (pre.shift if fit_intercept else 0.0)
    Z = Z @ pre.M
    A = np.column_stack([Z, np.full(len(Z), float(fit_intercept))])
    H = kappa * (A * sw[:, None]).T @ A / sw.sum()
    H[:-1, :-1] += l2 * pre.M.T @ pre.M
    top = np.linalg.eigvalsh(H)[-1]
    row = kappa * ((Z * Z).sum(axis=1).max() + fit_intercept) + l2 * (pre.M**2).sum(0).max()
    n, B = len(X), min(batch_size, len(X))
    expected = max(n * (B - 1) / (B * (n - 1)) * top + (n - B) / (B * (n - 1)) * row, top)
    # the raw columns have condition number ~1e9 (1e18 for their covariance), so the
    # reference's M^T Sigma M carries round-off of ~1e-7 on this BLAS: 1e-6, not 1e-8
    np.testing.assert_allclose(fast, expected, rtol=1e-6)
    assert 1 - 1e-6 <= top <= 1 + 1e-6 or top == pytest.approx(kappa)
    # and the general route (a preconditioner that does not claim it) agrees
    pre.whitened = None
    np.testing.assert_allclose(_precondition.lipschitz(X, sw, pre, curvature=kappa, l2=l2,
                                                       batch_size=batch_size), fast, rtol=1e-6)


def test_default_fit_whitens_all_rows_so_auto_eta0_solves_no_eigenproblem(monkeypatch):
    """The default fit's preconditioner and its eta0="auto" agree on the rows, curvature
    and L2 strength, so the bound's eigenvalue problem is skipped."""
    from skopt_gd import _precondition

    calls = []
    real = np.linalg.eigvalsh
    monkeypatch.setattr(_precondition.np.linalg, "eigvalsh",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    X, y = _raw_regression(n=300)
    SGDLinearRegressor(random_state=0, max_iter=3, tol=None).fit(X, y)
    SGDLogisticClassifier(random_state=0, max_iter=3, tol=None).fit(X, y > y.mean())
    assert calls == []


def test_sparse_column_moments_in_blocks_count_duplicate_entries_once():
    """The sparse second moments sum ``s_i x_ij^2`` over row blocks of the CSR arrays;
    a CSR matrix with duplicate entries holds their sum as the value (scipy's meaning),
    so the moments are those of the dense matrix."""
    from skopt_gd import _precondition

    rng = np.random.RandomState(0)
    n, d = 3000, 40
    indptr = np.arange(0, 6 * n + 1, 6)
    X = sp.csr_matrix((rng.randn(6 * n), rng.randint(0, d, 6 * n), indptr), shape=(n, d))
    assert not X.has_canonical_format
    sw = rng.uniform(0.1, 3.0, n)
    dense = X.toarray()
    _, second = _precondition._weighted_moments(X, sw, False)
    np.testing.assert_allclose(second, sw @ dense**2 / sw.sum(), rtol=1e-12)


def test_sparse_preconditioner_copies_at_most_the_values():
    """Statistics and column scaling of a CSR fit allocate less than the CSR arrays: the
    scaled values are one copy of ``X.data`` (issue 3's sparse memory bound, <= 1x)."""
    import tracemalloc

    from skopt_gd import _precondition

    rng = np.random.RandomState(0)
    n, d, k = 50_000, 20_000, 20
    X = sp.csr_matrix((rng.rand(n * k), rng.randint(0, d, n * k), np.arange(0, n * k + 1, k)),
                      shape=(n, d))
    X.sum_duplicates()
    nbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    sw = np.ones(n)
    tracemalloc.start()
    try:
        pre = _precondition.fit(X, np.zeros((n, 1)), sw, fit_intercept=True, kappa=0.25,
                                degree=0, l1=0.0, l2=1e-5, batch_size=128)
        scaled = _precondition.scale_sparse(X, pre.column_scale)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.8 * nbytes, f"{peak / 2**20:.1f} MiB for CSR of {nbytes / 2**20:.1f} MiB"
    np.testing.assert_array_equal(scaled.indices, X.indices)
    np.testing.assert_allclose(scaled.data, X.data * pre.column_scale[X.indices], rtol=1e-15)


@pytest.mark.parametrize("mode", ["full", "diag"])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_forward_and_pullback_are_the_documented_maps(mode, k, fit_intercept):
    """``forward(phi) = (M v, c - mu . M v)`` and ``pullback(g) = (M^T (g_w - mu g_b), g_b)``
    written out in numpy (the compiled maps the training loop runs, one output and
    several)."""
    from skopt_gd import _precondition

    rng = np.random.RandomState(0)
    X = rng.randn(200, 7) * np.geomspace(0.1, 10.0, 7) + rng.uniform(-5, 5, 7)
    X[:, 3] += 0.5 * X[:, 1]  # correlated columns: a full M is not diagonal
    pre = _precondition.fit(X, np.zeros((200, k)), np.ones(200), fit_intercept=fit_intercept,
                            kappa=1.0, degree=0, l1=0.0 if mode == "full" else 0.1, l2=0.0,
                            batch_size=200)
    assert pre.mode == mode
    M = pre.M if mode == "full" else np.diag(pre.M)
    mu = pre.shift if fit_intercept else np.zeros(7)
    rows = 7 + fit_intercept
    phi, g = rng.randn(rows, k), rng.randn(rows, k)
    w = M @ phi[:7]
    expected = np.vstack([w, phi[7:] - mu @ w]) if fit_intercept else w
    np.testing.assert_allclose(pre.forward(phi), expected, rtol=1e-12, atol=1e-12)
    g_w = g[:7] - (np.outer(mu, g[7]) if fit_intercept else 0.0)
    expected = np.vstack([M.T @ g_w, g[7:]]) if fit_intercept else M.T @ g_w
    np.testing.assert_allclose(pre.pullback(g), expected, rtol=1e-12, atol=1e-12)
