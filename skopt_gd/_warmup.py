"""Compile (or load from numba's on-disk cache) every kernel a fit can call.

The kernels are compiled once for all of the package's optimizers, schedules and
losses (``_jit.Packed``), so one small fit per code path warms them all: dense and
CSR input, float64 and float32 (float32 stays float32: kernels of its own); one output,
several outputs and multinomial; per-sample, mini-batch and full-batch epochs (serial,
threaded, and numpy's BLAS epochs with one compiled pass); the whole-fit call and the
per-epoch one (verbose, early stopping, a validation score). Read-only data and explicit
weights need no kernels of their own (``_jit.readable``). ``skopt-gd warmup`` runs it; the
first command of the README (``skopt-gd compare``) warms the default paths too.

``warmup(defaults=True)`` runs only the fits of the estimators at their defaults on
float64 input (dense and CSR; one output, binary and multinomial; every size regime of
the full-batch epoch). ``pip install .`` runs that subset while it builds the wheel
(``setup.py``), so the wheel carries those kernels in its ``__pycache__`` folders and
the first default fit after installing loads them instead of compiling them.
"""

import time
import warnings

import numpy as np
import scipy.sparse as sp


def _fits(defaults=False):
    from . import SGDLinearRegressor, SGDLogisticClassifier

    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3)) * [1.0, 1e3, 1e-2] + [0.0, 5e3, 1.0]
    y = X @ [1.0, 2e-3, 30.0] + rng.standard_normal(40)
    Y = np.column_stack([y, -y])
    labels = (y > np.median(y)).astype(int)
    three = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    csr = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))
    wide = rng.standard_normal((4096, 20))  # a threaded full-batch epoch (>= 2^16 entries)
    narrow = rng.standard_normal((1 << 16, 16))  # numpy's BLAS epochs (_kernels._blas_epoch)
    if defaults:
        for data in (X, csr):
            for target in (y, labels, three):
                estimator = SGDLinearRegressor() if target is y else SGDLogisticClassifier()
                yield estimator, data, target  # run to the end: the refinement too
        for big in (wide, narrow):
            yield SGDLinearRegressor(max_iter=2), big, big[:, 0]
        return
    for data in (X, csr, X.astype(np.float32), csr.astype(np.float32)):
        for batch in (1, 8, None):
            for estimator, target in ((SGDLinearRegressor(), y), (SGDLinearRegressor(), Y),
                                      (SGDLogisticClassifier(), labels),
                                      (SGDLogisticClassifier(), three)):
                yield estimator.set_params(batch_size=batch, max_iter=3), data, target
        yield SGDLinearRegressor(penalty="l1", alpha=1e-3, max_iter=3), data, y
        yield SGDLinearRegressor(early_stopping=True, max_iter=3), data, y
        yield SGDLinearRegressor(optimizer="sgd", average=True, max_iter=3), data, y
    for big in (wide, narrow):
        yield SGDLinearRegressor(batch_size=None, max_iter=2), big, big[:, 0]


def warmup(defaults=False):
    """Run every fit of :func:`_fits` (only the defaults' with ``defaults=True``);
    returns the seconds it took."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for estimator, X, y in _fits(defaults):
            estimator.fit(X, y)
    return time.perf_counter() - start
