"""Build hook: the wheel carries the default configuration's compiled kernels.

Everything about the project is in ``pyproject.toml``; this file only extends
``build_py``. After the package's files are copied into the build directory, a
subprocess imports the package from there and runs ``skopt_gd._warmup.warmup(
defaults=True)`` (the estimators at their defaults, about a minute on 2 cores). numba
writes those kernels into the build directory's ``__pycache__`` folders, so they go
into the wheel, and the first default fit after ``pip install .`` loads them (about
0.3 s) instead of compiling them (about 50 s).

The cache is valid where it was built: numba keys each entry on the CPU it was compiled
for, and ``skopt_gd._jit`` stamps it with a digest of the package's files and the numba
and numpy versions. Installed on another machine, or next to other versions, the entries
do not match and the kernels compile on first use, as without this hook. Editable
installs (``pip install -e``) skip the hook: their cache fills the source tree on first
use. ``SKOPT_GD_PREWARM=0`` skips it too; any failure of the warm-up is reported and the
build goes on without the cache.
"""

import os
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithKernels(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False) or os.environ.get("SKOPT_GD_PREWARM") == "0":
            return
        # the build directory's copy first (not the source tree's); pip's isolated build
        # environment reaches its packages through PYTHONPATH, which is kept after it
        build_lib = os.path.abspath(self.build_lib)
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [build_lib, env.get("PYTHONPATH")]))
        code = ("from skopt_gd._warmup import warmup; "
                "print(f'skopt_gd: default kernels compiled into the wheel in "
                "{warmup(defaults=True):.0f} s')")
        try:
            done = subprocess.run([sys.executable, "-c", code], env=env, timeout=1800,
                                  cwd=build_lib, capture_output=True, text=True)
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"skopt_gd: kernels not precompiled ({exc}); the first fit compiles them")
            return
        if done.returncode:
            print("skopt_gd: kernels not precompiled; the first fit compiles them\n"
                  + done.stderr[-2000:])
        else:
            print(done.stdout.strip())


setup(cmdclass={"build_py": BuildWithKernels})
