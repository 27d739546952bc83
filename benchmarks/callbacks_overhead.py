"""What scikit-learn callbacks cost a fit: none when no callback is set.

Three timings of the same default ``SGDLinearRegressor`` fit (the least CPU time of a
few runs of a complete ``fit``, the three kinds in turn so that a busy machine slows all alike;
kernels compiled and loaded before timing):

* ``before``: the code without callback support (``--before DIR``: a checkout of it,
  timed in a subprocess with its own numba cache), no callbacks;
* ``none``: this code, no callbacks (the whole fit stays one compiled call);
* ``noop``: this code, one callback whose hooks do nothing (the fit then runs one
  compiled call per epoch, plus scikit-learn's hook dispatch per epoch).

Printed as ratios to ``none`` and as microseconds per epoch.

    python benchmarks/callbacks_overhead.py
    git worktree add /tmp/before <commit>; python benchmarks/callbacks_overhead.py --before /tmp/before
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

CASES = {  # name: (rows, features, estimator parameters)
    "small 2000x10, batch 128": (2000, 10, {}),
    "large 50000x50, batch 128": (50000, 50, {}),
    "full batch 5000x20": (5000, 20, {"batch_size": None, "max_iter": 200}),
}


class NoOp:
    """A callback that does nothing at every hook."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass


def _cases():
    """{case: (X, y, a fresh estimator)}, kernels loaded (a small fit of each first)."""
    import numpy as np
    from skopt_gd import SGDLinearRegressor

    out = {}
    for name, (n, d, params) in CASES.items():
        rng = np.random.RandomState(0)
        X = rng.randn(n, d)
        y = X @ rng.randn(d) + 0.1 * rng.randn(n)
        make = lambda params=params: SGDLinearRegressor(random_state=0, **params)  # noqa: E731
        out[name] = (X, y, make)
        _time(out[name], False)
    return out


def _time(case, noop):
    """(CPU time of one complete fit, all threads, its n_iter_): on a machine shared
    with other work, much steadier than its wall time."""
    X, y, make = case
    est = make().set_callbacks(NoOp()) if noop else make()
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.process_time()
        est.fit(X, y)
        return time.process_time() - start, int(est.n_iter_)


def serve():
    """The ``--before`` side: one timing per case name read from stdin."""
    cases = _cases()
    print("ready", flush=True)
    for line in sys.stdin:
        print(json.dumps(_time(cases[line.strip()], False)), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="checkout of the code without callback support")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve()
    before = None
    if args.before:  # a process on the other checkout, timed in turn with this one's fits
        env = {**os.environ, "PYTHONPATH": os.path.abspath(args.before)}
        before = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve"],
                                  env=env, cwd=args.before, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert before.stdout.readline().strip() == "ready"
    cases = _cases()
    best = {name: {} for name in cases}
    for _ in range(args.repeats):  # interleaved, so that a busy machine slows all alike
        for name, case in cases.items():
            runs = {"none": _time(case, False), "noop": _time(case, True)}
            if before is not None:
                before.stdin.write(name + "\n")
                before.stdin.flush()
                runs["before"] = tuple(json.loads(before.stdout.readline()))
            for kind, (seconds, epochs) in runs.items():
                assert epochs == runs["none"][1], (name, runs)  # the same fit
                best[name][kind] = min(best[name].get(kind, np.inf), seconds)
            best[name]["epochs"] = epochs
    if before is not None:
        before.stdin.close()
        before.wait()
    print(f"{'case':28} {'epochs':>6} {'none/before':>12} {'noop/none':>10} "
          f"{'none cpu ms':>11} {'noop us/epoch':>14}")
    for name, row in best.items():
        ratio = f"{row['none'] / row['before']:.3f}" if before else "-"
        per_epoch = 1e6 * (row["noop"] - row["none"]) / row["epochs"]
        print(f"{name:28} {row['epochs']:>6} {ratio:>12} {row['noop'] / row['none']:>10.3f} "
              f"{1e3 * row['none']:>11.2f} {per_epoch:>14.1f}")


if __name__ == "__main__":
    main()
