"""One BLAS thread while a fit runs.

The compiled passes (``_kernels``) run on numba's threads, one per core. A threaded BLAS
call made between them -- the preconditioner's ``eigh``, a warm start's ``lstsq``, a
Gram matrix, a ``...CV`` path's scores -- leaves OpenBLAS's worker threads busy-waiting
for work for a while after it returns, and on a machine with as many cores as threads
they take cores from the next compiled pass. On this project's 2-core machine a
``SGDLogisticClassifierCV`` fit of 10 alphas x 5 folds at 100,000 x 100 took 3.5 s with
OpenBLAS's 2 threads and 2.2 s with one (the passes, not the BLAS calls, got slower).
The BLAS calls of a fit are small (matrices of the features' size, strided rows), and
the narrow full-batch epochs that do run in BLAS (``_kernels.BLAS_MIN_ENTRIES``) measured
no slower on one thread (1,000,000 x 20: 0.28 s against 0.30 s for 20 epochs).

So :func:`one_blas_thread` limits the BLAS libraries (those loaded at the first fit, as
``threadpoolctl`` -- a scikit-learn dependency -- finds them) to one thread from the
first entry until the last exit of any thread
-- nested fits (a ``...CV`` path, a ``Pipeline``) and concurrent ones (the ``...CV``
estimators' joblib threads) restore the user's setting only once all have finished.
The limit is process-wide while it holds: BLAS calls of other threads of the program
run on one thread during a fit. threadpoolctl lets one Python thread change OpenBLAS's
setting (the first that does, while it lives); a fit started from another thread joins
that thread's limit if it holds one, and otherwise runs with the setting as it is.
"""

import threading
from contextlib import contextmanager

_lock = threading.Lock()
_state = {"depth": 0, "saved": None, "blas": None}


def _blas():
    """threadpoolctl's controllers of the BLAS libraries loaded, looked up once (a
    lookup costs ~2 ms, a ``threadpool_limits`` ~0.35 ms, reading and setting one
    library's thread count a few microseconds: small fits pay only the latter)."""
    if _state["blas"] is None:
        from threadpoolctl import ThreadpoolController
        _state["blas"] = [lib for lib in ThreadpoolController().lib_controllers
                          if lib.user_api == "blas"]
    return _state["blas"]


@contextmanager
def one_blas_thread():
    """The BLAS libraries on one thread inside (module doc); re-entrant, thread-safe."""
    with _lock:
        if _state["depth"] == 0:
            libs = _blas()
            _state["saved"] = [lib.get_num_threads() for lib in libs]
            for lib in libs:
                lib.set_num_threads(1)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                for lib, n in zip(_blas(), _state["saved"]):
                    lib.set_num_threads(n)
