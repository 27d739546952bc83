"""State safety: a call that fails leaves the fitted model exactly as it was, and usable.

"Exactly as it was" is checked twice over: every fitted attribute and every
prediction is bit-for-bit unchanged, and the model then continues *exactly*
as a copy taken before the failing call — so the hidden state (optimizer
buffers, update count, averaging, learning-rate reductions) is intact too.

* ``partial_fit`` failing on a bad batch (wrong shape, NaN/inf, an unseen class
  without ``classes``, bad weights, a diverging step, an unsupported option);
* ``fit`` failing with ``warm_start=True`` (and without it);
* a hypothesis property: any interleaving of good and bad batches ends in the
  same model as the good batches alone.
"""

import copy
import warnings

import hypothesis_profiles  # noqa: F401  (registers the ci / thorough profiles)
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

KINDS = ["regressor", "binary", "multinomial"]
DIVERGED = r"^Training diverged at epoch \d+: .*smaller eta0.*scale the features"


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def batches(kind, n_batches=6, n=20, d=3, seed=0):
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n_batches):
        X = rng.randn(n, d)
        score = X @ np.array([1.0, -1.0, 0.5]) + 0.2 * rng.randn(n)
        if kind == "regressor":
            y = score + 0.5
        elif kind == "binary":
            y = np.where(score > 0, "yes", "no")
        else:
            y = np.digitize(score, [-0.5, 0.5]) * 10
        out.append((X, y))
    return out


def classes_of(kind):
    return {"regressor": None, "binary": np.array(["no", "yes"]),
            "multinomial": np.array([0, 10, 20])}[kind]


def fitted(kind, **params):
    """A model after fit and two partial_fit calls: every kind of state is non-trivial."""
    cls = SGDLinearRegressor if kind == "regressor" else SGDLogisticClassifier
    est = cls(optimizer="adam", learning_rate="adaptive", eta0=0.05, batch_size=7,
              average=10, penalty="elasticnet", alpha=1e-3, max_iter=5, random_state=0,
              **params)
    data = batches(kind)
    est.fit(*data[0])
    est.partial_fit(*data[1])
    est.partial_fit(*data[2])
    return est


def snapshot(est, X):
    """Every public fitted attribute and every prediction, copied."""
    snap = {k: copy.deepcopy(v) for k, v in vars(est).items() if k.endswith("_")}
    snap["predict"] = est.predict(X)
    if isinstance(est, SGDLogisticClassifier):
        snap["predict_proba"] = est.predict_proba(X)
        snap["decision_function"] = est.decision_function(X)
    return snap


def assert_same_snapshot(a, b):
    assert a.keys() == b.keys()
    for key in a:
        va, vb = a[key], b[key]
        if isinstance(va, np.ndarray) or isinstance(vb, np.ndarray):
            assert np.asarray(va).dtype == np.asarray(vb).dtype, key
            assert_array_equal(va, vb, err_msg=key)
        else:
            assert va == vb, key


def partial(est, X, y, **kwargs):
    return est.partial_fit(X, y, **kwargs)


def with_new_label(y):
    """``y`` with its last label replaced by one the model has never seen."""
    y = y.copy()
    y[-1] = "new" if y.dtype.kind == "U" else 99
    return y


# One bad call per row: (name, kinds it applies to, call(est, X, y), error regex).
# ``call`` may change parameters; ``restore`` puts them back before continuing.
BAD_PARTIAL_FITS = [
    ("fewer features", KINDS, lambda e, X, y: partial(e, X[:, :2], y),
     r"X has 2 features, but \w+ is expecting 3"),
    ("more features, sparse", KINDS,
     lambda e, X, y: partial(e, sp.csr_matrix(np.c_[X, X]), y), r"X has 6 features"),
    ("NaN in X", KINDS, lambda e, X, y: partial(e, np.where(X > 1.5, np.nan, X), y),
     r"Input X contains NaN"),
    ("inf in X", KINDS, lambda e, X, y: partial(e, np.where(X > 1.5, np.inf, X), y),
     r"Input X contains infinity"),
    ("NaN in y", ["regressor"], lambda e, X, y: partial(e, X, np.r_[np.nan, y[1:]]),
     r"Input y contains NaN"),
    ("unseen class", ["binary", "multinomial"],
     lambda e, X, y: partial(e, X, with_new_label(y)), r"not in classes"),
    ("different classes=", ["binary", "multinomial"],
     lambda e, X, y: partial(e, X, y, classes=np.unique(with_new_label(y))),
     r"differs from classes_"),
    ("fewer labels than rows", KINDS, lambda e, X, y: partial(e, X, y[:-1]),
     r"inconsistent numbers of samples"),
    ("empty batch", KINDS, lambda e, X, y: partial(e, X[:0], y[:0]), r"0 sample\(s\)"),
    ("negative weight", KINDS,
     lambda e, X, y: partial(e, X, y, sample_weight=np.r_[-1.0, np.ones(len(y) - 1)]),
     r"Negative values in data passed to `sample_weight`"),
    ("all-zero weights", KINDS,
     lambda e, X, y: partial(e, X, y, sample_weight=np.zeros(len(y))), r"(?i)non-zero|zero"),
    ("2-D y of another width", ["regressor"], lambda e, X, y: partial(e, X, np.c_[y, y]),
     r"targets"),
    ("diverging step", KINDS, lambda e, X, y: partial(e, X * 1e200, y), DIVERGED),
    ("early_stopping=True", KINDS,
     lambda e, X, y: partial(e.set_params(early_stopping=True), X, y),
     r"no attribute 'partial_fit'"),
    ("invalid eta0", KINDS, lambda e, X, y: partial(e.set_params(eta0=-1.0), X, y),
     r"'eta0' parameter"),
]


def restore(est, reference):
    est.set_params(**{k: v for k, v in reference.get_params(deep=False).items()
                      if k in ("early_stopping", "eta0")})


def _cases():
    for name, kinds, call, match in BAD_PARTIAL_FITS:
        for kind in kinds:
            yield pytest.param(kind, call, match, id=f"{kind}-{name}")


@pytest.mark.parametrize("kind, call, match", list(_cases()))
def test_failing_partial_fit_leaves_the_model_exactly_as_it_was(kind, call, match):
    est = fitted(kind)
    twin = copy.deepcopy(est)
    data = batches(kind)
    X_probe = data[5][0]
    before = snapshot(est, X_probe)
    # early_stopping=True: partial_fit does not exist then (available_if)
    with pytest.raises((ValueError, AttributeError), match=match):
        call(est, *data[3])
    restore(est, twin)
    assert_same_snapshot(snapshot(est, X_probe), before)
    # still usable, and continues exactly as a model that never saw the bad call
    for X, y in data[3:5]:
        est.partial_fit(X, y)
        twin.partial_fit(X, y)
    assert_same_snapshot(snapshot(est, X_probe), snapshot(twin, X_probe))


# ``fit`` with warm_start=True: (name, kinds, call(est, X, y), error regex).
BAD_WARM_FITS = [
    ("NaN in X", KINDS, lambda e, X, y: e.fit(np.where(X > 1.5, np.nan, X), y),
     r"Input X contains NaN"),
    ("other number of features", KINDS, lambda e, X, y: e.fit(np.c_[X, X], y),
     r"warm_start=True but the previous fit"),
    ("one class", ["binary", "multinomial"], lambda e, X, y: e.fit(X, np.full(len(y), y[0])),
     r"at least 2 classes"),
    ("all-zero weights", KINDS, lambda e, X, y: e.fit(X, y, sample_weight=np.zeros(len(y))),
     r"(?i)non-zero|zero"),
    ("diverging", KINDS, lambda e, X, y: e.fit(X * 1e200, y), DIVERGED),
    ("invalid eta0", KINDS, lambda e, X, y: e.set_params(eta0=-1.0).fit(X, y),
     r"'eta0' parameter"),
]


def _warm_cases():
    for name, kinds, call, match in BAD_WARM_FITS:
        for kind in kinds:
            # a cold fit may change the number of features: only a warm one must refuse
            for warm_start in (True,) if name == "other number of features" else (True, False):
                yield pytest.param(kind, warm_start, call, match,
                                   id=f"{kind}-warm_start={warm_start}-{name}")


@pytest.mark.parametrize("kind, warm_start, call, match", list(_warm_cases()))
def test_failing_fit_leaves_the_previous_coefficients_intact(kind, warm_start, call, match):
    est = fitted(kind, warm_start=warm_start)
    twin = copy.deepcopy(est)
    data = batches(kind)
    X_probe = data[5][0]
    before = snapshot(est, X_probe)
    # early_stopping=True: partial_fit does not exist then (available_if)
    with pytest.raises((ValueError, AttributeError), match=match):
        call(est, *data[3])
    restore(est, twin)
    assert_same_snapshot(snapshot(est, X_probe), before)
    # a later (warm) fit starts from the intact coefficients, exactly as the twin's
    est.fit(*data[4])
    twin.fit(*data[4])
    assert_same_snapshot(snapshot(est, X_probe), snapshot(twin, X_probe))


def test_warm_start_really_starts_from_the_previous_coefficients():
    """Guard for the test above: a warm fit differs from a cold one after one epoch."""
    warm, cold = fitted("regressor", warm_start=True), fitted("regressor")
    X, y = batches("regressor")[4]
    warm.set_params(max_iter=1).fit(X, y)
    cold.set_params(max_iter=1).fit(X, y)
    assert not np.array_equal(warm.coef_, cold.coef_)


@settings(max_examples=max(8, settings.default.max_examples // 4))
@given(kind=st.sampled_from(KINDS),
       plan=st.lists(st.one_of(st.just(None), st.integers(0, len(BAD_PARTIAL_FITS) - 1)),
                     min_size=1, max_size=8))
def test_any_interleaving_of_bad_batches_is_as_if_they_never_happened(kind, plan):
    """Good batches (None) and bad ones in any order: same model as the good ones alone."""
    est = fitted(kind)
    twin = copy.deepcopy(est)
    data = batches(kind, n_batches=len(plan) + 1, seed=1)
    for step, (X, y) in zip(plan, data):
        if step is None:
            est.partial_fit(X, y)
            twin.partial_fit(X, y)
            continue
        _, kinds, call, match = BAD_PARTIAL_FITS[step]
        if kind not in kinds:
            continue
        with pytest.raises(ValueError, match=match):
            call(est, X, y)
        restore(est, twin)
    X_probe = data[-1][0]
    assert_same_snapshot(snapshot(est, X_probe), snapshot(twin, X_probe))
