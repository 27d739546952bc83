"""Wall time of whole fits, objective-vs-time trajectories, per-epoch time, peak memory.

Every time is the wall time of a complete ``fit`` call from scratch (input
validation included), the best of a few runs. A trajectory is the list of fits
with ``max_iter = 1, 2, 3, 4, 6, 8, 12, ...`` and their training objectives:
with a fixed ``random_state`` each is a prefix of the longer runs, so "time to
1 % excess" is the time of the shortest fit that ends within 1 % of the
optimum -- what a user who knew the right ``max_iter`` would wait.
"""

import gc
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import data


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def best_time(fn, repeats=3, enough=2.0):
    """(min wall time, result) over up to ``repeats`` calls, stopping once they took
    ``enough`` seconds in all (one call for anything slower)."""
    best, out, spent = np.inf, None, 0.0
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        out = _quiet(fn)
        seconds = time.perf_counter() - start
        best, spent = min(best, seconds), spent + seconds
        if spent > enough:
            break
    return best, out


def pass_time(X, repeats=7):
    """One ``X.T @ (X @ w)``: the memory-bandwidth floor of a full-batch gradient."""
    w = np.ones(X.shape[1])
    return best_time(lambda: X.T @ (X @ w), repeats, enough=5.0)[0]


@dataclass
class Point:
    seconds: float
    objective: float
    epochs: int
    r2: float = np.nan  # training R^2 (regression)


@dataclass
class Result:
    """What the report needs about one contender on one data set."""

    name: str
    points: list = field(default_factory=list)  # trajectory, or one point for exact solvers
    final: Point = None  # the fit with the contender's own stopping rule
    epoch_seconds: float = np.nan
    peak_bytes: float = np.nan
    score: float = np.nan  # held-out R^2 / accuracy of the final (or last traced) fit
    setting: str = ""

    def time_to(self, target):
        hits = [p.seconds for p in self.points if p.objective <= target]
        return min(hits) if hits else np.nan

    def time_to_r2(self, r2):
        hits = [p.seconds for p in self.points if p.r2 >= r2]
        return min(hits) if hits else np.nan


def score_fit(ds, est, seconds):
    coef, intercept = est.coef_, est.intercept_
    epochs = int(np.max(getattr(est, "n_iter_", None) or 0))
    r2 = data.train_r2(ds, coef, intercept) if ds.task == "regression" else np.nan
    return Point(seconds, data.objective(ds, coef, intercept), epochs, r2)


def epochs():
    """1, 2, 3, 4, 6, 8, 12, 16, 24, 32, ...: each about 1.4x the last."""
    k = 1
    while True:
        yield k
        k = k + 1 if k < 4 else k + k // 2 if k & (k - 1) == 0 else k + k // 3


def trajectory(make, ds, stop_below, budget, stall=True):
    """Fits of increasing ``max_iter`` until the objective is below ``stop_below``,
    the fit stops by itself, it stalls (with ``stall``; not for a contender with its
    own stopping rule, whose plateaus end in a rate cut), diverges, or the fits took
    ``budget`` seconds."""
    points, est, spent = [], None, 0.0
    for k in epochs():
        try:
            seconds, est = best_time(lambda: make(k).fit(ds.X, ds.y))
        except ValueError:  # diverged
            break
        points.append(score_fit(ds, est, seconds))
        spent += seconds
        last = points[-1]
        # stalled: no 0.1 % gain over the last 6 fits (about 4x the epochs), long enough
        # for an adaptive schedule to notice its plateau and cut the rate
        stalled = stall and len(points) >= 6 and last.objective >= 0.999 * points[-6].objective
        if (last.objective <= stop_below or last.epochs < k or spent > budget or stalled
                or not np.isfinite(last.objective)):
            break
    return points, est


def epoch_seconds(make, ds, extra=2, floor=0.0, most=64, repeats=3):
    """Marginal time of an epoch: ``(T(1 + extra epochs) - T(1 epoch)) / extra``, each
    ``T`` the best of up to ``repeats`` fits. With a ``floor`` (seconds), ``extra`` grows
    fourfold (to ``most``) until the extra epochs take that long: a millisecond epoch
    measured as the difference of two whole fits of 1 and 3 epochs read anything from
    0.02 to 7 ms on this machine (``python -m benchmarks.epochs`` uses 30 ms and five
    repeats; the suite keeps the plain difference, its epochs being long)."""
    one = best_time(lambda: make(1).fit(ds.X, ds.y), repeats=repeats)[0]
    while True:
        more = best_time(lambda: make(1 + extra).fit(ds.X, ds.y), repeats=repeats)[0]
        if more - one >= floor or extra >= most:
            return max(more - one, 0.0) / extra
        extra = min(4 * extra, most)


def peak_bytes(fit):
    """Peak bytes allocated (numpy and Python, as tracemalloc sees them) during ``fit()``."""
    gc.collect()
    tracemalloc.start()
    try:
        _quiet(fit)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
