"""scikit-learn callbacks (``sklearn.callback``, scikit-learn >= 1.9).

One root task per ``fit`` / ``partial_fit`` call and one ``"epoch"`` sub-task per
epoch run, counted by what ``ProgressBar`` displays and ``ScoringMonitor`` logs, on
a bare estimator, in a ``Pipeline`` and under ``GridSearchCV`` (1 and 2 processes).
References are independent fits: ``n_iter_`` of the same fit without callbacks, and
``max_iter=j, tol=None`` fits for the model at epoch ``j``.
"""

import contextlib
import os
import pickle
import subprocess
import sys
import warnings
from collections import Counter
from importlib.util import find_spec
from unittest import mock

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd import _kernels

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9: no callbacks")
from sklearn.callback import ProgressBar, ScoringMonitor  # noqa: E402
# how scikit-learn's own callback tests collect records across worker processes
from sklearn.callback._transport import open_listener, send  # noqa: E402

needs_rich = pytest.mark.skipif(find_spec("rich") is None, reason="ProgressBar needs rich")

X_REG, Y_REG = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)
X_CLF, Y_CLF = make_classification(n_samples=120, n_features=4, random_state=0)
GRID = {"n_iter_no_change": [1, 3]}  # cells converge at different epochs
CV = KFold(3)


def regressor(**params):
    """Few enough epochs to stay fast, converging at different epochs per grid cell."""
    return SGDLinearRegressor(**{"max_iter": 40, "tol": 1e-3, "learning_rate": "constant",
                                 "batch_size": 32, "random_state": 0, **params})


class Recorder:
    """Records (hook, task name, task id path, estimator name, fitted model's
    predictions) in the main process, also from workers (scikit-learn's transport)."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at  # return True at the end of this (1-based) epoch
        self.record = []
        self._listener_handle = open_listener(self.record.append, owner=self)

    def __getstate__(self):
        return {**self.__dict__, "record": []}

    def _send(self, hook, context, fitted_estimator=None, X=None):
        path, ctx = [], context
        while ctx is not None:
            path.insert(0, ctx.task_id)
            ctx = ctx.parent
        pred = None if fitted_estimator is None or X is None else fitted_estimator.predict(X)
        send(self._listener_handle, {"hook": hook, "task": context.task_name,
                                     "path": tuple(path), "pred": pred})

    def setup(self, estimator, context):
        self._send("setup", context)

    def teardown(self, estimator, context):
        self._send("teardown", context)

    def on_fit_task_begin(self, estimator, context, *, X=None, fitted_estimator=None):
        self._send("begin", context, fitted_estimator, X)

    def on_fit_task_end(self, estimator, context, *, X=None, fitted_estimator=None):
        self._send("end", context, fitted_estimator, X)
        return context.task_name == "epoch" and context.task_id + 1 == self.stop_at

    def hooks(self, hook, task=None):
        return [r for r in self.record if r["hook"] == hook and task in (None, r["task"])]


def epochs_per_parent(paths):
    """Number of epoch tasks under each parent task (a root of one of our fits)."""
    return dict(Counter(path[:-1] for path in paths))


def expected_grid_epochs(base, search, X, y):
    """{parent path: n_iter_} for GridSearchCV's cells and refit, from fits of our own.

    Cell ``t`` of the search is ``product(candidates, splits)``'s t-th (its task id);
    the cells' tasks sit under (root, search), the refit's under (root, refit).
    """
    expected = {}
    cells = [(p, s) for p in search.cv_results_["params"] for s in CV.split(X, y)]
    for t, (params, (train, _)) in enumerate(cells):
        fit = clone(base).set_params(**params).fit(X[train], y[train])
        expected[(0, 0, t)] = fit.n_iter_
    expected[(0, 1)] = search.best_estimator_.n_iter_
    return expected


def fit_in(setting, est, callbacks, X, y):
    """Fit ``est`` with ``callbacks`` bare, in a Pipeline or under GridSearchCV; return
    (the fitted object, {parent path of our epoch tasks: expected epoch count})."""
    on_outer = [c for c in callbacks if isinstance(c, ProgressBar)]  # auto-propagated
    own = [c for c in callbacks if not isinstance(c, ProgressBar)]
    if own:
        est.set_callbacks(*own)
    if setting == "bare":
        if on_outer:
            est.set_callbacks(*own, *on_outer)
        est.fit(X, y)
        return est, {(0,): est.n_iter_}
    if setting == "pipeline":
        pipe = make_pipeline(StandardScaler(), est)
        if on_outer:
            pipe.set_callbacks(*on_outer)
        pipe.fit(X, y)
        reference = clone(est).set_callbacks().fit(StandardScaler().fit_transform(X), y)
        assert reference.n_iter_ == pipe[-1].n_iter_
        return pipe, {(0, 1): reference.n_iter_}
    n_jobs = {"grid1": 1, "grid2": 2}[setting]
    search = GridSearchCV(est, GRID, cv=CV, n_jobs=n_jobs)
    if on_outer:
        search.set_callbacks(*on_outer)
    search.fit(X, y)
    base = clone(est)
    base.set_callbacks()
    return search, expected_grid_epochs(base, search, X, y)


SETTINGS = ["bare", "pipeline", "grid1", "grid2"]


@needs_rich
@pytest.mark.parametrize("setting", SETTINGS)
def test_progressbar_one_task_per_epoch(setting, capsys):
    from sklearn.callback._progressbar import RichProgressMonitor

    begun, ended = [], []  # what the display thread (main process) was told
    on_begin, on_end = RichProgressMonitor._on_task_begin, RichProgressMonitor._on_task_end

    def record_begin(self, info):
        begun.append((tuple(info["path"]), info["estimator_name"], info["task_name"]))
        on_begin(self, info)

    def record_end(self, info):
        ended.append(tuple(info["path"]))
        on_end(self, info)

    with mock.patch.object(RichProgressMonitor, "_on_task_begin", record_begin), \
            mock.patch.object(RichProgressMonitor, "_on_task_end", record_end):
        _, expected = fit_in(setting, regressor(), [ProgressBar()], X_REG, Y_REG)
    roots = {path for path, name, task in begun if name == "SGDLinearRegressor"}
    assert roots == set(expected)
    assert all(task == "fit" for _, name, task in begun if name == "SGDLinearRegressor")
    epochs = [path for path in ended if path[:-1] in roots]
    assert epochs_per_parent(epochs) == expected
    assert len(set(expected.values())) > 1 or setting in ("bare", "pipeline")
    assert "SGDLinearRegressor - fit" in capsys.readouterr().out


@pytest.mark.parametrize("setting", SETTINGS)
def test_scoring_monitor_one_row_per_epoch(setting):
    monitor = ScoringMonitor(scoring="r2")
    fitted, expected = fit_in(setting, regressor(), [monitor], X_REG, Y_REG)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert epochs_per_parent([r["task_id_path"] for r in rows]) == expected
    if setting == "bare":  # the last epoch's model is the fitted one
        assert rows[-1]["r2"] == pytest.approx(fitted.score(X_REG, Y_REG), rel=1e-12)
        assert [r["task_id"] for r in rows] == list(range(fitted.n_iter_))


@pytest.mark.parametrize("make, X, y, extra", [
    (SGDLinearRegressor, X_REG, Y_REG, {}),
    (SGDLogisticClassifier, X_CLF, Y_CLF, {}),
    (SGDLinearRegressor, X_REG, Y_REG, {"batch_size": 16, "average": 10}),
    (SGDLogisticClassifier, X_CLF, Y_CLF, {"batch_size": None}),
])
def test_stop_from_callback_is_a_max_iter_fit(make, X, y, extra):
    """Stopping at epoch k: the fit with max_iter=k, tol=None, and no ConvergenceWarning."""
    k = 4
    params = {"learning_rate": "constant", "batch_size": 32, "random_state": 3, **extra}
    recorder = Recorder(stop_at=k)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = make(max_iter=50, tol=1e-9, **params).set_callbacks(recorder).fit(X, y)
    ref = make(max_iter=k, tol=None, **params).fit(X, y)
    assert est.n_iter_ == ref.n_iter_ == k
    assert est.t_ == ref.t_ and len(est.loss_curve_) == k
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-12)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-12, atol=1e-14)
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-12, atol=1e-14)
    assert_array_equal(est.predict(X), ref.predict(X)) if make is SGDLogisticClassifier \
        else assert_allclose(est.predict(X), ref.predict(X), rtol=1e-12)
    assert len(recorder.hooks("end", "epoch")) == k


@pytest.mark.parametrize("make, X, y, extra", [
    (SGDLinearRegressor, X_REG, Y_REG, {}),
    (SGDLogisticClassifier, X_CLF, Y_CLF, {"early_stopping": True, "eta0": 0.5}),
])
def test_fitted_estimator_is_the_model_at_that_epoch(make, X, y, extra):
    """At the end of epoch j (and the start of epoch j + 1) ``fitted_estimator``
    predicts like a fit with max_iter=j, tol=None (with early stopping: the best
    validation epoch so far, as that fit keeps)."""
    params = {"learning_rate": "constant", "batch_size": 32, "random_state": 1, **extra}
    recorder = Recorder()
    est = make(max_iter=8, tol=None, **params).set_callbacks(recorder).fit(X, y)
    ends = [r["pred"] for r in recorder.hooks("end", "epoch")]
    begins = [r["pred"] for r in recorder.hooks("begin", "epoch")]
    assert len(ends) == len(begins) == est.n_iter_ == 8
    for j in (1, 3, 8):
        ref = make(max_iter=j, tol=None, **params).fit(X, y).predict(X)
        assert_allclose(ends[j - 1], ref, rtol=1e-12, atol=1e-12)
        if j < 8:
            assert_allclose(begins[j], ref, rtol=1e-12, atol=1e-12)
    root_end = recorder.hooks("end", "fit")[0]["pred"]
    assert_allclose(root_end, est.predict(X), rtol=1e-12)


def test_teardown_runs_when_the_fit_diverges():
    recorder = Recorder()
    est = SGDLinearRegressor(learning_rate="constant", eta0=1e3, preconditioning=None,
                             max_iter=20, random_state=0).set_callbacks(recorder)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X_REG * 100, Y_REG)
    assert len(recorder.hooks("setup")) == len(recorder.hooks("teardown")) == 1
    assert not hasattr(est, "coef_")
    assert not hasattr(est, "_callback_fit_ctx") and not hasattr(est, "_callback_task")
    est.set_params(eta0=0.01, tol=None).fit(X_REG, Y_REG)  # and the next fit is a fresh task
    assert len(recorder.hooks("teardown")) == 2


def test_partial_fit_one_task_per_call():
    recorder = Recorder()
    est = SGDLogisticClassifier(random_state=0).set_callbacks(recorder)
    for _ in range(3):
        est.partial_fit(X_CLF, Y_CLF, classes=[0, 1])
    roots = recorder.hooks("begin", "partial_fit")
    epochs = recorder.hooks("end", "epoch")
    assert len(roots) == len(epochs) == len(recorder.hooks("teardown")) == est.n_iter_ == 3
    assert all(r["path"] == (0, 0) for r in epochs)  # one epoch under each call's root
    ref = SGDLogisticClassifier(random_state=0)
    for _ in range(3):
        ref.partial_fit(X_CLF, Y_CLF, classes=[0, 1])
    assert_allclose(est.coef_, ref.coef_, rtol=1e-12)


def test_no_callbacks_whole_fit_in_one_compiled_call(monkeypatch):
    """Without callbacks nothing runs per epoch: one kernel call for the whole fit;
    with one, a call per epoch."""
    calls = []
    run = _kernels.CompiledEpochs.run

    def spy(self, *args):
        calls.append(1)
        return run(self, *args)

    monkeypatch.setattr(_kernels.CompiledEpochs, "run", spy)
    est = regressor().fit(X_REG, Y_REG)
    assert len(calls) == 1 and est.n_iter_ > 1
    calls.clear()
    est.set_callbacks(Recorder()).fit(X_REG, Y_REG)
    assert len(calls) == est.n_iter_


def test_clone_and_pickle_follow_scikit_learn():
    """clone passes the callbacks by reference (scikit-learn's ``clone``); a pickled
    estimator keeps its callbacks and refits with them, a ScoringMonitor's log too."""
    monitor = ScoringMonitor(scoring="r2")
    est = regressor().set_callbacks(monitor)
    assert clone(est)._skl_callbacks[0] is monitor
    est.fit(X_REG, Y_REG)
    restored = pickle.loads(pickle.dumps(est))
    assert_array_equal(restored.coef_, est.coef_)
    restored.fit(X_REG, Y_REG)
    logs = restored._skl_callbacks[0].get_logs(select="all")
    assert len(logs) == 2
    assert logs[0].data == monitor.get_logs().data
    assert sum(r["task_name"] == "epoch" for r in logs[1].data) == restored.n_iter_


def test_without_sklearn_callback_no_set_callbacks():
    """scikit-learn < 1.9 (no ``sklearn.callback``): no set_callbacks, fits as usual."""
    code = (  # scikit-learn's own modules loaded first: they import sklearn.callback
        "import sklearn.base, sklearn.linear_model, sklearn.metrics, sklearn.model_selection\n"
        "import sklearn.pipeline, sklearn.preprocessing, sklearn.utils.validation\n"
        "import sys; sys.modules['sklearn.callback'] = None\n"
        "import numpy as np\n"
        "from skopt_gd import SGDLinearRegressor\n"
        "est = SGDLinearRegressor(random_state=0)\n"
        "assert not hasattr(est, 'set_callbacks')\n"
        "X = np.random.RandomState(0).randn(50, 3); y = X @ [1.0, 2.0, 3.0]\n"
        "assert est.fit(X, y).score(X, y) > 0.99\n"
        "est.partial_fit(X, y)\n"
        "print('ok')\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=root, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def _dask_inputs():
    da = pytest.importorskip("dask.array")
    return (da.from_array(X_REG, chunks=60), da.from_array(Y_REG, chunks=60),
            {"batch_size": None}, contextlib.nullcontext())


def _torch_inputs():
    torch = pytest.importorskip("torch")
    import sklearn

    return (torch.asarray(X_REG), torch.asarray(Y_REG),
            {"batch_size": 32, "learning_rate": "constant"},
            sklearn.config_context(array_api_dispatch=True))


@pytest.mark.parametrize("inputs", [_dask_inputs, _torch_inputs], ids=["dask", "torch"])
def test_dask_and_array_api_fits_report_their_epochs(inputs):
    """The Dask fit (skopt_gd._dask) and the Array API fit (torch tensors) run under the
    same tasks, and epoch j's fitted_estimator predicts like a fit of the same path with
    max_iter=j, tol=None."""
    X, y, params, context = inputs()
    params = {**params, "tol": None, "random_state": 0}
    recorder = Recorder()
    with context:
        est = SGDLinearRegressor(max_iter=5, **params).set_callbacks(recorder).fit(X, y)
        ends = recorder.hooks("end", "epoch")
        assert len(ends) == est.n_iter_ == 5
        for j in (2, 5):
            ref = SGDLinearRegressor(max_iter=j, **params).fit(X, y).predict(X)
            assert_allclose(np.asarray(ends[j - 1]["pred"]), np.asarray(ref),
                            rtol=1e-12, atol=1e-12)
    assert len(recorder.hooks("teardown")) == 1


@pytest.mark.parametrize("with_callback", [False, True])
def test_convergence_warning_points_at_the_callers_line(with_callback):
    from sklearn.exceptions import ConvergenceWarning

    est = regressor(max_iter=2, tol=1e-12)
    if with_callback:
        est.set_callbacks(Recorder())
    with pytest.warns(ConvergenceWarning) as record:
        est.fit(X_REG, Y_REG)
    assert record[0].filename == __file__
