"""Measure every contender on one data set, side by side in one process."""

import time

import numpy as np
import scipy.sparse as sp

from . import contenders as C
from . import data, timing
from .timing import Result, best_time, score_fit

TARGET_1, TARGET_01 = 1e-2, 1e-3  # relative excess objective over the exact optimum


def optimum(ds):
    """(J*, seconds): the exact optimum of the data set's objective."""
    start = time.perf_counter()
    if ds.task == "regression":
        coef, intercept = data.ridge_optimum(ds)
    else:
        coef, intercept = data.logistic_optimum(ds)
    return data.objective(ds, coef, intercept), time.perf_counter() - start


def traced(contender, ds, j_star, budget):
    """A contender's trajectory; for a grid (best-tuned), the setting fastest to 0.1 %."""
    settings = contender.grid or (None,)
    best = None
    for c in settings:
        def make(k, c=c):
            return contender.make(ds, k) if c is None else contender.make(ds, k, c=c)
        points, est = timing.trajectory(make, ds, j_star * (1 + TARGET_01), budget,
                                        stall="defaults" not in contender.name)
        res = Result(contender.name, points, setting="" if c is None else f"c = {c:g}")
        res.make, res.est = make, est
        if best is None or _rank(res, j_star) < _rank(best, j_star):
            best = res
    return best


def _rank(res, j_star):
    t01, t1 = res.time_to(j_star * (1 + TARGET_01)), res.time_to(j_star * (1 + TARGET_1))
    final = min(p.objective for p in res.points) if res.points else np.inf
    return (np.nan_to_num(t01, nan=np.inf), np.nan_to_num(t1, nan=np.inf), final)


def measure_contender(contender, ds, j_star, budget, log):
    start = time.perf_counter()
    if contender.iterative:
        res = traced(contender, ds, j_star, budget)
        if "best" not in contender.name:  # defaults and solvers: their own stopping rule
            seconds, est = best_time(lambda: contender.make(ds).fit(ds.X, ds.y), enough=budget)
            res.final = score_fit(ds, est, seconds)
            res.points.append(res.final)  # what a user running fit() waits for: a point too
        else:
            est = res.est
        if contender.name.startswith(("ours", "sklearn")):
            res.epoch_seconds = timing.epoch_seconds(res.make, ds)
        res.peak_bytes = timing.peak_bytes(lambda: res.make(2).fit(ds.X, ds.y))
    else:
        seconds, est = best_time(lambda: contender.make(ds).fit(ds.X, ds.y), enough=budget)
        res = Result(contender.name, final=score_fit(ds, est, seconds))
        res.points = [res.final]
        res.peak_bytes = timing.peak_bytes(lambda: contender.make(ds).fit(ds.X, ds.y))
    res.score = data.test_score(ds, est.coef_, est.intercept_)
    log(f"  {contender.name:28s} {time.perf_counter() - start:7.1f} s")
    return res


def epoch_limits(ds):
    """Seconds per epoch at the memory-bandwidth limit (target 3), ours vs the peers."""
    m = lambda make: timing.epoch_seconds(make, ds)  # noqa: E731
    return {
        "pass": timing.pass_time(ds.X),
        "ours full batch": m(lambda k: C.batch(ds, None, k)),
        "ours batch 256": m(lambda k: C.batch(ds, 256, k)),
        "ours batch 1 sgd": m(lambda k: C.per_sample(ds, "sgd", k)),
        "ours batch 1 adam": m(lambda k: C.per_sample(ds, "adam", k)),
        "sklearn SGD": m(lambda k: C.sklearn_epoch(ds, k)),
    }


def measure(ds, budget, log=print):
    """Everything the report shows about one data set."""
    log(f"{ds.label}: X {ds.nbytes / 2**20:,.0f} MiB")
    j_star, opt_seconds = optimum(ds)
    results = [measure_contender(c, ds, j_star, budget, log) for c in C.contenders(ds)]
    limits = epoch_limits(ds) if ds.task == "regression" else None
    return dict(label=ds.label, name=ds.name, task=ds.task, shape=ds.shape, sparse=sp.issparse(ds.X),
                nbytes=ds.nbytes, j_star=j_star, optimum_seconds=opt_seconds,
                results=results, limits=limits)


def warm_up():
    """Load the compiled kernels once (from numba's cache, or compiling them) so that
    no timed fit pays for it: what ``import sklearn`` pays for its Cython at import."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(64, 3), rng.randn(64)
    for kind in (X, sp.csr_matrix(X)):
        for params in (dict(batch_size=4), dict(batch_size=4, optimizer="adam"),
                       dict(batch_size=16), dict(batch_size=None)):
            timing._quiet(lambda: C.SGDLinearRegressor(**params, max_iter=2).fit(kind, y))
            timing._quiet(lambda: C.SGDLogisticClassifier(**params, max_iter=2).fit(
                kind, y > 0))
