"""Dask: native data-parallel full-batch fit, dask-ml wrappers and searches, joblib backend.

Everything runs on one ``LocalCluster`` of 2 single-threaded in-process workers
started by this module (in-process workers start in ~0.1 s and need no
pickling round-trip through subprocesses; ``benchmarks/bench_dask.py`` runs
the same code on worker processes with a small ``memory_limit``).
"""

import re
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier  # noqa: E402

RTOL = 1e-10  # the bar: dask vs in-memory coefficients, relative


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Port 8787 is already in use" and the like
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                           dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _data(n=400, d=5, seed=0, outputs=None):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    w = rng.randn(d, outputs or 1)
    Y = X @ w + 0.5 + 0.1 * rng.randn(n, outputs or 1)
    return X, (Y[:, 0] if outputs is None else Y), rng.uniform(0.5, 2.0, n)


def _labels(X, n_classes):
    score = X[:, 0] + 0.5 * X[:, 1]
    return np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))


def _assert_same_fit(a, b, rtol=RTOL):
    """Coefficients equal to ``rtol`` relative to their largest entry; same epochs/updates."""
    scale = max(np.abs(a.coef_).max(), np.abs(a.intercept_).max())
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=0, atol=rtol * scale)
    assert (b.n_iter_, b.t_) == (a.n_iter_, a.t_)
    np.testing.assert_allclose(b.loss_curve_, a.loss_curve_, rtol=rtol)


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


# ---- native fit: equivalence with the in-memory fit -----------------------------
REGRESSION_CASES = [  # (estimator parameters, outputs, use sample_weight)
    (dict(), None, False),
    (dict(optimizer="adam", penalty="l1", alpha=0.01, average=True), None, True),
    (dict(loss="huber", epsilon=0.5, learning_rate="optimal", alpha=1e-3), None, True),
    (dict(optimizer="nadam", penalty="elasticnet", alpha=0.01), 3, False),
    (dict(loss="epsilon_insensitive", optimizer="momentum", fit_intercept=False), None, True),
]


@pytest.mark.parametrize("params, outputs, weighted", REGRESSION_CASES)
def test_regressor_matches_in_memory_fit(client, params, outputs, weighted):
    X, y, sw = _data(outputs=outputs)
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=15, eta0=0.05, random_state=0, **params)
    sw = sw if weighted else None
    ref = _quiet_fit(clone(est), X, y, sample_weight=sw)
    Xd = da.from_array(X, chunks=(90, 2))  # ragged row chunks and split columns
    yd = da.from_array(y, chunks=(130,) + y.shape[1:])  # misaligned with X on purpose
    swd = None if sw is None else da.from_array(sw, chunks=70)
    got = _quiet_fit(clone(est), Xd, yd, sample_weight=swd)
    _assert_same_fit(ref, got)
    assert np.shape(got.coef_) == np.shape(ref.coef_)
    assert isinstance(got.coef_, np.ndarray) and got.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("n_classes, class_weight", [
    (2, None), (3, None), (3, "balanced"), (3, {0: 2.0, 1: 1.0, 2: 0.5}),
])
def test_classifier_matches_in_memory_fit(client, n_classes, class_weight):
    X, _, sw = _data(seed=1)
    y = np.array(["ant", "bee", "cat"])[_labels(X, n_classes)]
    if isinstance(class_weight, dict):
        class_weight = {c: class_weight[i] for i, c in enumerate(["ant", "bee", "cat"])}
    est = SGDLogisticClassifier(preconditioning=None, batch_size=None, max_iter=12, eta0=0.5,
                                class_weight=class_weight, random_state=0)
    ref = _quiet_fit(clone(est), X, y, sample_weight=sw)
    got = _quiet_fit(clone(est), da.from_array(X, chunks=75), da.from_array(y, chunks=75),
                     sample_weight=sw)
    _assert_same_fit(ref, got)
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    np.testing.assert_array_equal(got.predict(X), ref.predict(X))


def test_full_batch_gradient_descent_closed_form(client):
    """Independent reference: theta <- theta - eta * (X1^T (X1 theta - y) / n), written out."""
    X, y, _ = _data(n=300, d=4, seed=2)
    eta, epochs = 0.1, 12
    X1 = np.column_stack([X, np.ones(len(X))])
    theta = np.zeros(X1.shape[1])
    for _ in range(epochs):
        theta -= eta * X1.T @ (X1 @ theta - y) / len(y)
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, optimizer="sgd", learning_rate="constant",
                             eta0=eta, penalty=None, max_iter=epochs, tol=None)
    got = _quiet_fit(est, da.from_array(X, chunks=64), da.from_array(y, chunks=64))
    np.testing.assert_allclose(np.r_[got.coef_, got.intercept_], theta, rtol=1e-12)
    assert got.n_iter_ == got.t_ == epochs


def test_float32_stays_float32(client):
    X, y, _ = _data(seed=3)
    X = X.astype(np.float32)
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=20, eta0=0.05, tol=None)
    ref = _quiet_fit(clone(est), X, y)
    got = _quiet_fit(clone(est), da.from_array(X, chunks=100), y)
    assert got.coef_.dtype == np.float32
    _assert_same_fit(ref, got, rtol=1e-5)  # float32 sums in a different order


def test_warm_start_continues_like_in_memory(client):
    X, y, _ = _data(seed=4)
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=10, tol=None, warm_start=True, eta0=0.05)
    ref, got = clone(est), clone(est)
    Xd = da.from_array(X, chunks=100)
    for _ in range(2):
        _quiet_fit(ref, X, y)
        _quiet_fit(got, Xd, y)
    _assert_same_fit(ref, got)


def test_unknown_chunk_sizes(client):
    """Row chunks of unknown length (e.g. after boolean masking) are measured first."""
    X, y, _ = _data(seed=5)
    keep = X[:, 0] > -1.0
    Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    Xm, ym = Xd[Xd[:, 0] > -1.0], yd[Xd[:, 0] > -1.0]
    assert np.isnan(Xm.shape[0])
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=15, eta0=0.05, tol=None)
    _assert_same_fit(_quiet_fit(clone(est), X[keep], y[keep]), _quiet_fit(clone(est), Xm, ym))


# ---- native fit: where the work happens ---------------------------------------------
def test_data_stays_on_workers(client, monkeypatch):
    """X is never converted on the client, and every epoch maps over every chunk on the workers."""
    X, y, _ = _data(n=600, seed=6)
    Xd = da.from_array(X, chunks=100).map_blocks(np.negative).map_blocks(np.negative)

    def refuse(*args, **kwargs):
        raise AssertionError("the dask array was materialised on the client")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    monkeypatch.setattr(da.Array, "compute", refuse)
    epochs = 4
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=epochs, tol=None, eta0=0.05)
    with distributed.get_task_stream(client) as ts:
        _quiet_fit(est, Xd, da.from_array(y, chunks=100))
    chunk_tasks = [t for t in ts.data if "_chunk_value_and_grad" in str(t["key"])]
    passes, rest = divmod(len(chunk_tasks), Xd.numblocks[0])  # each pass maps every chunk
    assert rest == 0 and passes >= epochs
    assert {t["worker"] for t in ts.data} <= set(client.scheduler_info()["workers"])
    assert est.n_iter_ == epochs


def test_works_without_distributed_scheduler():
    X, y, _ = _data(seed=7)
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=10, tol=None, eta0=0.05)
    ref = _quiet_fit(clone(est), X, y)
    with dask.config.set(scheduler="threads"):
        got = _quiet_fit(clone(est), da.from_array(X, chunks=100), y)
    _assert_same_fit(ref, got)


# ---- native fit: errors (clear message, nothing half-written) ----------------------
def _bad_inputs():
    X, y, sw = _data(n=200, seed=8)
    X_nan = X.copy()
    X_nan[150, 2] = np.nan
    sw_neg = sw.copy()
    sw_neg[5] = -1.0
    reg = SGDLinearRegressor(preconditioning=None, batch_size=None, max_iter=3)
    clf = SGDLogisticClassifier(preconditioning=None, batch_size=None, max_iter=3)
    return [  # (estimator, X, y, sample_weight, expected message)
        (clone(reg).set_params(batch_size=32), X, y, None, "batch_size=None"),
        (clone(reg).set_params(early_stopping=True), X, y, None, "early_stopping"),
        (clone(reg), X_nan, y, None, "NaN"),
        (clone(reg), X, np.r_[y[:-1], np.inf], None, "NaN or infinity"),
        (clone(reg), X, y[:-1], None, "inconsistent numbers of samples"),
        (clone(reg), X, y, sw_neg, "Negative values in sample_weight"),
        (clone(reg), X, y, np.zeros(len(y)), "sums to zero"),
        (clf, X, np.zeros(len(y), dtype=int), None, "only one class"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_errors_are_clear_and_leave_estimator_unfitted(client, case):
    est, X, y, sw, message = _bad_inputs()[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        est.fit(da.from_array(X, chunks=64), da.from_array(y, chunks=64), sample_weight=sw)
    assert not hasattr(est, "coef_")


def test_divergence_raises_like_in_memory(client):
    X, y, _ = _data(seed=9)
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, eta0=50.0, learning_rate="constant", tol=None)
    with pytest.raises(ValueError, match="diverged at epoch"):
        est.fit(da.from_array(X * 100, chunks=100), y)
    assert not hasattr(est, "coef_")


# ---- dask-ml ---------------------------------------------------------------------------
def test_incremental_wrapper_is_one_update_per_block(client):
    """Incremental(batch_size=None) = one full-batch GD step per block, written out."""
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y, _ = _data(n=400, d=3, seed=10)
    eta, block = 0.1, 100
    theta = np.zeros(4)
    for start in range(0, len(y), block):
        Xb = np.column_stack([X[start:start + block], np.ones(block)])
        theta -= eta * Xb.T @ (Xb @ theta - y[start:start + block]) / block
    est = SGDLinearRegressor(preconditioning=None, batch_size=None, optimizer="sgd", learning_rate="constant",
                             eta0=eta, penalty=None)
    inc = wrappers.Incremental(est, scoring="neg_mean_squared_error", shuffle_blocks=False)
    inc.fit(da.from_array(X, chunks=block), da.from_array(y, chunks=block))
    np.testing.assert_allclose(np.r_[inc.estimator_.coef_, inc.estimator_.intercept_], theta,
                               rtol=1e-12)
    assert inc.estimator_.t_ == 4
    mse = np.mean((X @ theta[:3] + theta[3] - y) ** 2)
    assert inc.score(da.from_array(X, chunks=block), da.from_array(y, chunks=block)) == \
        pytest.approx(-mse, rel=1e-10)


def test_incremental_wrapper_classifier_passes_classes(client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, _, _ = _data(n=400, seed=11)
    y = _labels(X, 3)
    est = SGDLogisticClassifier(preconditioning=None, batch_size=50, shuffle=False, eta0=0.5)
    inc = wrappers.Incremental(clone(est), scoring="accuracy", shuffle_blocks=False)
    inc.fit(da.from_array(X, chunks=100), da.from_array(y, chunks=100), classes=[0, 1, 2])
    ref = clone(est)
    for start in range(0, 400, 100):
        ref.partial_fit(X[start:start + 100], y[start:start + 100], classes=[0, 1, 2])
    _assert_same_fit(ref, inc.estimator_, rtol=1e-12)
    assert inc.score(da.from_array(X, chunks=100), da.from_array(y, chunks=100)) > 0.8


def _search_or_skip(search, *args, **kwargs):
    try:
        return search.fit(*args, **kwargs)
    except RuntimeError as exc:
        if "asynchronous Client in a synchronous context" in str(exc):
            pytest.skip(f"dask-ml {pytest.importorskip('dask_ml').__version__} model selection "
                        f"is broken with dask {dask.__version__} >= 2025.3 (dask/dask-ml#1016: "
                        "it calls dask.persist inside its async loop); works with dask<2025.3")
        raise


@pytest.mark.parametrize("kind", ["IncrementalSearchCV", "HyperbandSearchCV"])
def test_incremental_searches_pick_the_learning_rate_that_learns(client, kind):
    model_selection = pytest.importorskip("dask_ml.model_selection")
    X, y, _ = _data(n=600, seed=12)
    est = SGDLinearRegressor(preconditioning=None, batch_size=32, random_state=0)
    params = {"eta0": [1e-7, 0.05], "optimizer": ["sgd", "adam"]}
    common = dict(max_iter=3, random_state=0, scoring="neg_mean_squared_error")
    if kind == "IncrementalSearchCV":
        search = model_selection.IncrementalSearchCV(est, params, n_initial_parameters=4,
                                                     decay_rate=None, **common)
    else:
        search = model_selection.HyperbandSearchCV(est, params, **common)
    _search_or_skip(search, da.from_array(X, chunks=100), da.from_array(y, chunks=100))
    assert search.best_params_["eta0"] == 0.05  # eta0=1e-7 leaves the weights near zero
    assert -search.best_score_ < 0.5 * np.var(y)  # var(y): the MSE of predicting zero
    assert isinstance(search.best_estimator_, SGDLinearRegressor)
    assert search.best_estimator_.t_ > 0


# ---- joblib's dask backend -------------------------------------------------------------
def test_gridsearchcv_on_joblib_dask_backend_matches_sequential(client):
    joblib = pytest.importorskip("joblib")
    X, y, _ = _data(n=300, seed=13)
    grid = {"eta0": [1e-3, 3e-2], "optimizer": ["sgd", "adam"]}
    est = SGDLinearRegressor(preconditioning=None, max_iter=20, tol=None, batch_size=32, random_state=0)
    sequential = _quiet_fit(GridSearchCV(est, grid, cv=3), X, y)
    with distributed.get_task_stream(client) as ts, joblib.parallel_backend("dask"):
        on_dask = _quiet_fit(GridSearchCV(est, grid, cv=3, n_jobs=-1), X, y)
    assert len(ts.data) > 0  # the fits ran as tasks on the cluster
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"],
                                  sequential.cv_results_["mean_test_score"])
    assert on_dask.best_params_ == sequential.best_params_
