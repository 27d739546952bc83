"""``eta0="auto"``'s smoothness (``_precondition.lipschitz``) against its docstring's
formula written out here with numpy: the rows in phi built explicitly, the Hessian bound's
top eigenvalue, Gower et al.'s batch smoothness; and the ``...CV`` path's shared Gram
matrix (``row_moments``) gives the same value as a fit's own."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skopt_gd import SGDLogisticClassifier
from skopt_gd import _precondition
from skopt_gd._cv_path import _path_class
from skopt_gd._precondition import Preconditioner


def _reference(X, sw, pre, curvature, l2, batch_size):
    """The docstring's ``L_B`` on the evenly strided rows, every row mapped to phi."""
    stride = max(1, X.shape[0] // _precondition.LIPSCHITZ_ROWS)
    rows, s = X[::stride].astype(np.float64), sw[::stride].astype(np.float64)
    d = X.shape[1]
    B = rows - (pre.shift if pre.shift is not None and pre.fit_intercept else 0.0)
    if pre.mode == "full":
        Z, pen_matrix = B @ pre.M, pre.M.T @ pre.M
    elif pre.mode == "diag":
        Z, pen_matrix = B * pre.M, np.diag(pre.M**2)
    else:
        Z, pen_matrix = B, np.eye(d)
    A = np.column_stack([Z, np.full(len(Z), float(pre.fit_intercept))])
    H = curvature * (A * s[:, None]).T @ A / s.sum()
    H[:d, :d] += l2 * pen_matrix
    top = np.linalg.eigvalsh(H)[-1]
    top_row = curvature * (np.max(np.sum(Z**2, axis=1)) + pre.fit_intercept) + \
        l2 * np.max(np.diag(pen_matrix))
    n, b = X.shape[0], min(batch_size, X.shape[0])
    if n == 1:  # one row: the one-row bound
        return top_row
    L_B = n * (b - 1) / (b * (n - 1)) * top + (n - b) / (b * (n - 1)) * top_row
    return max(L_B, top)


def _maps(d, rng):
    shift = rng.normal(0, 50, d)
    full = rng.standard_normal((d, d)) / np.sqrt(d) + np.eye(d)
    return [
        Preconditioner(n_features=d, fit_intercept=True, mode="full", M=full, shift=shift),
        Preconditioner(n_features=d, fit_intercept=True, mode="diag",
                       M=rng.uniform(0.01, 2.0, d), shift=shift),
        Preconditioner(n_features=d, fit_intercept=False, mode="diag",
                       M=rng.uniform(0.01, 2.0, d)),
        Preconditioner(n_features=d, fit_intercept=True),
    ]


@pytest.mark.parametrize("n", [1, 300, 20_000])
@pytest.mark.parametrize("batch_size", [1, 32, None])
@pytest.mark.parametrize("shared", [False, True])
def test_smoothness_is_the_documented_formula(n, batch_size, shared):
    rng = np.random.default_rng(n)
    d = 7
    X = rng.normal(0, 1, (n, d)) * rng.uniform(0.1, 100, d) + rng.uniform(-1e3, 1e3, d)
    sw = rng.uniform(0.2, 3.0, n)
    b = n if batch_size is None else batch_size
    for pre in _maps(d, rng):
        moments = _precondition.row_moments(X, sw, pre) if shared else None
        got = _precondition.lipschitz(X, sw, pre, curvature=0.25, l2=0.3, batch_size=b,
                                      moments=moments)
        assert_allclose(got, _reference(X, sw, pre, 0.25, 0.3, b), rtol=1e-9)


def test_path_fits_resolve_the_same_eta0_as_a_cold_fit():
    """The path computes the rows' Gram matrix once for all alphas: each fit's
    ``eta0="auto"`` equals the one a plain fit at that alpha resolves."""
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (6000, 12)) * rng.uniform(0.1, 100, 12) + 40.0
    y = (X[:, 0] / 50 + rng.normal(0, 1, 6000) > 0.8).astype(int)
    params = dict(batch_size=None, learning_rate="constant", max_iter=3, tol=None,
                  random_state=0)
    path = _path_class(SGDLogisticClassifier)(warm_start=True, **params)
    for alpha in (1e-1, 1e-3, 1e-6):
        path.set_params(alpha=alpha).fit(X, y)
        cold = SGDLogisticClassifier(alpha=alpha, **params).fit(X, y)
        assert path._state.eta0 == pytest.approx(cold._state.eta0, rel=1e-12)
