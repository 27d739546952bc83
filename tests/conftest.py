"""Shared, seeded test data for the skopt_gd suite.

Every dataset is small, standardized and built from a fixed seed, so any test
can use it without rescaling or worrying about divergence:

* ``regression_data``  -> ``(X, y, w, b)``: ``y = X @ w + b + small noise``
* ``binary_data``      -> ``(X, y)``: labels in {0, 1}, linearly separable-ish
* ``multiclass_data``  -> ``(X, y)``: labels in {0, 1, 2}
* ``input_variant``    -> a converter ``X -> X'`` parametrized over
  ``"dense"`` (float64 ndarray), ``"csr"`` (float64 CSR) and ``"float32"``;
  its ``.kind`` attribute names the variant and ``.dtype`` the expected dtype
  of fitted coefficients.

The fixtures return fresh copies, so a test may modify what it receives.
"""

import os

# scikit-learn's Array API dispatch (tests/test_array_api.py) needs this set before
# scipy is first imported; for numpy inputs scipy behaves the same either way.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.sparse as sp  # noqa: E402

try:  # Hypothesis profiles must be registered before pytest configures it.
    import hypothesis_profiles  # noqa: F401
except ImportError:  # hypothesis is optional for the suites that do not use it
    pass

SEED = 0
N_SAMPLES, N_FEATURES = 60, 4


def _standardized(rng, n_samples, n_features):
    X = rng.randn(n_samples, n_features)
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _linear_problem(seed):
    rng = np.random.RandomState(seed)
    X = _standardized(rng, N_SAMPLES, N_FEATURES)
    w = rng.uniform(-2.0, 2.0, size=N_FEATURES)
    return rng, X, w


@pytest.fixture
def regression_data():
    """``(X, y, w, b)`` with ``y = X @ w + b + 0.1 * noise``."""
    rng, X, w = _linear_problem(SEED)
    b = 0.5
    y = X @ w + b + 0.1 * rng.randn(N_SAMPLES)
    return X, y, w, b


@pytest.fixture
def binary_data():
    """``(X, y)``, ``y`` in {0, 1} from a noisy linear score (both classes present)."""
    rng, X, w = _linear_problem(SEED + 1)
    y = (X @ w + 0.5 * rng.randn(N_SAMPLES) > 0).astype(int)
    return X, y


@pytest.fixture
def multiclass_data():
    """``(X, y)``, ``y`` in {0, 1, 2}: the argmax of three noisy linear scores."""
    rng = np.random.RandomState(SEED + 2)
    X = _standardized(rng, N_SAMPLES + 30, N_FEATURES)
    W = rng.uniform(-2.0, 2.0, size=(N_FEATURES, 3))
    y = np.argmax(X @ W + 0.3 * rng.randn(len(X), 3), axis=1)
    return X, y


def _dense(X):
    return np.array(X, dtype=np.float64)


def _csr(X):
    return sp.csr_matrix(np.asarray(X, dtype=np.float64))


def _float32(X):
    return np.array(X, dtype=np.float32)


_VARIANTS = {
    "dense": (_dense, np.float64),
    "csr": (_csr, np.float64),
    "float32": (_float32, np.float32),
}


@pytest.fixture(params=sorted(_VARIANTS))
def input_variant(request):
    """Converter of a dense ``X`` to the ``dense`` / ``csr`` / ``float32`` variant."""
    convert, dtype = _VARIANTS[request.param]

    def variant(X):
        return convert(X)

    variant.kind = request.param
    variant.dtype = dtype
    return variant


#: Suites written against the original-coordinate engine and the defaults before
#: issue 10 (eta0=0.01, tol=1e-4 absolute-ish, n_iter_no_change=5, penalty="l2",
#: preconditioning=None): their step sizes and expected trajectories are stated in
#: those terms, so they run with those defaults pinned (explicit parameters still win).
#: The scale-free defaults are tested in test_scale_free.py, test_defaults.py,
#: test_estimator_checks.py and the panel.
LEGACY_DEFAULTS = {"eta0": 0.01, "tol": 1e-4, "n_iter_no_change": 5, "penalty": "l2",
                   "preconditioning": None}
LEGACY_MODULES = {
    "test_divergence", "test_errors", "test_extremes", "test_streaming", "test_kernels",
    "test_trajectories", "test_optimizers", "test_schedules", "test_exact_solvers",
    "test_persistence", "test_properties", "test_sklearn_integration", "test_state_safety",
    "test_plotting",
}


@pytest.fixture(autouse=True)
def _legacy_defaults(request, monkeypatch):
    if request.module.__name__.rsplit(".", 1)[-1] not in LEGACY_MODULES:
        return
    from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

    for cls in (SGDLinearRegressor, SGDLogisticClassifier):
        defaults = dict(cls.__init__.__kwdefaults__)
        defaults.update(LEGACY_DEFAULTS)
        monkeypatch.setattr(cls.__init__, "__kwdefaults__", defaults)
