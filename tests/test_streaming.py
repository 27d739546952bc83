"""The streaming contract of ``partial_fit``.

One pass over the given block per call; ``classes=`` required on the first
classifier call; ``t_``, the optimizer state and the schedule position carried
across calls (checked against the numpy transcriptions of ``_reference.py``
and against one fit over the concatenated data); ``early_stopping`` rejected.
"""

import importlib.util
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

import _reference as ref

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "stream_csv.py"


def _regression(n=300, d=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    return X, X @ rng.randn(d) + 1.0 + 0.1 * rng.randn(n)


def _classification(n=300, d=4, n_classes=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = np.argmax(X @ rng.randn(d, n_classes) + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


def _blocks(n, sizes):
    edges = np.cumsum([0, *sizes])
    assert edges[-1] == n
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


def _theta(est):
    """(d + 1,) or (k, d + 1): coefficients then intercept, as _reference packs them."""
    coef = np.atleast_2d(est.coef_)
    packed = np.column_stack([coef, np.atleast_1d(est.intercept_)])
    return packed[0] if np.ndim(est.coef_) == 1 else packed


# ---- one pass per call ----------------------------------------------------------------
@pytest.mark.parametrize("make, n, batch_size, shuffle", [
    (lambda: SGDLinearRegressor(), 300, 128, True),  # defaults: tol set, max_iter=1000
    (lambda: SGDLinearRegressor(batch_size=None), 300, None, False),
    (lambda: SGDLogisticClassifier(batch_size=1), 37, 1, True),
    (lambda: SGDLogisticClassifier(batch_size=50, shuffle=False), 120, 50, False),
])
def test_each_call_is_exactly_one_pass(make, n, batch_size, shuffle):
    est = make().set_params(batch_size=batch_size, shuffle=shuffle, random_state=0)
    X, y = _classification(n) if isinstance(est, SGDLogisticClassifier) else _regression(n)
    per_call = 1 if batch_size is None else math.ceil(n / batch_size)
    kwargs = {"classes": np.unique(y)} if isinstance(est, SGDLogisticClassifier) else {}
    for calls in range(1, 4):
        est.partial_fit(X, y, **kwargs)
        assert (est.t_, est.n_iter_, len(est.loss_curve_)) == (calls * per_call, calls, calls)


# ---- state carried across calls: independent reference ---------------------------------
REFERENCE_CASES = [  # (optimizer, learning_rate, penalty/alpha)
    ("sgd", "constant", None),
    ("momentum", "invscaling", 0.01),
    ("nesterov", "constant", None),
    ("adagrad", "constant", 0.01),
    ("rmsprop", "invscaling", None),
    ("adam", "constant", 0.01),
    ("nadam", "invscaling", None),
]


@pytest.mark.parametrize("optimizer, schedule, alpha", REFERENCE_CASES)
def test_partial_fit_follows_reference_across_unequal_blocks(optimizer, schedule, alpha):
    """Blocks of 110, 60 and 130 rows at batch size 40: 3 + 2 + 4 updates, t = 1..9 without reset."""
    X, y = _regression()
    sizes, batch, eta0, power_t = (110, 60, 130), 40, 0.05, 0.5
    batches = []
    for block in _blocks(len(y), sizes):
        batches += [slice(block.start + s.start, block.start + s.stop)
                    for s in ref.batch_slices(block.stop - block.start, batch)]
    params = {"power_t": power_t}
    lrs = [ref.reference_rate(schedule, params, t, eta0) for t in range(1, len(batches) + 1)]
    grad_fn = ref.make_grad_fn("squared_error", X, y, None, batches, alpha=alpha or 0.0)
    expected = ref.reference_run(optimizer, {}, grad_fn, np.zeros(X.shape[1] + 1), lrs)[-1]
    est = SGDLinearRegressor(optimizer=optimizer, learning_rate=schedule, eta0=eta0,
                             power_t=power_t, penalty=None if alpha is None else "l2",
                             alpha=alpha or 0.0, batch_size=batch, shuffle=False)
    for block in _blocks(len(y), sizes):
        est.partial_fit(X[block], y[block])
    np.testing.assert_allclose(_theta(est), expected, rtol=1e-10, atol=1e-12)
    assert est.t_ == len(batches) == 9


# ---- state carried across calls: one fit over the concatenation -------------------------
def _fit_quietly(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


@pytest.mark.parametrize("est", [
    SGDLinearRegressor(optimizer="adam", average=True, penalty="elasticnet", alpha=1e-3),
    SGDLinearRegressor(optimizer="adadelta", learning_rate="invscaling", eta0=1.0),
    SGDLogisticClassifier(optimizer="amsgrad", penalty="l1", alpha=1e-3),
    SGDLogisticClassifier(optimizer="momentum", learning_rate="optimal", alpha=1e-3),
], ids=["reg-adam-avg", "reg-adadelta", "clf-amsgrad-l1", "clf-momentum-optimal"])
def test_epochs_of_partial_fit_equal_one_fit_over_the_concatenation(est):
    """Blocks that are whole numbers of batches, shuffle=False: K calls x E epochs == fit(max_iter=E)."""
    is_clf = isinstance(est, SGDLogisticClassifier)
    X, y = _classification() if is_clf else _regression()
    weights = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    # s_bar of the unbiased batch gradient is the first call's mean weight (fit: all
    # rows'): give the first block the mean of the rest, so that both see the same s_bar
    weights[:100] *= weights[100:].mean() / weights[:100].mean()
    # exact equality needs the same parametrization: "auto" learns its preconditioner
    # from the first call's block (test_scale_free.py: within tolerance of fit)
    est = clone(est).set_params(batch_size=20, shuffle=False, tol=None, max_iter=3,
                                preconditioning=None)
    whole = _fit_quietly(clone(est), X, y, sample_weight=weights)
    streamed = clone(est)
    kwargs = {"classes": np.unique(y)} if is_clf else {}
    blocks = _blocks(len(y), (100, 60, 140))
    for _ in range(3):
        for block in blocks:
            streamed.partial_fit(X[block], y[block], sample_weight=weights[block], **kwargs)
    np.testing.assert_allclose(_theta(streamed), _theta(whole), rtol=1e-12, atol=1e-14)
    assert streamed.t_ == whole.t_ == 3 * len(y) // 20
    # each call's objective is its block's weighted mean: weighted together they give fit's
    first_epoch = np.array(streamed.loss_curve_[:3])
    block_weights = np.array([weights[b].sum() for b in blocks])
    assert first_epoch @ block_weights / weights.sum() == pytest.approx(whole.loss_curve_[0],
                                                                          rel=1e-12)


def test_partial_fit_after_fit_continues_from_it():
    X, y = _regression()
    est = SGDLinearRegressor(optimizer="adam", batch_size=32, shuffle=False, tol=None)
    longer = _fit_quietly(clone(est).set_params(max_iter=4), X, y)
    continued = _fit_quietly(clone(est).set_params(max_iter=3), X, y).partial_fit(X, y)
    np.testing.assert_allclose(_theta(continued), _theta(longer), rtol=1e-12)
    assert (continued.t_, continued.n_iter_) == (longer.t_, 4)


def test_fit_after_partial_fit_starts_over():
    X, y = _regression()
    est = SGDLinearRegressor(batch_size=32, shuffle=False, tol=None, max_iter=2)
    fresh = _fit_quietly(clone(est), X, y)
    reused = clone(est).partial_fit(X[:50], y[:50])
    _fit_quietly(reused, X, y)
    np.testing.assert_allclose(_theta(reused), _theta(fresh), rtol=1e-12)
    assert reused.t_ == fresh.t_


# ---- classes and errors ----------------------------------------------------------------
def test_classes_are_required_on_the_first_call():
    X, y = _classification()
    est = SGDLogisticClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        est.partial_fit(X, y)
    assert not hasattr(est, "coef_") and not hasattr(est, "classes_")


def test_first_block_may_hold_a_single_class_when_classes_are_given():
    X, y = _classification(n_classes=3)
    est = SGDLogisticClassifier(batch_size=10)
    est.partial_fit(X[y == 2], y[y == 2], classes=[0, 1, 2])
    assert est.coef_.shape == (3, X.shape[1])
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert set(est.predict(X[y == 2])) == {2}  # it learned the only class it saw
    est.partial_fit(X, y)  # later calls need no classes=
    assert est.n_iter_ == 2


@pytest.mark.parametrize("call, message", [
    (lambda est, X, y: est.partial_fit(X, y + 5), "not in classes"),
    (lambda est, X, y: est.partial_fit(X, y, classes=[0, 1, 7]), "differs from classes_"),
    (lambda est, X, y: est.partial_fit(X[:, :2], y), "features"),
])
def test_later_calls_reject_inconsistent_data(call, message):
    X, y = _classification()
    est = SGDLogisticClassifier().partial_fit(X, y, classes=[0, 1, 2])
    before = (_theta(est).copy(), est.t_)
    with pytest.raises(ValueError, match=message):
        call(est, X, y)
    np.testing.assert_array_equal(_theta(est), before[0])
    assert est.t_ == before[1]


@pytest.mark.parametrize("est, kwargs, message", [
    (SGDLinearRegressor(early_stopping=True), {}, "has no attribute 'partial_fit'"),
    (SGDLogisticClassifier(early_stopping=True), {"classes": [0, 1, 2]},
     "has no attribute 'partial_fit'"),
    (SGDLogisticClassifier(class_weight="balanced"), {"classes": [0, 1, 2]},
     "class_weight='balanced' is not supported by partial_fit"),
])
def test_unsupported_options_are_rejected_clearly(est, kwargs, message):
    X, y = _classification()
    # early_stopping=True: partial_fit does not exist (available_if), hence AttributeError
    error = AttributeError if est.early_stopping else ValueError
    with pytest.raises(error, match=re.escape(message)):
        est.partial_fit(X, y, **kwargs)
    assert not hasattr(est, "coef_")


# ---- the documented CSV example ----------------------------------------------------------
def _load_example():
    spec = importlib.util.spec_from_file_location("stream_csv", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stream_csv_example_equals_in_memory_fit(tmp_path):
    """Streaming the file in chunks == fitting the whole (scaled) file with the same batches."""
    example = _load_example()
    path = example.write_demo_csv(tmp_path / "demo.csv", n_rows=1200, n_features=5,
                                  chunksize=500, seed=3)
    params = dict(optimizer="adam", eta0=0.05, batch_size=50, shuffle=False, tol=None)
    scaler, streamed = example.stream_fit(path, "label", chunksize=300, epochs=3, **params)
    frame = np.loadtxt(path, delimiter=",", skiprows=1)
    X, y = frame[:, :-1], frame[:, -1].astype(int)
    reference_scaler = StandardScaler().fit(X)
    np.testing.assert_allclose(scaler.mean_, reference_scaler.mean_, rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_, reference_scaler.scale_, rtol=1e-12)
    whole = _fit_quietly(SGDLogisticClassifier(max_iter=3, **params),
                         reference_scaler.transform(X), y)
    np.testing.assert_allclose(_theta(streamed), _theta(whole), rtol=1e-9, atol=1e-12)
    assert streamed.t_ == whole.t_ == 3 * 1200 // 50
    np.testing.assert_array_equal(streamed.classes_, [0, 1, 2])
