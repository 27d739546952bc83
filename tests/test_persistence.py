"""Persistence: fitted estimators survive pickle, joblib and skops.io unchanged.

After a round trip the model is the same model: identical parameters, fitted
attributes and predictions, and ``partial_fit`` continues bit-for-bit as the
original would (so the optimizer state travelled too).

``skops.io`` is the secure format: loading never runs code from the file, and
``get_untrusted_types`` lists every type it would have to trust. For a saved
skopt_gd model that list must hold nothing beyond skopt_gd's own classes — no
numpy, scipy or scikit-learn internals, no functions — and loading with exactly
those types trusted must work.
"""

import copy
import pickle
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd.optimizers import NAdam, RMSprop
from skopt_gd.schedules import Cosine, Step

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
              "amsgrad", "adamax", "nadam", "radam", "rprop", "lion", "schedulefree_sgd",
              "schedulefree_adam", "prodigy"]


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def data(seed=0, n=60):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 3)
    score = X @ np.array([1.0, -1.0, 0.5]) + 0.2 * rng.randn(n)
    return X, score


def regressor_1d(optimizer="adam"):
    X, s = data()
    return SGDLinearRegressor(optimizer=optimizer, average=5, max_iter=5,
                              random_state=0).fit(X, s + 1.0), X, s + 1.0


def regressor_multi_output():
    X, s = data()
    Y = np.c_[s, -2 * s, s + 3]
    est = SGDLinearRegressor(optimizer=RMSprop(centered=True, momentum=0.5),
                             learning_rate=Cosine(T_max=50), penalty="elasticnet",
                             max_iter=5, random_state=0)
    return est.fit(X, Y), X, Y


def classifier_strings_dataframe():
    pd = pytest.importorskip("pandas")
    X, s = data()
    df = pd.DataFrame(X, columns=["height", "weight", "age"])
    y = np.where(s > 0, "spam", "ham")
    est = SGDLogisticClassifier(optimizer="nesterov", class_weight="balanced", max_iter=5,
                                random_state=0)
    return est.fit(df, y), df, y


def classifier_objects_early_stopping():
    X, s = data(n=90)
    y = np.digitize(s, [-0.5, 0.5])
    est = SGDLogisticClassifier(optimizer=NAdam(beta1=0.8), learning_rate=Step(gamma=0.7),
                                early_stopping=True, validation_fraction=0.2, max_iter=8,
                                average=True, penalty="l1", random_state=0)
    return est.fit(X, y), X, y


def classifier_streamed():
    X, s = data()
    y = np.digitize(s, [-0.5, 0.5]) * 10
    est = SGDLogisticClassifier(optimizer="adagrad", batch_size=8, random_state=0)
    for chunk in np.array_split(np.arange(len(y)), 3):
        est.partial_fit(X[chunk], y[chunk], classes=[0, 10, 20])
    return est, X, y


MODELS = {
    "regressor": regressor_1d,
    "regressor, multi-output, optimizer/schedule objects": regressor_multi_output,
    "classifier, str labels, DataFrame": classifier_strings_dataframe,
    "classifier, multinomial, early stopping": classifier_objects_early_stopping,
    "classifier, partial_fit": classifier_streamed,
}


def pickle_round_trip(est, tmp_path):
    return pickle.loads(pickle.dumps(est))


def joblib_round_trip(est, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return joblib.load(path)


def skops_round_trip(est, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    sio.dump(est, path)
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


ROUND_TRIPS = {"pickle": pickle_round_trip, "joblib": joblib_round_trip,
               "skops": skops_round_trip}


def fitted_attributes(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}


def assert_same_value(a, b, what):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert np.asarray(a).dtype == np.asarray(b).dtype, what
        assert_array_equal(a, b, err_msg=what)
    elif isinstance(a, list):
        assert a == b, what
    else:
        assert type(a) is type(b) and a == b, what


def assert_same_model(a, b, X):
    assert type(a) is type(b)
    assert repr(a.get_params(deep=True)) == repr(b.get_params(deep=True))
    fa, fb = fitted_attributes(a), fitted_attributes(b)
    assert fa.keys() == fb.keys()
    for key in fa:
        assert_same_value(fa[key], fb[key], key)
    methods = ["predict"] + (["predict_proba", "predict_log_proba", "decision_function"]
                             if isinstance(a, SGDLogisticClassifier) else [])
    for method in methods:
        assert_array_equal(getattr(a, method)(X), getattr(b, method)(X), err_msg=method)


@pytest.mark.parametrize("how", sorted(ROUND_TRIPS))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_gives_the_same_model(name, how, tmp_path):
    est, X, y = MODELS[name]()
    loaded = ROUND_TRIPS[how](est, tmp_path)
    assert_same_model(est, loaded, X)
    if est.early_stopping or est.get_params().get("class_weight") == "balanced":
        # partial_fit refuses these (documented): continue with a warm fit instead
        est.set_params(warm_start=True).fit(X, y)
        loaded.set_params(warm_start=True).fit(X, y)
    else:  # the optimizer state travelled: training continues identically
        est.partial_fit(X, y)
        loaded.partial_fit(X, y)
    assert_same_model(est, loaded, X)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_state_round_trips(optimizer, tmp_path):
    est, X, y = regressor_1d(optimizer)
    for how, round_trip in ROUND_TRIPS.items():
        original = copy.deepcopy(est)
        loaded = round_trip(original, tmp_path)
        original.partial_fit(X, y)
        loaded.partial_fit(X, y)
        assert_same_model(original, loaded, X)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_skops_lists_only_skopt_gd_types_as_untrusted(name, tmp_path):
    sio = pytest.importorskip("skops.io")
    est, X, y = MODELS[name]()
    blob = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=blob)
    assert untrusted, "skops should ask to trust the estimator class itself"
    foreign = [t for t in untrusted if not t.startswith("skopt_gd.")]
    assert not foreign, f"skops asks to trust non-skopt_gd types: {foreign}"
    assert f"{type(est).__module__}.{type(est).__qualname__}" in untrusted
    # loading refuses until those types are trusted, then gives the same model
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.loads(blob)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.loads(blob, trusted=untrusted[:-1])
    assert_same_model(est, sio.loads(blob, trusted=untrusted), X)


def test_skops_file_from_an_unfitted_estimator_also_loads(tmp_path):
    sio = pytest.importorskip("skops.io")
    est = SGDLogisticClassifier(optimizer=NAdam(beta1=0.8), learning_rate=Cosine())
    blob = sio.dumps(est)
    loaded = sio.loads(blob, trusted=sio.get_untrusted_types(data=blob))
    assert repr(loaded.get_params(deep=True)) == repr(est.get_params(deep=True))
    assert not hasattr(loaded, "coef_")
