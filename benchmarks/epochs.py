"""Issue 12, target 3 (one table): the epoch time of every optimizer at small batches,
side by side with plain SGD's and with ``SGDRegressor``'s per-sample epoch.

    python -m benchmarks.epochs                 # 20,000 x 100, batch sizes 1 and 16
    python -m benchmarks.epochs --rows 100000 --batch-sizes 1

Each time is the marginal cost of an epoch, ``(T(1 + k epochs) - T(1 epoch)) / k`` of whole
``fit`` calls (``benchmarks.timing.epoch_seconds``), at a constant rate (``eta0=1e-4``,
``tol=None``) on the benchmarks' correlated Gaussian regression set, every other
parameter at its default (``preconditioning="auto"``). Plain SGD per sample under the
diagonal preconditioner has its own closed form (``_kernels._diag_step``); every other
rule runs the generic compiled kernel, so the ratio to ``momentum`` (plain SGD's rule
on that kernel) is reported too.
"""

import argparse
import warnings

from sklearn.linear_model import SGDRegressor

from skopt_gd import SGDLinearRegressor
from skopt_gd.optimizers import OPTIMIZERS

if __package__ in (None, ""):  # python benchmarks/epochs.py
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import data, timing  # noqa: E402


def _ratio(a, b):
    """``a / b`` as ``1.23x``; a dash where ``b`` read 0 (a difference of two short fits)."""
    return f"{a / b:.2f}x" if b > 0 else "—"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--floor", type=float, default=0.03,
                        help="seconds the extra epochs of a measurement must take (more "
                             "epochs until they do; 0: the plain 3-minus-1 difference)")
    args = parser.parse_args(argv)
    repeats = 5 if args.floor else 3  # best of five where the epochs are grown
    warnings.simplefilter("ignore")
    ds = data.dense("regression", args.rows, args.features, 1e-4)
    reference = timing.epoch_seconds(lambda k: SGDRegressor(
        alpha=1e-4, max_iter=k, tol=None, eta0=1e-4, learning_rate="constant",
        random_state=0), ds, floor=args.floor, repeats=repeats)
    print(f"regression {args.rows:,} x {args.features}, SGDRegressor per-sample epoch "
          f"{1e3 * reference:.2f} ms\n")
    print(f"| {'batch':>5} | {'optimizer':<18} | {'epoch ms':>8} | {'/ sgd':>6} | "
          f"{'/ momentum':>10} | {'/ SGDRegressor':>14} |")
    print(f"|{'-' * 6}:|{'-' * 20}|{'-' * 9}:|{'-' * 7}:|{'-' * 11}:|{'-' * 15}:|")
    for bs in args.batch_sizes:
        times = {name: timing.epoch_seconds(lambda k, name=name: SGDLinearRegressor(
            alpha=1e-4, max_iter=k, tol=None, eta0=1e-4, batch_size=bs, optimizer=name,
            learning_rate="constant", random_state=0), ds, floor=args.floor, repeats=repeats)
            for name in OPTIMIZERS}
        for name, seconds in times.items():
            print(f"| {bs:>5} | {name:<18} | {1e3 * seconds:>8.2f} | "
                  f"{_ratio(seconds, times['sgd']):>6} | "
                  f"{_ratio(seconds, times['momentum']):>10} | "
                  f"{_ratio(seconds, reference):>14} |")


if __name__ == "__main__":
    main()
