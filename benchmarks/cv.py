"""``...CV`` estimators against scikit-learn's, side by side in one run, as ratios.

* ``SGDLinearRegressorCV(penalty="l1", alphas=20, cv=5)`` vs ``LassoCV(alphas=20, cv=5)``
  at 100,000 x 100 dense (issue 13's target: ours <= 1x LassoCV's wall time);
* ``SGDLogisticClassifierCV`` on 10 values x 5 folds vs ``LogisticRegressionCV(Cs=10,
  cv=5)`` on the same grid (``alpha = 1 / (C n_train)``; target: <= 0.5x);
* on the sparse text-like set of the benchmarks (``benchmarks.data.text_like``: CSR,
  Zipf vocabulary, tf-idf rows of unit norm), ``SGDLogisticClassifierCV`` vs a
  ``GridSearchCV`` over ``SGDClassifier(loss="log_loss")``'s ``alpha`` on the same 10
  values and folds (both objectives are ``mean log-loss + alpha ||w||^2 / 2``; target:
  <= 0.5x). ``--text N D`` sets its size (``--text 0 0`` skips it).

Both sides get the same folds (one ``KFold`` object) and the same grid; every time is the
wall time of a whole ``fit`` (validation, grid, all folds, the refit), the best of
``--repeats`` runs after one warm-up fit that compiles/loads the numba kernels. Besides
the time, each row reports the chosen alpha and the anchor's own CV score at our choice
relative to its best (is a faster answer a worse one?).

    python benchmarks/cv.py            # 100,000 x 100
    python benchmarks/cv.py --quick    # 20,000 x 50
    python benchmarks/cv.py --quick --base-defaults   # also the base's mini-batch settings
    python benchmarks/cv.py --text 200000 100000       # the suite's full-size text set
    python benchmarks/cv.py --text-only --text-variants --repeats 1   # other routes on text
    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        python benchmarks/cv.py --cpu-time             # steadier on a shared machine
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LassoCV, LogisticRegressionCV, SGDClassifier
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

from skopt_gd import SGDLinearRegressorCV, SGDLogisticClassifierCV

if __package__ in (None, ""):  # python benchmarks/cv.py
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks import data  # noqa: E402


#: our rows: the CV defaults (full batch, constant rate); ``--base-defaults`` adds the
#: base estimator's (mini-batches of 128, "adaptive": ~90 epochs per fit, slow at full size)
VARIANTS = [("defaults", {})]
BASE_DEFAULTS = ("batch_size=128, adaptive", {"batch_size": 128, "learning_rate": "adaptive"})
#: ``--text-variants``: other routes on the text set (none of them is a default)
TEXT_VARIANTS = [
    ("auto / auto", {"batch_size": "auto", "learning_rate": "auto"}),
    ("auto / auto, tol=1e-4", {"batch_size": "auto", "learning_rate": "auto", "tol": 1e-4}),
    ("b16, optimal", {"batch_size": 16, "learning_rate": "optimal"}),
    ("b16, optimal, tol=1e-3", {"batch_size": 16, "learning_rate": "optimal", "tol": 1e-3}),
]


def regression_data(n, p, seed=0):
    """``y = X w + noise`` with a tenth of ``w`` nonzero, features of mixed scales."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p) * rng.uniform(0.5, 2.0, p)
    w = np.where(rng.rand(p) < 0.1, rng.randn(p), 0.0)
    return X, X @ w + 1.0 + rng.randn(n)


#: the clock of ``timed``: wall time, or (``--cpu-time``) this process's CPU time -- the
#: steadier measure on a shared machine, with every library on one thread
#: (``NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``)
CLOCK = {"clock": time.perf_counter}


def timed(make, X, y, repeats):
    """``(best time, fitted estimator)`` over ``repeats`` fits from scratch."""
    best, est, clock = np.inf, None, CLOCK["clock"]
    for _ in range(repeats):
        est = make()
        start = clock()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        best = min(best, clock() - start)
    return best, est


def regression_rows(n, p, folds, repeats, n_jobs, variants):
    X, y = regression_data(n, p)
    t_ref, ref = timed(lambda: LassoCV(alphas=20, cv=folds, n_jobs=n_jobs), X, y, repeats)
    curve = ref.mse_path_.mean(axis=1)
    rows = [("LassoCV(alphas=20, cv=5)", t_ref, 1.0, ref.alpha_, 0.0)]
    for label, params in variants:
        t, ours = timed(lambda: SGDLinearRegressorCV(
            penalty="l1", alphas=20, cv=folds, n_jobs=n_jobs, random_state=0, **params),
            X, y, repeats)
        k = int(np.argmin(np.abs(ref.alphas_ - ours.alpha_)))
        rows.append((f"SGDLinearRegressorCV l1, {label}", t, t / t_ref, ours.alpha_,
                     (curve[k] - curve.min()) / curve.min()))
    return rows


def classifier_rows(n, p, folds, repeats, n_jobs, variants):
    X, y = make_classification(n, p, n_informative=p // 5, random_state=0)
    Cs = np.logspace(-4, 4, 10)
    alphas = 1.0 / (Cs * (n - n // folds.get_n_splits()))
    t_ref, ref = timed(lambda: LogisticRegressionCV(
        Cs=Cs, cv=folds, n_jobs=n_jobs, scoring="accuracy", l1_ratios=(0,),
        use_legacy_attributes=False), X, y, repeats)
    curve = ref.scores_.mean(axis=0)[0]  # increasing C = decreasing alpha
    rows = [("LogisticRegressionCV(Cs=10, cv=5)", t_ref, 1.0, 1.0 / (ref.C_ * len(y) * 0.8),
             0.0)]
    for label, params in variants:
        t, ours = timed(lambda: SGDLogisticClassifierCV(
            alphas=alphas, cv=folds, n_jobs=n_jobs, random_state=0, **params), X, y, repeats)
        k = int(np.argmin(np.abs(np.sort(alphas)[::-1] - ours.alpha_)))
        rows.append((f"SGDLogisticClassifierCV l2, {label}", t, t / t_ref, ours.alpha_,
                     curve.max() - curve[k]))
    return rows


#: the text set's grid: SGDClassifier's alpha, log-spaced around its default 1e-4
TEXT_GRID = np.logspace(-3, -7, 10)


def text_rows(n, d, repeats, n_jobs, variants):
    ds = data.text_like(n, d, alpha=1e-5)
    X, y = ds.X, ds.y
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    t_ref, ref = timed(lambda: GridSearchCV(
        SGDClassifier(loss="log_loss", random_state=0), {"alpha": TEXT_GRID}, cv=folds,
        scoring="accuracy", n_jobs=n_jobs), X, y, repeats)
    curve = ref.cv_results_["mean_test_score"]  # in TEXT_GRID's (decreasing) order
    rows = [(f"GridSearchCV(SGDClassifier) text {n:,} x {d:,}", t_ref, 1.0,
             ref.best_params_["alpha"], 0.0)]
    for label, params in variants:
        t, ours = timed(lambda: SGDLogisticClassifierCV(
            alphas=TEXT_GRID, cv=folds, n_jobs=n_jobs, random_state=0, **params), X, y,
            repeats)
        k = int(np.argmin(np.abs(TEXT_GRID - ours.alpha_)))
        rows.append((f"SGDLogisticClassifierCV text, {label}", t, t / t_ref, ours.alpha_,
                     curve.max() - curve[k]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 x 50 instead")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--base-defaults", action="store_true",
                        help="also time the base estimator's batch_size=128, 'adaptive'")
    parser.add_argument("--text", type=int, nargs=2, metavar=("N", "D"), default=None,
                        help="size of the sparse text set (default 20,000 x 10,000; "
                             "5,000 x 5,000 with --quick; 0 0 skips it)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by process CPU time (run every library on one thread)")
    parser.add_argument("--text-only", action="store_true", help="only the text set")
    parser.add_argument("--text-variants", action="store_true",
                        help="also time the other routes of TEXT_VARIANTS on the text set")
    args = parser.parse_args(argv)
    if args.cpu_time:
        CLOCK["clock"] = time.process_time
    n, p = (20_000, 50) if args.quick else (100_000, 100)
    text = args.text or ((5_000, 5_000) if args.quick else (20_000, 10_000))
    folds = KFold(5, shuffle=True, random_state=0)
    timed(lambda: SGDLinearRegressorCV(alphas=2, cv=2, max_iter=2),
          *regression_data(200, 5), 1)  # warm-up: numba's kernels compiled / loaded
    timed(lambda: SGDLogisticClassifierCV(alphas=2, cv=2, max_iter=2),
          *make_classification(200, 5, random_state=0), 1)
    clock = "CPU time" if args.cpu_time else "wall time"
    print(f"{n:,} x {p} dense, 5 folds, n_jobs={args.n_jobs}, best of {args.repeats}, "
          f"{clock}\n")
    print(f"| {'estimator':<52} | {'seconds':>8} | {'ratio':>6} | {'alpha_':>10} | "
          f"{'anchor score gap':>16} |")
    print(f"|{'-' * 54}|{'-' * 10}:|{'-' * 7}:|{'-' * 11}:|{'-' * 17}:|")
    variants = VARIANTS + [BASE_DEFAULTS] * args.base_defaults
    tables = [lambda: regression_rows(n, p, folds, args.repeats, args.n_jobs, variants),
              lambda: classifier_rows(n, p, folds, args.repeats, args.n_jobs, variants)]
    tables = [] if args.text_only else tables
    if min(text) > 0:
        extra = TEXT_VARIANTS * args.text_variants
        tables.append(lambda: text_rows(*text, args.repeats, args.n_jobs, variants + extra))
    for rows in tables:
        for label, seconds, ratio, alpha, gap in rows():
            print(f"| {label:<52} | {seconds:8.2f} | {ratio:6.2f} | {alpha:10.3g} | "
                  f"{gap:16.2e} |", flush=True)
    print(f"\nratio: {clock} / the anchor's. anchor score gap: the anchor's mean CV score "
          "at our alpha vs its best (relative MSE for LassoCV, accuracy for "
          "LogisticRegressionCV and the text grid search).")


if __name__ == "__main__":
    main()
