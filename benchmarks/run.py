"""Run the benchmark suite and write ``benchmarks/results/``.

    python -m benchmarks              # full run: the issue's data sets (about 30 min)
    python -m benchmarks --quick      # CI size, under a minute
    python benchmarks/run.py --only regression-100000x100 sparse

Writes ``results/benchmarks[-quick].md`` (tables and target checks),
``results/objective_vs_time[-quick].png`` and ``results/benchmarks[-quick].json``
(every point measured). All contenders run side by side in one process; the
machine's load is recorded at the start and the end, since timings on a shared
machine are only comparable within one run.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from benchmarks import data, report, suite  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ALPHA, SPARSE_ALPHA = 1e-4, 1e-5  # the estimators' default; text data wants a weaker one

FULL = [("regression", 100_000, 100), ("regression", 1_000_000, 20),
        ("regression", 200_000, 1_000), ("binary", 100_000, 100), ("binary", 1_000_000, 20),
        ("multinomial", 100_000, 100), ("multinomial", 1_000_000, 20),
        ("sparse", 200_000, 100_000)]
QUICK = [("regression", 20_000, 50), ("binary", 10_000, 40), ("multinomial", 5_000, 20)]


def make(task, n, d):
    if task == "sparse":
        return data.text_like(n, d, SPARSE_ALPHA)
    return data.dense(task, n, d, ALPHA)


def machine():
    import numba
    import scipy
    import sklearn

    cpu = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy "
            f"{np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
            f"numba {numba.__version__}")


def load():
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, under a minute")
    parser.add_argument("--only", nargs="*", help="data set names (e.g. regression-100000x100)")
    parser.add_argument("--budget", type=float, help="seconds of fits per trajectory")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sets = QUICK if args.quick else FULL
    if args.only:
        sets = [s for s in sets if f"{s[0]}-{s[1]}x{s[2]}" in args.only or s[0] in args.only]
    budget = args.budget or (1.0 if args.quick else 60.0)
    start, load_start = time.perf_counter(), load()
    suite.warm_up()
    measured = []
    for task, n, d in sets:
        measured.append(suite.measure(make(task, n, d), budget))
    write(measured, args, load_start, time.perf_counter() - start)


def write(measured, args, load_start, seconds):
    suffix = "-quick" if args.quick else ""
    args.out.mkdir(parents=True, exist_ok=True)
    figure = args.out / f"objective_vs_time{suffix}.png"
    report.figure(measured, figure)
    header = (f"# Benchmark results{' (quick)' if args.quick else ''}\n\n"
              f"{time.strftime('%Y-%m-%d %H:%M')}, {machine()}. Load average at start "
              f"{load_start}, at end {load()}; the run took {seconds / 60:.1f} min.\n")
    body = [header, "## Targets (issue 3)\n", report.targets(measured), ""]
    extra = report.classification_checks(measured)
    if extra:
        body += ["The same comparisons on the dense classification sets:\n", extra, ""]
    for m in measured:
        body += [f"## {m['label']}\n", _caption(m), report.dataset_table(m), ""]
    body.append(f"![objective vs wall time]({figure.name})\n")
    (args.out / f"benchmarks{suffix}.md").write_text("\n".join(body), encoding="utf-8")
    (args.out / f"benchmarks{suffix}.json").write_text(json.dumps(
        [_jsonable(m) for m in measured], indent=1), encoding="utf-8")
    print(f"wrote {args.out}/benchmarks{suffix}.md in {seconds / 60:.1f} min")


def _caption(m):
    return (f"X: {m['nbytes'] / 2**20:,.0f} MiB; exact optimum J* = {m['j_star']:.6g} "
            f"(found in {m['optimum_seconds']:.1f} s). Times are whole `fit` calls, best of "
            "up to 3; excess = J / J* − 1 on the training set.\n")


def _jsonable(m):
    out = {k: v for k, v in m.items() if k != "results"}
    out["shape"] = list(m["shape"])
    out["results"] = [dict(name=r.name, setting=r.setting, epoch_seconds=r.epoch_seconds,
                           peak_bytes=r.peak_bytes, score=r.score,
                           final=None if r.final is None else vars(r.final),
                           points=[vars(p) for p in r.points]) for r in m["results"]]
    return out


if __name__ == "__main__":
    main()
