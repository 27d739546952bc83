"""scikit-learn callbacks on the ``...CV`` estimators (``sklearn.callback``, >= 1.9).

The task tree of one ``fit``: a root ``"fit"`` task, one ``"path"`` sub-task per
(``l1_ratio``, fold) and a ``"refit"`` one; each fit of a path is an ``"alpha"`` task
of its path, and the base estimator's ``"fit"`` with its ``"epoch"`` tasks hangs
under each ``"alpha"`` and under ``"refit"`` (as under ``GridSearchCV``; the CV
estimator's own callbacks see those names, while an auto-propagated one sees the leaf
merged with the sub-estimator's root, under the sub-estimator's name ``"fit"``). Checked with
an auto-propagated recorder and with ``ProgressBar`` / ``ScoringMonitor``, bare, in a
``Pipeline`` and under ``GridSearchCV`` (1 and 2 processes). References: the same CV
fit without callbacks, the refitted model's ``n_iter_``, and fits of the base
estimator written out here.
"""

from collections import Counter
from importlib.util import find_spec

import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skopt_gd import SGDLinearRegressor, SGDLinearRegressorCV, SGDLogisticClassifierCV

callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9: no callbacks")
from sklearn.callback import AutoPropagatedCallback, ProgressBar, ScoringMonitor  # noqa: E402
from test_callbacks import Recorder  # noqa: E402

needs_rich = pytest.mark.skipif(find_spec("rich") is None, reason="ProgressBar needs rich")

X_REG, Y_REG = make_regression(n_samples=150, n_features=5, n_informative=3, noise=10.0,
                               random_state=0)
X_CLF, Y_CLF = make_classification(n_samples=150, n_features=5, random_state=0)
N_ALPHAS, CV = 4, KFold(3)


def regressor_cv(**params):
    return SGDLinearRegressorCV(**{"penalty": "l1", "alphas": N_ALPHAS, "cv": CV,
                                   "max_iter": 60, "random_state": 0, **params})


class Propagated(Recorder, AutoPropagatedCallback):
    """The recorder, handed down to sub-estimators as ``ProgressBar`` is."""

    max_propagation_depth = None

    def _send(self, hook, context, fitted_estimator=None, X=None):
        if not hasattr(fitted_estimator, "predict"):  # a Pipeline's scaler
            fitted_estimator = None
        super()._send(hook, context, fitted_estimator, X)


def tree(recorder):
    """``{task path: task name}`` of every task that ended, and the epoch count under
    each parent."""
    ends = recorder.hooks("end")
    names = {r["path"]: r["task"] for r in ends}
    epochs = Counter(r["path"][:-1] for r in ends if r["task"] == "epoch")
    return names, epochs


def path_fits(make, params, X, y, train, alphas):
    """``n_iter_`` of each fit of one path, written out: the base estimator at each alpha,
    warm-started from the previous one (the path's documented meaning)."""
    est = make(**{**params, "warm_start": True})
    out = []
    for alpha in alphas:
        out.append(est.set_params(alpha=float(alpha)).fit(X[train], y[train]).n_iter_)
    return out


def test_task_tree_one_epoch_task_per_epoch_run():
    recorder = Propagated()
    est = regressor_cv(learning_rate="adaptive", batch_size=32).set_callbacks(recorder)
    est.fit(X_REG, Y_REG)
    names, epochs = tree(recorder)
    folds = list(CV.split(X_REG, Y_REG))
    assert names[(0,)] == "fit"
    assert [names[(0, t)] for t in range(len(folds))] == ["path"] * len(folds)
    assert names[(0, len(folds))] == "fit"  # the refit, merged with the model's root
    assert epochs[(0, len(folds))] == est.best_estimator_.n_iter_
    base = {k: v for k, v in est.get_params().items()
            if k in SGDLinearRegressor().get_params()}
    for t, (train, _) in enumerate(folds):
        expected = path_fits(SGDLinearRegressor, base, X_REG, Y_REG, train, est.alphas_)
        assert [names[(0, t, a)] for a in range(N_ALPHAS)] == ["fit"] * N_ALPHAS
        assert [epochs[(0, t, a)] for a in range(N_ALPHAS)] == expected
    assert len(recorder.hooks("setup")) == len(recorder.hooks("teardown")) == 1


def test_callbacks_do_not_change_the_fit():
    plain = regressor_cv().fit(X_REG, Y_REG)
    watched = regressor_cv().set_callbacks(Propagated(), ScoringMonitor(scoring="r2"))
    watched.fit(X_REG, Y_REG)
    assert watched.alpha_ == plain.alpha_
    assert_array_equal(watched.scores_, plain.scores_)
    assert_array_equal(watched.coef_, plain.coef_)


def test_fitted_estimator_of_an_alpha_task_is_that_fold_model():
    """The ``fitted_estimator`` of each ``"alpha"`` task predicts like the fold's model at
    that alpha, written out: the base estimator fitted on the fold's rows, warm-started
    along the grid; the root's is the fitted CV estimator."""
    recorder = Recorder()
    est = regressor_cv(learning_rate="constant", batch_size=32).set_callbacks(recorder)
    est.fit(X_REG, Y_REG)
    params = {k: v for k, v in est.get_params().items()
              if k in SGDLinearRegressor().get_params()}
    for t, (train, _) in enumerate(CV.split(X_REG, Y_REG)):
        ends = [r for r in recorder.hooks("end", "alpha") if r["path"][1] == t]
        assert [r["path"][2] for r in ends] == list(range(N_ALPHAS))
        ref = SGDLinearRegressor(**{**params, "warm_start": True})
        for alpha, row in zip(est.alphas_, ends):
            ref.set_params(alpha=float(alpha)).fit(X_REG[train], Y_REG[train])
            assert_allclose(row["pred"], ref.predict(X_REG[train]), rtol=1e-12, atol=1e-9)
    root = [r for r in recorder.hooks("end", "fit") if r["path"] == (0,)]
    assert len(root) == 1
    assert_allclose(root[0]["pred"], est.predict(X_REG), rtol=1e-12)


@pytest.mark.parametrize("setting", ["bare", "pipeline", "grid1", "grid2"])
def test_scoring_monitor_and_propagation_in_every_setting(setting):
    """The recorder reaches every epoch of every fit, bare, in a Pipeline, under
    GridSearchCV; each fit's epoch count is its ``n_iter_``."""
    recorder = Propagated()
    est = SGDLogisticClassifierCV(alphas=3, cv=KFold(2), max_iter=30, random_state=0)
    if setting == "bare":
        est.set_callbacks(recorder).fit(X_CLF, Y_CLF)
        fitted = est
    elif setting == "pipeline":
        fitted = make_pipeline(StandardScaler(), est).set_callbacks(recorder).fit(X_CLF, Y_CLF)
        fitted = fitted[-1]
    else:
        search = GridSearchCV(est, {"fit_intercept": [True, False]}, cv=KFold(2),
                              n_jobs=1 if setting == "grid1" else 2)
        search.set_callbacks(recorder).fit(X_CLF, Y_CLF)
        fitted = search.best_estimator_
    names, epochs = tree(recorder)
    paths = [p for p, n in names.items() if n == "path"]
    leaves = [p for p in names if p[:-1] in paths]
    assert len(leaves) == 3 * len(paths) and all(epochs[p] >= 1 for p in leaves)
    root = {"bare": (0,), "pipeline": (0, 1)}.get(setting, (0, 1))  # grid: its refit
    assert [names[root + (t,)] for t in range(2)] == ["path", "path"]
    assert epochs[root + (2,)] == fitted.best_estimator_.n_iter_


@needs_rich
def test_progressbar_shows_the_cv_fit(capsys):
    est = regressor_cv().set_callbacks(ProgressBar())
    est.fit(X_REG, Y_REG)
    out = capsys.readouterr().out
    assert "SGDLinearRegressorCV - fit" in out
    assert est.alpha_ in est.alphas_


def test_stop_requested_in_an_alpha_fit_ends_that_fit():
    """A callback asking to stop at epoch 2 ends every fit after 2 epochs: each path fit
    and the refit then equal fits with max_iter=2."""
    recorder = Propagated(stop_at=2)
    est = regressor_cv(learning_rate="constant", batch_size=32, tol=1e-12)
    est.set_callbacks(recorder).fit(X_REG, Y_REG)
    _, epochs = tree(recorder)
    assert set(epochs.values()) == {2}
    assert est.best_estimator_.n_iter_ == 2
    ref = clone(est.best_estimator_).set_params(max_iter=2, tol=None)
    ref.set_callbacks()
    assert_allclose(ref.fit(X_REG, Y_REG).coef_, est.coef_, rtol=1e-12, atol=1e-14)


def test_clone_and_pickle_keep_the_callbacks():
    """clone shares the callbacks (scikit-learn's clone); a pickled fitted CV estimator
    keeps its monitor, log included, and logs a second run when refitted."""
    import pickle

    est = regressor_cv().set_callbacks(ScoringMonitor(scoring="r2"))
    assert clone(est)._skl_callbacks[0] is est._skl_callbacks[0]
    restored = pickle.loads(pickle.dumps(clone(est).fit(X_REG, Y_REG)))
    restored.fit(X_REG, Y_REG)
    logs = restored._skl_callbacks[0].get_logs(select="all")
    assert [sum(r["task_name"] == "alpha" for r in log.data) for log in logs] == [12, 12]


def test_alpha_tasks_get_the_fold_rows_on_the_least_squares_path():
    """The default squared-error path trains on the fold's least-squares rows; its
    callbacks still get the fold's own rows, so ScoringMonitor's R^2 is the fold model's
    on them -- the R^2 of a reference fit on those rows, to its convergence."""
    from sklearn.metrics import r2_score

    recorder, monitor = Recorder(), ScoringMonitor(scoring="r2")
    est = regressor_cv(max_iter=500).set_callbacks(recorder, monitor).fit(X_REG, Y_REG)
    assert est.batch_size is None  # the least-squares path
    train = next(iter(CV.split(X_REG, Y_REG)))[0]
    preds = [r["pred"] for r in recorder.hooks("end", "alpha") if r["path"][1] == 0]
    rows = [r for r in monitor.get_logs().data
            if r["task_name"] == "alpha" and r["task_id_path"][1] == 0]
    params = {k: v for k, v in est.get_params().items()
              if k in SGDLinearRegressor().get_params()}
    ref = SGDLinearRegressor(**{**params, "warm_start": True})
    for alpha, pred, row in zip(est.alphas_, preds, rows):
        assert pred.shape == (len(train),)
        assert row["r2"] == pytest.approx(r2_score(Y_REG[train], pred), rel=1e-12)
        ref.set_params(alpha=float(alpha)).fit(X_REG[train], Y_REG[train])
        assert row["r2"] == pytest.approx(ref.score(X_REG[train], Y_REG[train]), abs=1e-4)
