"""Errors: every bad input named, nothing half-written, inputs never modified.

API.md, "Errors": NaN/inf, mismatched lengths, empty input, a single class,
negative or mismatched ``sample_weight``, unknown parameter values and a wrong
``n_features`` at predict raise ``ValueError`` naming the problem; predicting
before fit raises ``NotFittedError``; a diverging fit raises ``ValueError``
naming the epoch and suggesting a smaller ``eta0`` or scaled features; no
failed call leaves a half-fitted model; input arrays are never modified.
"""

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import SGDRegressor
from sklearn.preprocessing import StandardScaler

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, NAdam, RMSprop
from skopt_gd.schedules import Adaptive, Cosine, Exponential, InvScaling, Optimal, Step

N, D = 30, 3
FAST = dict(max_iter=3, tol=None, random_state=0)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def make_data(kind, seed=0):
    """Small seeded data: X (N, D), y float (regressor) or labels {3, 7} (classifier)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    if kind == "reg":
        return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=N)
    return X, np.where(X[:, 0] + 0.3 * rng.normal(size=N) > 0, 7, 3)


def make_est(kind, **params):
    cls = SGDLinearRegressor if kind == "reg" else SGDLogisticClassifier
    return cls(**{**FAST, **params})


def fit_call(est, X, y, *, partial=False, **kwargs):
    if not partial:
        return est.fit(X, y, **kwargs)
    if isinstance(est, SGDLogisticClassifier):
        kwargs.setdefault("classes", [3, 7])
    return est.partial_fit(X, y, **kwargs)


def fitted_state(est):
    """Every attribute a fit may write: public ``name_`` and private ``_name``."""
    return {k: copy.deepcopy(v) for k, v in vars(est).items()
            if k.endswith("_") or (k.startswith("_") and not k.startswith("__"))}


def assert_same(a, b, path="state"):
    """Deep, exact equality of fitted states (arrays bit-for-bit, NaN == NaN)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, z) in enumerate(zip(a, b)):
            assert_same(x, z, f"{path}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
        assert np.asarray(a).dtype == np.asarray(b).dtype, path
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert type(a) is type(b), path
        assert_same(vars(a), vars(b), path)
    else:
        assert a == b or (a != a and b != b), path


# --------------------------------------------------------------------------- #
# Bad data: one row per problem, each with the words the message must contain
# --------------------------------------------------------------------------- #


def _set(arr, index, value):
    arr = np.array(arr, dtype=float)
    arr[index] = value
    return arr


#: id -> (estimator kinds, transform(X, y) -> (X, y, fit kwargs), message regex)
BAD_DATA = {
    "nan_in_X": ("reg clf", lambda X, y: (_set(X, (0, 1), np.nan), y, {}), r"X contains NaN"),
    "inf_in_X": ("reg clf", lambda X, y: (_set(X, (2, 0), np.inf), y, {}),
                 r"X contains infinity"),
    "neg_inf_in_X": ("reg clf", lambda X, y: (_set(X, (2, 0), -np.inf), y, {}),
                     r"X contains infinity"),
    "nan_in_sparse_X": ("reg clf", lambda X, y: (sp.csr_matrix(_set(X, (0, 1), np.nan)), y, {}),
                        r"X contains NaN"),
    "nan_in_y": ("reg clf", lambda X, y: (X, _set(y, 4, np.nan), {}), r"y contains NaN"),
    "inf_in_y": ("reg", lambda X, y: (X, _set(y, 4, np.inf), {}), r"y contains infinity"),
    "X_longer_than_y": ("reg clf", lambda X, y: (X, y[:-1], {}),
                        r"inconsistent numbers of samples"),
    "y_longer_than_X": ("reg clf", lambda X, y: (X[:-2], y, {}),
                        r"inconsistent numbers of samples"),
    "no_samples": ("reg clf", lambda X, y: (X[:0], y[:0], {}), r"0 sample"),
    "no_features": ("reg clf", lambda X, y: (X[:, :0], y, {}), r"0 feature"),
    "X_1d": ("reg clf", lambda X, y: (X[:, 0], y, {}), r"Expected 2D array"),
    "X_3d": ("reg clf", lambda X, y: (X[:, :, None], y, {}), r"dim 3"),
    "X_strings": ("reg clf", lambda X, y: (X.astype(str).astype(object) + "x", y, {}),
                  r"could not convert string to float"),
    "single_class": ("clf", lambda X, y: (X, np.full(len(y), 7), {}), r"only one class"),
    "continuous_labels": ("clf", lambda X, y: (X, X[:, 0], {}), r"Unknown label type"),
    "2d_labels": ("clf", lambda X, y: (X, np.column_stack([y, y]), {}), r"1d array"),
    "negative_sample_weight": ("reg clf",
                               lambda X, y: (X, y, {"sample_weight": _set(np.ones(N), 3, -1.0)}),
                               r"[Nn]egative values.*sample_weight"),
    "short_sample_weight": ("reg clf", lambda X, y: (X, y, {"sample_weight": np.ones(N - 1)}),
                            r"sample_weight.*\(29,\).*\(30,\)"),
    "2d_sample_weight": ("reg clf", lambda X, y: (X, y, {"sample_weight": np.ones((N, 2))}),
                         r"[Ss]ample weights must be 1D"),
    "zero_sample_weight": ("reg clf", lambda X, y: (X, y, {"sample_weight": np.zeros(N)}),
                           r"[Ss]ample.?weights?.*(non-zero|sums? to zero)"),
    "nan_sample_weight": ("reg clf",
                          lambda X, y: (X, y, {"sample_weight": _set(np.ones(N), 0, np.nan)}),
                          r"sample_weight contains NaN"),
}

#: a batch of one class is fine for partial_fit once ``classes`` lists them all
FIT_ONLY = {"single_class"}

BAD_DATA_CASES = [pytest.param(kind, name, partial, id=f"{kind}-{name}-{method}")
                  for name, (kinds, _, _) in BAD_DATA.items() for kind in kinds.split()
                  for partial, method in ((False, "fit"), (True, "partial_fit"))
                  if not (partial and name in FIT_ONLY)]


@pytest.mark.parametrize("kind, case, partial", BAD_DATA_CASES)
def test_bad_data_raises_naming_the_problem_and_writes_nothing(kind, case, partial):
    _, transform, match = BAD_DATA[case]
    X, y, kwargs = transform(*make_data(kind))
    est = make_est(kind)
    with pytest.raises(ValueError, match=match):
        fit_call(est, X, y, partial=partial, **kwargs)
    assert fitted_state(est) == {}
    with pytest.raises(NotFittedError):
        est.predict(make_data(kind)[0])


@pytest.mark.parametrize("kind, case, partial", BAD_DATA_CASES)
def test_bad_data_leaves_a_fitted_model_untouched(kind, case, partial):
    _, transform, match = BAD_DATA[case]
    X_good, y_good = make_data(kind, seed=1)
    est = fit_call(make_est(kind), X_good, y_good, partial=partial)
    before = fitted_state(est)
    X, y, kwargs = transform(*make_data(kind))
    if partial and X.ndim == 2 and X.shape[1] != D:  # reported as an n_features mismatch
        match = r"feature"
    with pytest.raises(ValueError, match=match):
        fit_call(est, X, y, partial=partial, **kwargs)
    assert_same(fitted_state(est), before)


def test_partial_fit_batch_of_one_class_is_fine_with_classes():
    X, y = make_data("clf")
    est = make_est("clf").partial_fit(X, np.full(N, 7), classes=[3, 7])
    assert_array_equal(est.classes_, [3, 7])
    assert est.coef_.shape == (1, D) and np.all(est.predict(X) == 7)


def test_class_weight_zeroing_every_sample_is_an_error():
    X, y = make_data("clf")
    est = make_est("clf", class_weight={3: 0.0, 7: 0.0})
    with pytest.raises(ValueError, match=r"sample_weight times class_weight sums to zero"):
        est.fit(X, y)
    assert fitted_state(est) == {}


# --------------------------------------------------------------------------- #
# Bad parameter values, nested optimizer and schedule objects included
# --------------------------------------------------------------------------- #

class _Opaque:
    """Neither a name nor an optimizer; its repr is the same in every process (the
    test ids must be, for pytest-xdist's workers to collect the same tests)."""

    def __repr__(self):
        return "<opaque object>"


#: (param, bad value, message regex) shared by both estimators
BAD_PARAMS = [
    ("optimizer", "adamw", r"'optimizer' parameter"),
    ("optimizer", _Opaque(), r"'optimizer' parameter"),
    ("learning_rate", "linear_warmup", r"'learning_rate' parameter"),
    ("learning_rate", Adam(), r"'learning_rate' parameter"),
    ("eta0", 0.0, r"'eta0' parameter"),
    ("eta0", -0.1, r"'eta0' parameter"),
    ("power_t", "half", r"'power_t' parameter"),
    ("penalty", "l3", r"'penalty' parameter"),
    ("penalty", "none", r"'penalty' parameter"),
    ("alpha", -1e-4, r"'alpha' parameter"),
    ("l1_ratio", 1.5, r"'l1_ratio' parameter"),
    ("l1_ratio", -0.1, r"'l1_ratio' parameter"),
    ("batch_size", 0, r"'batch_size' parameter"),
    ("batch_size", 2.5, r"'batch_size' parameter"),
    ("max_iter", 0, r"'max_iter' parameter"),
    ("tol", "small", r"'tol' parameter"),
    ("n_iter_no_change", 0, r"'n_iter_no_change' parameter"),
    ("early_stopping", "yes", r"'early_stopping' parameter"),
    ("validation_fraction", 0.0, r"'validation_fraction' parameter"),
    ("validation_fraction", 1.0, r"'validation_fraction' parameter"),
    ("shuffle", "no", r"'shuffle' parameter"),
    ("average", -1, r"'average' parameter"),
    ("fit_intercept", None, r"'fit_intercept' parameter"),
    ("warm_start", "yes", r"'warm_start' parameter"),
    ("random_state", "seed", r"'random_state' parameter"),
    ("verbose", "loud", r"'verbose' parameter"),
    # nested optimizer hyperparameters
    ("optimizer", Adam(beta1=1.5), r"'beta1' parameter of Adam"),
    ("optimizer", Adam(beta2=-0.1), r"'beta2' parameter of Adam"),
    ("optimizer", Adam(eps=-1e-8), r"'eps' parameter of Adam"),
    ("optimizer", Adam(amsgrad="yes"), r"'amsgrad' parameter of Adam"),
    ("optimizer", SGD(momentum=1.0), r"'momentum' parameter of SGD"),
    ("optimizer", SGD(dampening=-0.5), r"'dampening' parameter of SGD"),
    ("optimizer", SGD(nesterov=True), r"nesterov=True.*momentum"),
    ("optimizer", SGD(momentum=0.9, dampening=0.5, nesterov=True), r"nesterov=True.*dampening"),
    ("optimizer", Adagrad(initial_accumulator_value=-1.0),
     r"'initial_accumulator_value' parameter of Adagrad"),
    ("optimizer", RMSprop(rho=1.0), r"'rho' parameter of RMSprop"),
    ("optimizer", RMSprop(momentum=-0.1), r"'momentum' parameter of RMSprop"),
    ("optimizer", Adadelta(eps=0.0), r"'eps' parameter of Adadelta"),
    ("optimizer", Adamax(beta2=1.0), r"'beta2' parameter of Adamax"),
    ("optimizer", NAdam(momentum_decay=-1.0), r"'momentum_decay' parameter of NAdam"),
    # nested schedule hyperparameters
    ("learning_rate", InvScaling(power_t="x"), r"'power_t' parameter of InvScaling"),
    ("learning_rate", Optimal(alpha=-1.0), r"'alpha' parameter of Optimal"),
    ("learning_rate", Adaptive(factor=1.0), r"'factor' parameter of Adaptive"),
    ("learning_rate", Adaptive(min_lr=0.0), r"'min_lr' parameter of Adaptive"),
    ("learning_rate", Exponential(gamma=0.0), r"'gamma' parameter of Exponential"),
    ("learning_rate", Exponential(decay_steps=0), r"'decay_steps' parameter of Exponential"),
    ("learning_rate", Step(step_size=0), r"'step_size' parameter of Step"),
    ("learning_rate", Cosine(T_max=0), r"'T_max' parameter of Cosine"),
    ("learning_rate", Cosine(eta_min=-1.0), r"'eta_min' parameter of Cosine"),
]

OWN_BAD_PARAMS = {
    "reg": [("loss", "hinge", r"'loss' parameter"), ("epsilon", -0.1, r"'epsilon' parameter")],
    "clf": [("class_weight", "balance", r"'class_weight' parameter"),
            ("class_weight", [1.0, 2.0], r"'class_weight' parameter")],
}

BAD_PARAM_CASES = [pytest.param(kind, p, v, m, id=f"{kind}-{p}={v!r}")
                   for kind in ("reg", "clf")
                   for p, v, m in BAD_PARAMS + OWN_BAD_PARAMS[kind]]


@pytest.mark.parametrize("partial", [False, True], ids=["fit", "partial_fit"])
@pytest.mark.parametrize("kind, param, value, match", BAD_PARAM_CASES)
def test_bad_parameter_value_is_named(kind, param, value, match, partial):
    X, y = make_data(kind)
    est = make_est(kind, **{param: value})
    with pytest.raises(ValueError, match=match):
        fit_call(est, X, y, partial=partial)
    assert fitted_state(est) == {}
    assert est.get_params()[param] is value  # validation never rewrites a parameter


@pytest.mark.parametrize("kind, param, value, match", BAD_PARAM_CASES)
def test_bad_parameter_set_after_fit_leaves_the_model(kind, param, value, match):
    X, y = make_data(kind)
    est = fit_call(make_est(kind), X, y)
    before = fitted_state(est)
    est.set_params(**{param: value})
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert_same(fitted_state(est), before)


def test_nested_hyperparameter_set_through_set_params_is_validated():
    X, y = make_data("reg")
    est = make_est("reg", optimizer=Adam()).set_params(optimizer__beta1=1.5)
    with pytest.raises(ValueError, match=r"'beta1' parameter of Adam.*1\.5"):
        est.fit(X, y)


def test_optimal_schedule_needs_a_positive_alpha():
    X, y = make_data("reg")
    with pytest.raises(ValueError, match=r"learning_rate='optimal'.*alpha"):
        make_est("reg", learning_rate="optimal", alpha=0.0).fit(X, y)


# --------------------------------------------------------------------------- #
# partial_fit-specific errors
# --------------------------------------------------------------------------- #


def test_partial_fit_without_classes_on_first_call():
    X, y = make_data("clf")
    est = make_est("clf")
    with pytest.raises(ValueError, match=r"classes must be passed on the first call"):
        est.partial_fit(X, y)
    assert fitted_state(est) == {}


@pytest.mark.parametrize("first", [True, False], ids=["first_call", "later_call"])
def test_partial_fit_labels_not_in_classes(first):
    X, y = make_data("clf")
    est = make_est("clf")
    if not first:
        est.partial_fit(X, y, classes=[3, 7])
    before = fitted_state(est)
    bad = np.where(y == 7, 9, y)
    with pytest.raises(ValueError, match=r"labels \[9\] not in classes \[3, 7\]"):
        est.partial_fit(X, bad, classes=[3, 7] if first else None)
    assert_same(fitted_state(est), before)


PARTIAL_FIT_MISUSE = [
    ("clf", dict(classes=[3]), {}, r"classes must hold at least 2 labels"),
    ("clf", dict(classes=[3, 7, 9]), {"later": True}, r"differs from classes_"),
    ("clf", dict(classes=[3, 7]), {"class_weight": "balanced"}, r"class_weight='balanced'"),
    ("reg", {}, {"early_stopping": True}, r"no attribute 'partial_fit'"),
    ("clf", dict(classes=[3, 7]), {"early_stopping": True}, r"no attribute 'partial_fit'"),
]


@pytest.mark.parametrize("kind, kwargs, params, match", PARTIAL_FIT_MISUSE)
def test_partial_fit_misuse(kind, kwargs, params, match):
    X, y = make_data(kind)
    params = dict(params)
    later = params.pop("later", False)
    est = make_est(kind, **params)
    if later:
        est.partial_fit(X, y, classes=[3, 7])
    before = fitted_state(est)
    # early_stopping=True: partial_fit does not exist (available_if), hence AttributeError
    error = AttributeError if est.early_stopping is True else ValueError
    with pytest.raises(error, match=match):
        est.partial_fit(X, y, **kwargs)
    assert_same(fitted_state(est), before)


def test_partial_fit_with_a_different_number_of_targets():
    X, y = make_data("reg")
    est = make_est("reg").partial_fit(X, y)
    before = fitted_state(est)
    with pytest.raises(ValueError, match=r"y has 2 targets but the model was fitted with 1"):
        est.partial_fit(X, np.column_stack([y, y]))
    assert_same(fitted_state(est), before)


def test_warm_start_with_a_different_number_of_features():
    X, y = make_data("reg")
    est = make_est("reg", warm_start=True).fit(X, y)
    before = fitted_state(est)
    with pytest.raises(ValueError, match=r"warm_start=True.*shape"):
        est.fit(X[:, :2], y)
    assert_same(fitted_state(est), before)


# --------------------------------------------------------------------------- #
# Predicting: before fit, and with the wrong number of features
# --------------------------------------------------------------------------- #

PREDICT_METHODS = {
    "reg": ["predict", "score"],
    "clf": ["predict", "predict_proba", "predict_log_proba", "decision_function", "score"],
}
PREDICT_CASES = [pytest.param(kind, m, id=f"{kind}-{m}")
                 for kind, methods in PREDICT_METHODS.items() for m in methods]


def call(est, method, X, y):
    return est.score(X, y) if method == "score" else getattr(est, method)(X)


@pytest.mark.parametrize("kind, method", PREDICT_CASES)
def test_predict_before_fit_raises_not_fitted(kind, method):
    X, y = make_data(kind)
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        call(make_est(kind), method, X, y)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("n_features", [D - 1, D + 1])
@pytest.mark.parametrize("kind, method", PREDICT_CASES)
def test_predict_with_wrong_n_features(kind, method, n_features, sparse):
    X, y = make_data(kind)
    est = make_est(kind).fit(X, y)
    X_bad = np.random.default_rng(5).normal(size=(N, n_features))
    X_bad = sp.csr_matrix(X_bad) if sparse else X_bad
    with pytest.raises(ValueError, match=rf"X has {n_features} features.*expecting {D}"):
        call(est, method, X_bad, y)


@pytest.mark.parametrize("kind, method", PREDICT_CASES)
def test_predict_with_nan(kind, method):
    X, y = make_data(kind)
    est = make_est(kind).fit(X, y)
    with pytest.raises(ValueError, match=r"X contains NaN"):
        call(est, method, _set(X, (1, 1), np.nan), y)


# --------------------------------------------------------------------------- #
# Inputs are never modified
# --------------------------------------------------------------------------- #

INPUT_FORMATS = {
    "dense_C": lambda X: np.ascontiguousarray(X),
    "dense_F": lambda X: np.asfortranarray(X),
    "dense_float32": lambda X: X.astype(np.float32),
    "csr": lambda X: sp.csr_matrix(X),
    "csr_float32": lambda X: sp.csr_matrix(X.astype(np.float32)),
}

ESTIMATOR_VARIANTS = {
    "defaults": {},
    "l1_averaged_shuffled": dict(penalty="l1", alpha=0.01, average=True, shuffle=True,
                                 batch_size=4),
    "early_stopping": dict(early_stopping=True, validation_fraction=0.2, n_iter_no_change=2,
                           tol=1e-3),
    "adam_full_batch_l2": dict(optimizer="adam", batch_size=None, penalty="l2", alpha=0.1),
}


def snapshot(a):
    if sp.issparse(a):
        return (a.format, a.shape, a.dtype, a.data.copy(), a.indices.copy(), a.indptr.copy())
    return (a.shape, a.dtype, a.flags["C_CONTIGUOUS"], a.copy())


def assert_unchanged(a, snap):
    if sp.issparse(a):
        assert (a.format, a.shape, a.dtype) == snap[:3]
        for got, want in zip((a.data, a.indices, a.indptr), snap[3:]):
            assert np.array_equal(got, want)
    else:
        assert (a.shape, a.dtype, a.flags["C_CONTIGUOUS"]) == snap[:3]
        assert np.array_equal(a, snap[3])


def targets(kind, X, variant):
    """y in several forms: float / float32 / 2-D for the regressor, int / str labels."""
    rng = np.random.default_rng(7)
    if kind == "reg":
        y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=N)
        return {"defaults": y, "l1_averaged_shuffled": y.astype(np.float32),
                "early_stopping": y, "adam_full_batch_l2": np.column_stack([y, -y])}[variant]
    labels = np.array(["cat", "dog", "emu"]) if variant == "adam_full_batch_l2" else np.array([3, 7])
    return labels[rng.integers(0, len(labels), size=N)]


@pytest.mark.parametrize("variant", sorted(ESTIMATOR_VARIANTS))
@pytest.mark.parametrize("fmt", sorted(INPUT_FORMATS))
@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_inputs_are_never_modified(kind, fmt, variant):
    X0 = np.random.default_rng(3).normal(size=(N, D))
    X = INPUT_FORMATS[fmt](X0)
    y = targets(kind, X0, variant)
    sw = np.random.default_rng(4).uniform(0.5, 2.0, size=N)
    snaps = [(a, snapshot(a)) for a in (X, y, sw)]
    params = dict(ESTIMATOR_VARIANTS[variant])
    if kind == "clf" and variant == "defaults":
        params["class_weight"] = "balanced"
    est = make_est(kind, **params)
    est.fit(X, y, sample_weight=sw)
    if variant != "early_stopping":  # partial_fit refuses early stopping
        if kind == "clf":  # ... and class_weight="balanced"
            est.set_params(class_weight=None)
        est.partial_fit(X, y, sample_weight=sw)
        fresh = make_est(kind, **{k: v for k, v in params.items() if k != "class_weight"})
        fit_call(fresh, X, y, partial=True, sample_weight=sw,
                 **({"classes": np.unique(y)} if kind == "clf" else {}))
    for method in PREDICT_METHODS[kind]:
        if method == "score":
            est.score(X, y, sample_weight=sw)
        else:
            getattr(est, method)(X)
    for a, snap in snaps:
        assert_unchanged(a, snap)


# --------------------------------------------------------------------------- #
# Divergence: a ValueError naming the epoch and the remedies; nothing exposed
# --------------------------------------------------------------------------- #


def unscaled(kind):
    """Raw-unit data (features up to ~10^2 / 10^3): plain SGD with eta0=10 blows up."""
    if kind == "reg":
        return load_diabetes(return_X_y=True, scaled=False)
    return load_breast_cancer(return_X_y=True)


def scaled(kind):
    X, y = unscaled(kind)
    return StandardScaler().fit_transform(X), y


DIVERGE_MATCH = r"(?s)diverged at epoch \d+.*smaller eta0.*scal"
DIVERGING = [
    pytest.param("reg", dict(batch_size=None), id="reg-full_batch"),
    pytest.param("reg", dict(batch_size=32), id="reg-minibatch"),
    pytest.param("reg", dict(batch_size=1), id="reg-per_sample"),
    pytest.param("clf", dict(batch_size=None), id="clf-full_batch"),
    pytest.param("clf", dict(batch_size=32), id="clf-minibatch"),
]


def diverging_est(kind, **params):
    params = {"max_iter": 20, **params}
    return make_est(kind, optimizer="sgd", learning_rate="constant", eta0=10.0, **params)


@pytest.mark.parametrize("kind, params", DIVERGING)
def test_diverging_fit_raises_and_stays_unfitted(kind, params):
    X, y = unscaled(kind)
    est = diverging_est(kind, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow warning escapes either
        with pytest.raises(ValueError, match=DIVERGE_MATCH):
            est.fit(X, y)
    assert fitted_state(est) == {}
    with pytest.raises(NotFittedError):
        est.predict(X)


@pytest.mark.parametrize("warm_start", [False, True], ids=["cold", "warm_start"])
@pytest.mark.parametrize("kind, params", DIVERGING)
def test_diverging_fit_keeps_the_previous_model_exactly(kind, params, warm_start):
    Xs, y = scaled(kind)
    est = make_est(kind, optimizer="sgd", learning_rate="constant", eta0=0.01,
                   warm_start=warm_start, **params).fit(Xs, y)
    before = fitted_state(est)
    predictions = est.predict(Xs)
    est.set_params(eta0=10.0, max_iter=20)
    with pytest.raises(ValueError, match=DIVERGE_MATCH):
        est.fit(unscaled(kind)[0], y)
    assert_same(fitted_state(est), before)
    assert np.array_equal(est.predict(Xs), predictions)


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_diverging_partial_fit_keeps_the_state(kind):
    """A failed partial_fit is as if it never happened: the next call continues
    from the same parameters, optimizer state and ``t_``."""
    Xs, y = scaled(kind)
    Xu = unscaled(kind)[0]
    first, second = slice(0, 100), slice(100, 200)
    kwargs = {"classes": np.unique(y)} if kind == "clf" else {}
    params = dict(optimizer="momentum", learning_rate="constant", eta0=0.01, batch_size=10,
                  shuffle=False)
    reference = make_est(kind, **params)
    reference.partial_fit(Xs[first], y[first], **kwargs)
    reference.partial_fit(Xs[second], y[second])

    est = make_est(kind, **params)
    est.partial_fit(Xs[first], y[first], **kwargs)
    before = fitted_state(est)
    with pytest.raises(ValueError, match=DIVERGE_MATCH):
        est.partial_fit(Xu[second] * 1e3, y[second])
    assert_same(fitted_state(est), before)
    est.partial_fit(Xs[second], y[second])
    assert_same(fitted_state(est), fitted_state(reference))


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_diverging_first_partial_fit_stays_unfitted(kind):
    X, y = unscaled(kind)
    kwargs = {"classes": np.unique(y)} if kind == "clf" else {}
    est = diverging_est(kind, batch_size=16)
    with pytest.raises(ValueError, match=DIVERGE_MATCH):
        est.partial_fit(X, y, **kwargs)
    assert fitted_state(est) == {}
    if kind == "clf":  # still a first call: classes are required again
        with pytest.raises(ValueError, match=r"classes must be passed"):
            est.partial_fit(X, y)


@pytest.mark.parametrize("partial", [False, True], ids=["fit_max_iter_1", "partial_fit"])
def test_a_single_exploding_update_is_caught(partial):
    X, y = unscaled("reg")
    est = diverging_est("reg", batch_size=None, max_iter=1)
    with pytest.raises(ValueError, match=DIVERGE_MATCH):
        fit_call(est, X, y, partial=partial)
    assert fitted_state(est) == {}


def test_sklearn_returns_huge_coefficients_where_we_raise():
    """The contrast that motivates the divergence check.

    scikit-learn 1.9.1, ``SGDRegressor(learning_rate="constant", eta0=0.01,
    random_state=0)`` on unscaled diabetes: no error, finite coefficients of
    magnitude ~2e12 (eta0=10: ~2e15; eta0=1e-4: ~3e10), R^2 hugely negative.
    """
    X, y = unscaled("reg")
    with pytest.raises(ValueError, match=DIVERGE_MATCH):
        make_est("reg", optimizer="sgd", learning_rate="constant", eta0=0.01,
                 max_iter=1000, tol=1e-3).fit(X, y)
    theirs = SGDRegressor(learning_rate="constant", eta0=0.01, random_state=0)
    try:
        theirs.fit(X, y)
    except ValueError:  # a future scikit-learn that also refuses: nothing to contrast
        return
    assert np.all(np.isfinite(theirs.coef_)) and np.abs(theirs.coef_).max() > 1e6


def test_negative_class_weight_is_rejected():
    X, y = load_breast_cancer(return_X_y=True)
    est = SGDLogisticClassifier(class_weight={0: -1.0, 1: 1.0})
    with pytest.raises(ValueError, match=r"class_weight values must be finite and >= 0"):
        est.fit(X, y)
    assert not hasattr(est, "coef_")


def test_eta0_changed_between_partial_fit_calls_takes_effect():
    """sklearn semantics: the current eta0 is used by the next partial_fit call."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    y = X @ [1.0, -1.0, 2.0] + 0.1 * rng.randn(40)
    common = dict(optimizer="sgd", learning_rate="constant", batch_size=None, shuffle=False,
                  penalty=None)
    est = SGDLinearRegressor(eta0=0.1, **common).partial_fit(X, y)
    theta = np.r_[est.coef_, est.intercept_]
    est.set_params(eta0=0.05)
    est.partial_fit(X, y)
    # one full-batch gradient step with the new rate, from the first call's parameters
    r = X @ theta[:3] + theta[3] - y
    grad = np.r_[X.T @ r / len(y), r.mean()]
    np.testing.assert_allclose(np.r_[est.coef_, est.intercept_], theta - 0.05 * grad, rtol=1e-12)


def test_a_slow_steady_rise_is_reported_as_divergence():
    """Below the blow-up factor, an objective that rises epoch after epoch and ends above
    twice the zero model's must not be returned as a "converged" fit."""
    rng = np.random.RandomState(0)
    X = rng.randn(30, 4)
    X[:, 1] = X[:, 0] + 0.01 * rng.randn(30)  # Hessian eigenvalue ~2: eta0=1.05 grows slowly
    y = X @ [1.0, 1.0, 0.5, -0.5] + 0.1 * rng.randn(30)
    H = np.cov(np.c_[X, np.ones(30)].T, bias=True) + np.outer(np.r_[X.mean(0), 1], np.r_[X.mean(0), 1])
    eta0 = 2.1 / np.linalg.eigvalsh(H).max()  # just past the stability limit 2 / L
    est = SGDLinearRegressor(optimizer="sgd", learning_rate="constant", eta0=eta0,
                             batch_size=None, penalty=None, tol=1e-12, max_iter=200)
    with pytest.raises(ValueError, match=DIVERGE_MATCH):
        est.fit(X, y)
    assert not hasattr(est, "coef_")


# --------------------------------------------------------------------------- #
# The fit's fast validation path gives check_X_y's answer
# --------------------------------------------------------------------------- #

def _fast_cases():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    nan, big = X.copy(), np.full((6, 3), 1e308)
    nan[2, 1] = np.nan
    y = rng.standard_normal(6)
    y_nan = y.copy()
    y_nan[0] = np.inf
    labels = np.array(list("abcabc"))
    # (X, y, multi_output, y_numeric, whether the fast path takes it)
    return {
        "float64": (X, y, False, True, True),
        "float32": (X.astype(np.float32), y, False, True, True),
        "fortran": (np.asfortranarray(X), y, False, True, True),
        "int-y-numeric": (X, np.arange(6), False, True, True),
        "string-labels": (X, labels, False, False, True),
        "2d-y-multi": (X, np.c_[y, y], True, True, True),
        "nan-X": (nan, y, False, True, False),
        "overflowing-sum": (big, y, False, True, False),
        "inf-y": (X, y_nan, False, True, False),
        "column-y": (X, y[:, None], False, True, False),
        "int-X": (np.arange(18).reshape(6, 3), y, False, True, False),
        "list-X": (X.tolist(), y, False, True, False),
        "short-y": (X, y[:5], False, True, False),
        "no-rows": (X[:0], y[:0], False, True, False),
        "object-y": (X, y.astype(object), False, True, False),
    }


@pytest.mark.parametrize("case", sorted(_fast_cases()))
def test_fast_validation_path_returns_what_check_X_y_returns(case):
    from sklearn.utils.validation import check_X_y

    from skopt_gd._validation import _plain, check_fit_data

    X, y, multi, numeric, fast = _fast_cases()[case]
    assert _plain(X, y, multi_output=multi, y_numeric=numeric) is fast
    if not fast:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X_ref, y_ref = check_X_y(X, y, dtype=(np.float64, np.float32), multi_output=multi,
                                 y_numeric=numeric, accept_sparse="csr")
        got = check_fit_data(X, y, multi_output=multi, y_numeric=numeric)
    assert got[0] is X and X_ref is X
    assert_array_equal(got[1], y_ref)
    assert got[1].dtype == y_ref.dtype
    assert got[2] is None


def test_validation_memo_never_lets_an_equal_but_invalid_value_through():
    """Validated parameter sets are remembered (skopt_gd._params.validate_params_once):
    ``1 == True`` and ``1.0 == 1`` must not make an invalid value pass as a valid one."""
    X, y = make_data("reg")
    est = make_est("reg", fit_intercept=True, max_iter=3, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="'fit_intercept' parameter"):
        est.set_params(fit_intercept=1).fit(X, y)
    est.set_params(fit_intercept=True, max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="'max_iter' parameter"):
        est.set_params(max_iter=3.0).fit(X, y)
    opt = SGD(momentum=0.5)
    make_est("reg", optimizer=opt, max_iter=3, tol=None).fit(X, y)
    with pytest.raises(ValueError, match="'nesterov' parameter"):
        make_est("reg", optimizer=SGD(momentum=0.5, nesterov=1), max_iter=3).fit(X, y)
