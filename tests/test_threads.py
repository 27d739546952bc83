"""The BLAS libraries run on one thread while a fit runs, and get the user's setting back
after it -- also after nested fits (a ``...CV`` path) and concurrent ones (threads)."""

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skopt_gd import SGDLinearRegressor, SGDLinearRegressorCV
from skopt_gd._threads import one_blas_thread


def _blas_threads():
    return sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})


pytestmark = pytest.mark.skipif(not _blas_threads(), reason="no BLAS library threadpoolctl sees")


def test_nested_and_concurrent_limits_restore_the_setting():
    """Fits nested in a fit, and fits in other threads while one runs (the ``...CV``
    estimators' joblib threads), keep the limit until the last one ends; then the
    user's setting is back. (threadpoolctl lets one Python thread control OpenBLAS --
    here the main thread -- so the other threads only ever join its limit.)"""
    with threadpool_limits(3, user_api="blas"):
        assert _blas_threads() == [3]
        inside, barrier = [], threading.Barrier(2)

        def worker():
            with one_blas_thread():
                barrier.wait()  # both inside at once
                inside.append(_blas_threads())
                barrier.wait()
            inside.append(_blas_threads())  # the main thread's limit still holds

        with one_blas_thread():
            with one_blas_thread():
                assert _blas_threads() == [1]
            assert _blas_threads() == [1]  # the outer one still holds
            threads = [threading.Thread(target=worker) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert inside == [[1]] * 4
        assert _blas_threads() == [3]


class _Recording:
    """A user's duck-typed SGD (the Python loop runs it) that records the BLAS threads
    at its first step."""

    seen = []

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def init_state(self, params):
        return {}

    def step(self, grad, state, t):
        if not _Recording.seen:
            _Recording.seen.append(_blas_threads())
        return grad


@pytest.mark.parametrize("cv", [False, True])
def test_a_fit_runs_on_one_blas_thread_and_restores_the_users(cv):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 4))
    y = X @ np.arange(1.0, 5.0) + 0.1 * rng.standard_normal(200)
    est = (SGDLinearRegressorCV(alphas=3, cv=3, optimizer=_Recording(), max_iter=5, tol=None)
           if cv else SGDLinearRegressor(optimizer=_Recording(), max_iter=5, tol=None))
    _Recording.seen.clear()
    with threadpool_limits(2, user_api="blas"):
        est.fit(X, y)
        assert _blas_threads() == [2]
    assert _Recording.seen == [[1]]


def test_a_failed_fit_restores_the_setting():
    with threadpool_limits(2, user_api="blas"):
        with pytest.raises(ValueError):
            SGDLinearRegressor().fit(np.full((5, 2), np.nan), np.ones(5))
        assert _blas_threads() == [2]


def test_a_fits_warning_points_at_the_callers_line():
    """The loop's ConvergenceWarning names the user's line however deep in the package it
    is raised (a log-loss fit at the package's settings runs in stages, below ``_fit``
    and the host fit that holds the BLAS limit)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.exceptions import ConvergenceWarning

    from skopt_gd import SGDLogisticClassifier

    X, y = load_breast_cancer(return_X_y=True)
    with pytest.warns(ConvergenceWarning) as record:
        SGDLogisticClassifier(max_iter=40, random_state=0).fit(X, y)
    assert {r.filename for r in record} == {__file__}
