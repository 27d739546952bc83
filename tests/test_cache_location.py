"""Where the compiled kernels are cached: ``NUMBA_CACHE_DIR`` is honoured (numba's own
order), with the package's stamp. Runs one small kernel in a fresh process."""

import os
import subprocess
import sys
import textwrap


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
