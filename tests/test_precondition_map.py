"""The preconditioner's map between the optimizer's parameters and the user's, both ways
(``Preconditioner.to_original`` / ``from_original``, the warm-start map), against the
documented affine map written out here: ``theta' = (M v, c - mu . M v)``, then
``theta = y_scale theta'`` with ``y_loc`` added to the intercept row."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skopt_gd._precondition import Preconditioner


def _map(mode, d, k, fit_intercept, centred, seed=0):
    rng = np.random.default_rng(seed)
    M = rng.uniform(0.1, 3.0, d) if mode == "diag" else (
        rng.standard_normal((d, d)) + 3 * np.eye(d))
    return Preconditioner(n_features=d, fit_intercept=fit_intercept, mode=mode, M=M,
                          shift=rng.standard_normal(d) if centred else None,
                          y_loc=rng.standard_normal(k), y_scale=2.5)


def _original(pre, phi):
    """theta of phi, as the docstring states it (independent of the package's kernels)."""
    d, M = pre.n_features, pre.M
    Mv = M[:, None] * phi[:d] if pre.mode == "diag" else M @ phi[:d]
    theta = [Mv]
    if pre.fit_intercept:
        shift = np.zeros(d) if pre.shift is None else pre.shift
        theta.append(phi[d:] - shift @ Mv)
    theta = pre.y_scale * np.vstack(theta)
    if pre.fit_intercept:
        theta[d] += pre.y_loc
    return theta


@pytest.mark.parametrize("mode", ["diag", "full"])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("fit_intercept, centred", [(True, True), (True, False),
                                                    (False, False)])
def test_warm_start_map_inverts_the_documented_map(mode, k, fit_intercept, centred):
    d = 5
    pre = _map(mode, d, k, fit_intercept, centred)
    phi = np.random.default_rng(1).standard_normal((d + fit_intercept, k))
    theta = _original(pre, phi)
    assert_allclose(pre.to_original(phi), theta, rtol=1e-12, atol=1e-12)
    back = pre.from_original(theta)
    assert back.shape == phi.shape
    assert_allclose(back, phi, rtol=1e-10, atol=1e-12)


def test_warm_start_map_keeps_float32_and_leaves_its_input_alone():
    pre = _map("diag", 4, 1, True, True)
    theta = np.arange(5, dtype=np.float32).reshape(5, 1)
    before = theta.copy()
    phi = pre.from_original(theta)
    assert phi.dtype == np.float32
    assert np.array_equal(theta, before)
    assert_allclose(_original(pre, phi.astype(np.float64)), theta, rtol=1e-5, atol=1e-5)
