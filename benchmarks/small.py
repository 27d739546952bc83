"""Issue 11, target 1 (one table): a default fit on a small raw table, side by side.

    python -m benchmarks.small            # diabetes (442 x 10, raw columns)

Times whole ``fit`` calls of ``SGDLinearRegressor()`` (defaults: raw columns, no
scaler), ``SGDRegressor()`` on the same raw table (what it returns there is poor:
this is its speed, not its answer) and ``LinearRegression()``, interleaved, best of
``--repeat`` each, after one warm-up fit (numba's cache load not timed). Also the
parts of ours: the fixed cost of a fit and the marginal cost of an epoch
(``max_iter`` 10 and 210 with ``tol=None``).
"""

import argparse
import time
import warnings

from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, SGDRegressor

from skopt_gd import SGDLinearRegressor


def best(fit, repeat):
    """Best wall time of ``repeat`` calls of ``fit``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args(argv)
    X, y = load_diabetes(return_X_y=True, scaled=False)
    warnings.simplefilter("ignore")  # SGDRegressor's convergence warnings on raw columns
    contenders = {"SGDLinearRegressor()": lambda: SGDLinearRegressor().fit(X, y),
                  "SGDRegressor()": lambda: SGDRegressor().fit(X, y),
                  "LinearRegression()": lambda: LinearRegression().fit(X, y)}
    for fit in contenders.values():
        fit()
    seconds = {name: best(fit, args.repeat) for name, fit in contenders.items()}
    short = best(lambda: SGDLinearRegressor(max_iter=10, tol=None).fit(X, y), args.repeat)
    long = best(lambda: SGDLinearRegressor(max_iter=210, tol=None).fit(X, y), args.repeat)
    epoch = (long - short) / 200
    print(f"diabetes, raw columns, {X.shape[0]} x {X.shape[1]}, best of {args.repeat}")
    for name, s in seconds.items():
        print(f"  {name:22s} {s * 1e3:7.2f} ms")
    ours = seconds["SGDLinearRegressor()"]
    print(f"  ratio ours / SGDRegressor: {ours / seconds['SGDRegressor()']:.2f}  (target <= 1)"
          f"; ours / LinearRegression: {ours / seconds['LinearRegression()']:.2f}")
    print(f"  ours: fixed cost {(short - 10 * epoch) * 1e3:.2f} ms, "
          f"epoch {epoch * 1e6:.1f} us, default fit {SGDLinearRegressor().fit(X, y).n_iter_}"
          " epochs")


if __name__ == "__main__":
    main()
