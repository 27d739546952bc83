"""Where the compiled kernels are cached: ``NUMBA_CACHE_DIR`` is honoured (numba's own
order), with the package's stamp. Runs one small kernel in a fresh process."""

import os
import subprocess
import sys
import textwrap

import pytest


def test_numba_cache_dir_is_honoured(tmp_path):
    code = textwrap.dedent("""
        import numpy as np
        from skopt_gd._precondition import _inverse_all
        out = np.empty(3)
        _inverse_all(np.full(2, 2.0), np.zeros(0), np.ones(3), out, 2, 1, True)
        print(out.tolist())
    """)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    assert done.stdout.split() == ["[0.5,", "0.5,", "1.0]"]  # v = w' / 2, c = b'
    cached = [name for _, _, files in os.walk(tmp_path) for name in files
              if name.startswith("_precondition._inverse_all")]
    assert any(name.endswith(".nbi") for name in cached), cached


@pytest.mark.slow
def test_default_warm_set_covers_the_default_fits(tmp_path):
    """What ``pip install .`` ships (setup.py runs ``warmup(defaults=True)`` into the
    wheel's ``__pycache__``) is every kernel a default fit needs: after it, default fits
    of other shapes and sizes (one output, binary, multinomial; dense small / wide /
    threaded, CSR) in a fresh process add no entry to the cache."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}

    def entries():
        return sorted(name for _, _, files in os.walk(tmp_path) for name in files)

    subprocess.run([sys.executable, "-c", "from skopt_gd._warmup import warmup; "
                    "warmup(defaults=True)"], env=env, timeout=1200, check=True)
    warmed = entries()
    assert any(name.startswith("_kernels.") for name in warmed)
    code = textwrap.dedent("""
        import warnings
        import numpy as np, scipy.sparse as sp
        from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
        warnings.simplefilter("ignore")
        rng = np.random.RandomState(1)
        for n, p in ((506, 13), (3000, 40), (70000, 8)):
            X = rng.randn(n, p) * rng.uniform(1, 100, p) + 50
            y = X @ rng.randn(p) + 3
            SGDLinearRegressor(max_iter=5).fit(X, y)
            SGDLogisticClassifier(max_iter=5).fit(X, y > np.median(y))
            SGDLogisticClassifier(max_iter=5).fit(X, np.digitize(y, [-1.0, 1.0]))
        X = sp.random(500, 300, density=0.05, format="csr", random_state=0)
        y = np.asarray(X.sum(axis=1)).ravel()
        SGDLinearRegressor(max_iter=5).fit(X, y)
        SGDLogisticClassifier(max_iter=5).fit(X, y > np.median(y))
    """)
    subprocess.run([sys.executable, "-c", code], env=env, timeout=1200, check=True)
    assert entries() == warmed
