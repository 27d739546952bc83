"""Full-batch training on a dask array several times larger than one worker's memory.

The data are written once to ``.npy`` files on disk; the dask array reads each
row chunk lazily from them, so every epoch streams the chunks through the
workers (nothing is persisted) and only ``(n_features + 1)`` numbers per chunk
come back to the client. Workers are separate processes with a small
``memory_limit``: the nanny kills a worker that goes over it (95% by default),
so the run checks that the set of worker addresses is unchanged at the end.

Then the same data is loaded into memory and fitted with plain numpy, for the
time per epoch of each and the agreement of the coefficients.

    python benchmarks/bench_dask.py                      # 2.2 GiB of X, 2 workers x 700 MiB
    python benchmarks/bench_dask.py --rows 1000000 --epochs 3   # quick
"""

import argparse
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np


def write_data(folder, rows, features, chunk_rows, seed=0):
    """X (rows x features, float64) and y = X w + 1 + noise, written chunk by chunk."""
    rng = np.random.RandomState(seed)
    w = rng.randn(features)
    X = np.lib.format.open_memmap(folder / "X.npy", mode="w+", shape=(rows, features))
    y = np.lib.format.open_memmap(folder / "y.npy", mode="w+", shape=(rows,))
    for start in range(0, rows, chunk_rows):
        block = rng.randn(min(chunk_rows, rows - start), features)
        X[start:start + len(block)] = block
        y[start:start + len(block)] = block @ w + 1.0 + 0.1 * rng.randn(len(block))
    X.flush(), y.flush()
    return folder / "X.npy", folder / "y.npy"


def _read_rows(path, start, stop):
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def lazy_array(path, chunk_rows):
    """A dask array whose chunks are read from ``path`` on the worker that needs them."""
    import dask.array as da
    from dask import delayed

    header = np.load(path, mmap_mode="r")
    shape, dtype = header.shape, header.dtype
    parts = [da.from_delayed(delayed(_read_rows)(str(path), s, min(s + chunk_rows, shape[0])),
                             shape=(min(chunk_rows, shape[0] - s),) + shape[1:], dtype=dtype)
             for s in range(0, shape[0], chunk_rows)]
    return da.concatenate(parts)


# Spilling to disk off: a worker must never need more than the chunks it is working on.
# Pausing (80%) and the nanny's kill (95%) stay at their defaults.
NO_SPILL = {"distributed.worker.memory.target": False, "distributed.worker.memory.spill": False}


class PeakMemory(threading.Thread):
    """Poll the scheduler's view of every worker's process memory; keep the maximum."""

    def __init__(self, client, every=0.25):
        super().__init__(daemon=True)
        self.client, self.every, self.peak = client, every, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(self.every):
            workers = self.client.scheduler_info()["workers"].values()
            self.peak = max([self.peak, *(w["metrics"]["memory"] for w in workers)])


def run_dask(X_path, y_path, args):
    import dask
    from distributed import Client, LocalCluster

    from skopt_gd import SGDLinearRegressor

    with warnings.catch_warnings(), dask.config.set(NO_SPILL):
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               memory_limit=args.memory_limit, dashboard_address=None)
    client = Client(cluster)
    try:
        limit = min(w["memory_limit"] for w in client.scheduler_info()["workers"].values())
        before = set(client.scheduler_info()["workers"])
        X = lazy_array(X_path, args.chunk_rows)
        y = lazy_array(y_path, args.chunk_rows)
        est = SGDLinearRegressor(batch_size=None, max_iter=args.epochs, tol=None, eta0=0.1)
        monitor = PeakMemory(client)
        monitor.start()
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
        monitor.done.set()
        monitor.join()
        after = set(client.scheduler_info()["workers"])
    finally:
        client.close()
        cluster.close()
    return est, seconds, limit, before == after, monitor.peak


def run_in_memory(X_path, y_path, args):
    from skopt_gd import SGDLinearRegressor

    X, y = np.load(X_path), np.load(y_path)
    est = SGDLinearRegressor(batch_size=None, max_iter=args.epochs, tol=None, eta0=0.1)
    start = time.perf_counter()
    est.fit(X, y)
    return est, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="700MiB")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        X_path, y_path = write_data(Path(tmp), args.rows, args.features, args.chunk_rows)
        nbytes = X_path.stat().st_size
        dask_est, dask_s, limit, same_workers, peak = run_dask(X_path, y_path, args)
        mem_est, mem_s = run_in_memory(X_path, y_path, args)
    scale = np.abs(mem_est.coef_).max()
    rel = max(np.abs(dask_est.coef_ - mem_est.coef_).max(),
              abs(dask_est.intercept_ - mem_est.intercept_)) / scale
    print(f"X: {args.rows} x {args.features} float64 = {nbytes / 2**20:.0f} MiB in chunks of "
          f"{args.chunk_rows} rows ({args.chunk_rows * args.features * 8 / 2**20:.1f} MiB)")
    print(f"workers: {args.workers} processes x 1 thread, memory_limit {limit / 2**20:.0f} MiB "
          f"each -> X is {nbytes / limit:.1f}x one worker's limit, "
          f"{nbytes / (limit * args.workers):.1f}x the cluster's")
    print(f"no worker killed or restarted: {same_workers}; peak worker process memory "
          f"{peak / 2**20:.0f} MiB ({peak / limit:.0%} of the limit; spilling off)")
    print(f"{'fit':<28}{'s/epoch':>10}")
    print(f"{'dask (chunks read per epoch)':<28}{dask_s / args.epochs:>10.3f}")
    print(f"{'in-memory numpy':<28}{mem_s / args.epochs:>10.3f}")
    print(f"ratio dask / in-memory: {dask_s / mem_s:.1f}; max relative coefficient "
          f"difference {rel:.1e}")


if __name__ == "__main__":
    main()
