"""Array API: estimators fit and predict on torch / array_api_strict arrays in their namespace.

scikit-learn refuses ``array_api_dispatch=True`` unless ``SCIPY_ARRAY_API=1``
was set before scipy was first imported, so this module is skipped without it
(CI runs it as ``SCIPY_ARRAY_API=1 pytest ...``). Each namespace is skipped
when its package is absent; torch on CUDA is added when a GPU is present.

References are the numpy fits of the same estimators (whose arithmetic the
other test files check against independent formulas): the Array API path
runs the same loop, so coefficients agree to float64 round-off.
"""

import os
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

if os.environ.get("SCIPY_ARRAY_API") != "1":
    pytest.skip("array_api_dispatch needs SCIPY_ARRAY_API=1 set before scipy is imported",
                allow_module_level=True)


def _strict():
    xps = pytest.importorskip("array_api_strict")
    return xps, xps.asarray, type(xps.asarray(0.0)), lambda a: np.asarray(a)


def _torch(device):
    def make():
        torch = pytest.importorskip("torch")
        if device == "cuda" and not torch.cuda.is_available():
            pytest.skip("no CUDA device")
        return (torch, lambda a: torch.asarray(a, device=device), torch.Tensor,
                lambda a: a.cpu().numpy())
    return make


NAMESPACES = {"array_api_strict": _strict, "torch-cpu": _torch("cpu"),
              "torch-cuda": _torch("cuda")}


@pytest.fixture(params=list(NAMESPACES))
def space(request):
    """(module, to_array, array type, to_numpy) of one namespace, with dispatch on."""
    made = NAMESPACES[request.param]()
    with sklearn.config_context(array_api_dispatch=True):
        yield made


def _data(n=200, d=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = X @ rng.randn(d) + 0.5 + 0.1 * rng.randn(n)
    labels = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])
    return X, y, labels


def _fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _numpy_fit(est, *args, **kwargs):
    with sklearn.config_context(array_api_dispatch=False):
        return _fit(clone(est), *args, **kwargs)


CASES = [  # (estimator, target) -- full batch, shuffled mini-batches, every loss family
    (SGDLinearRegressor(preconditioning=None, batch_size=None, eta0=0.1), "y"),
    (SGDLinearRegressor(preconditioning=None, batch_size=16, optimizer="adam", penalty="l1", alpha=1e-3,
                        average=True), "y"),
    (SGDLinearRegressor(preconditioning=None, loss="huber", epsilon=0.3, batch_size=32, learning_rate="invscaling",
                        eta0=0.05), "y"),
    (SGDLinearRegressor(preconditioning=None, loss="epsilon_insensitive", batch_size=None, optimizer="rmsprop"), "y"),
    (SGDLogisticClassifier(preconditioning=None, batch_size=None, eta0=0.5), "binary"),
    (SGDLogisticClassifier(preconditioning=None, batch_size=20, optimizer="nadam", class_weight="balanced"), "multi"),
]


@pytest.mark.parametrize("est, target", CASES)
def test_fit_matches_numpy_and_stays_in_namespace(space, est, target):
    xp, to_xp, array_type, to_np = space
    X, y, labels = _data()
    t = {"y": y, "binary": labels > 0, "multi": labels}[target]
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    est = clone(est).set_params(max_iter=15, tol=None, random_state=0)
    ref = _numpy_fit(est, X, t, sample_weight=sw)
    got = _fit(clone(est), to_xp(X), to_xp(t), sample_weight=to_xp(sw))
    assert isinstance(got.coef_, array_type) and isinstance(got.intercept_, array_type)
    assert got.coef_.device == to_xp(X).device
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(to_np(got.coef_), ref.coef_, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(to_np(got.intercept_), ref.intercept_, rtol=0, atol=1e-12 * scale)
    assert (got.t_, got.n_iter_) == (ref.t_, ref.n_iter_)
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-12)


def test_regressor_predict_and_score_in_namespace(space):
    xp, to_xp, array_type, to_np = space
    X, y, _ = _data()
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, eta0=0.1, max_iter=20, tol=None)
    got = _fit(clone(est), to_xp(X), to_xp(y))
    pred = got.predict(to_xp(X))
    assert isinstance(pred, array_type) and pred.shape == (len(y),)
    coef, intercept = to_np(got.coef_), float(to_np(got.intercept_))
    np.testing.assert_allclose(to_np(pred), X @ coef + intercept, rtol=1e-12)
    r2 = 1 - np.sum((y - X @ coef - intercept) ** 2) / np.sum((y - y.mean()) ** 2)
    assert float(got.score(to_xp(X), to_xp(y))) == pytest.approx(r2, rel=1e-10)


def test_float32_stays_float32(space):
    xp, to_xp, array_type, to_np = space
    X, y, _ = _data()
    X32 = X.astype(np.float32)
    got = _fit(SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=10, tol=None), to_xp(X32), to_xp(y))
    assert got.coef_.dtype == xp.float32
    assert got.predict(to_xp(X32)).dtype == xp.float32
    ref = _numpy_fit(SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=10, tol=None), X32, y)
    np.testing.assert_allclose(to_np(got.coef_), ref.coef_, rtol=1e-5)


def test_partial_fit_continues_in_namespace(space):
    xp, to_xp, array_type, to_np = space
    X, _, labels = _data()
    est = SGDLogisticClassifier(preconditioning=None, batch_size=25, optimizer="adam", shuffle=False)
    ref, got = clone(est), clone(est)
    for block in (slice(0, 100), slice(100, 200)):
        with sklearn.config_context(array_api_dispatch=False):
            ref.partial_fit(X[block], labels[block], classes=[0, 1, 2])
        got.partial_fit(to_xp(X[block]), to_xp(labels[block]), classes=[0, 1, 2])
    np.testing.assert_allclose(to_np(got.coef_), ref.coef_, rtol=1e-12, atol=1e-14)
    assert got.t_ == ref.t_ == 8
    scores = got.decision_function(to_xp(X))
    assert isinstance(scores, array_type) and scores.shape == (200, 3)


def test_warm_start_continues_in_namespace(space):
    xp, to_xp, array_type, to_np = space
    X, y, _ = _data()
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=5, tol=None, warm_start=True)
    ref, got = clone(est), clone(est)
    for _ in range(2):
        with sklearn.config_context(array_api_dispatch=False):
            _fit(ref, X, y)
        _fit(got, to_xp(X), to_xp(y))
    np.testing.assert_allclose(to_np(got.coef_), ref.coef_, rtol=1e-12)
    assert got.loss_curve_[0] < _fit(clone(est), to_xp(X), to_xp(y)).loss_curve_[-1]


def test_classifier_outputs_in_namespace(space):
    xp, to_xp, array_type, to_np = space
    X, _, labels = _data()
    got = _fit(SGDLogisticClassifier(preconditioning=None, batch_size=None, eta0=0.5, max_iter=20, tol=None),
               to_xp(X), to_xp(labels))
    raw = X @ to_np(got.coef_).T + to_np(got.intercept_)
    proba = got.predict_proba(to_xp(X))
    assert isinstance(proba, array_type)
    expected = np.exp(raw - raw.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(to_np(proba), expected, rtol=1e-12)
    np.testing.assert_allclose(to_np(got.predict_log_proba(to_xp(X))), np.log(expected),
                               rtol=1e-10)
    np.testing.assert_array_equal(to_np(got.predict(to_xp(X))), raw.argmax(axis=1))


@pytest.mark.parametrize("make, message", [
    (lambda X, y: (SGDLinearRegressor(preconditioning=None, early_stopping=True), X, y), "early_stopping"),
    (lambda X, y: (SGDLinearRegressor(preconditioning=None), np.where(X > 2, np.nan, X), y), "NaN"),
    (lambda X, y: (SGDLinearRegressor(preconditioning=None), X, y[:-1]), "inconsistent numbers of samples"),
])
def test_errors_are_clear_and_leave_estimator_unfitted(space, make, message):
    xp, to_xp, array_type, to_np = space
    X, y, _ = _data()
    est, X, y = make(X, y)
    with pytest.raises(ValueError, match=message):
        est.fit(to_xp(X), to_xp(y))
    assert not hasattr(est, "coef_")


def test_predict_checks_the_number_of_features(space):
    xp, to_xp, array_type, to_np = space
    X, y, _ = _data()
    est = _fit(SGDLinearRegressor(preconditioning=None, max_iter=3), to_xp(X), to_xp(y))
    with pytest.raises(ValueError, match="X has 3 features, but the model is expecting 4"):
        est.predict(to_xp(X[:, :3]))
