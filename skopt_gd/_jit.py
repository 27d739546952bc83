"""How one formula serves both the compiled engine and the Python API.

Every optimizer, loss and schedule writes its formula once, as a static
method in numba's subset of Python (``Adam.coord``, ``Huber.row``, ...). Two
things consume it:

* the compiled engine (``_kernels.py``) calls *hooks* — generic functions such
  as ``coord(h, ...)`` declared with :func:`hook` — and numba resolves each
  call, while typing, to the static method of the class that owns ``h``'s
  type. ``h`` is the object's hyperparameters as a named tuple of floats whose
  type is made for that class (:class:`Compiled`), so each class compiles its
  own specialisation of the engine and the loop never branches on a name or a
  code standing for one;
* the Python-facing methods (``Optimizer.step``, ``Loss.value``, ...) call small
  compiled drivers that loop over the same hooks, so what a user calls and what
  the engine runs are the same machine code.

Why this and not the alternatives (measured with numba 0.68 on this machine):
jitted functions passed as *arguments* specialise just as well but are never
found in the on-disk cache (their type holds the dispatcher object), so every
process recompiled (1.8 s per kernel). Closures over them are not cacheable
either. Type-based dispatch through ``numba.extending.overload`` on a
module-level named tuple type is cached like any other argument type: a fresh
process loads a specialisation in milliseconds.

numba's cache checks only the source file of the cached function; the engine
lives in ``_kernels.py`` while the formulas it inlines live in the component
modules, so :func:`_install_cache_stamp` makes the stamp of every file of this
package cover the sources of all of them (editing ``optimizers.py`` must
recompile the engine, not load a stale one).
"""

import hashlib
import inspect
import math
import os
from collections import namedtuple

import numba
from numba.core import types
from numba.extending import overload

_FLAGS = dict(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})


def kernel(func=None, *, inline="always"):
    """Compile ``func`` with numba (cached on disk). Reassociation is allowed, so sums
    may be vectorised (results move by round-off); NaN and inf still propagate.
    Helpers are inlined by default: a call costs more than a short row."""
    if func is None:
        return lambda f: kernel(f, inline=inline)
    return numba.njit(inline=inline, _nrt=False, **_FLAGS)(func)


def driver(func):
    """Compile an entry point called from Python (not inlined, may allocate)."""
    return numba.njit(**_FLAGS)(func)


def parallel(func):
    """Compile an entry point whose ``numba.prange`` loops run on threads."""
    return numba.njit(parallel=True, _nrt=False, **_FLAGS)(func)


# ---- type-based dispatch ---------------------------------------------------------
_OWNERS = {}  # hyperparameter tuple type -> the class whose static methods implement hooks


def hook(prototype):
    """Declare a generic function whose first argument's type picks the implementation.

    ``prototype``'s name is the static method looked up on the owner class of the
    first argument (a :class:`Compiled` hyperparameter tuple); its signature is
    the one every implementation has. Called from Python it is the prototype,
    which does nothing: Python code calls the owner's method directly.
    """
    name = prototype.__name__
    params = ", ".join(inspect.signature(prototype).parameters)
    first = params.split(",")[0]
    scope = {"_pick": _pick, "_name": name}
    exec(f"def typer({params}):\n    return _pick({first}, _name)", scope)  # noqa: S102
    overload(prototype)(scope["typer"])  # LLVM inlines it; numba IR inlining warns
    return prototype


def _pick(h, name):
    if isinstance(h, types.BaseNamedTuple) and h.instance_class in _OWNERS:
        return getattr(_OWNERS[h.instance_class], name)
    return None


class Compiled:
    """Mixin of a class whose formulas are compiled static methods.

    Each subclass gets ``Hyper``, a named tuple type of its own with one float
    field per constructor parameter (booleans as 0/1, so a grid over them does
    not multiply the specialisations); ``hyper()`` packs the current values.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        names = tuple(cls._get_param_names()) if hasattr(cls, "_get_param_names") else ()
        names = getattr(cls, "_hyper_names", names)
        hyper = namedtuple(f"{cls.__name__}Hyper", names or ("none",))
        hyper.__qualname__ = f"{cls.__qualname__}.Hyper"  # picklable: cacheable type
        hyper.__module__ = cls.__module__
        cls.Hyper = hyper
        _OWNERS[hyper] = cls

    def hyper(self):
        """The hyperparameters as this class's ``Hyper`` tuple of floats."""
        names = self.Hyper._fields
        if names == ("none",):
            return self.Hyper(0.0)
        return self.Hyper(*(float(getattr(self, name)) for name in names))


# ---- shared scalar math -------------------------------------------------------------
@kernel
def ema(bufs, b, j, value, decay):
    """``buf += (1 - decay) (value - buf)`` on ``bufs[b, j]``: torch's ``lerp``."""
    bufs[b, j] += (1.0 - decay) * (value - bufs[b, j])


@kernel
def shrink(w, threshold):
    """Soft-thresholding ``sign(w) max(|w| - threshold, 0)``: the L1 proximal map."""
    return math.copysign(max(abs(w) - threshold, 0.0), w)


# ---- the cache stamp ---------------------------------------------------------------
_HERE = os.path.dirname(os.path.abspath(__file__))


def _package_digest():
    """sha256 of numba's version and every ``.py`` file of the package, by path."""
    digest = hashlib.sha256(numba.__version__.encode())
    for root, dirs, files in sorted(os.walk(_HERE)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    digest.update(os.path.relpath(path, _HERE).encode() + f.read())
    return digest.hexdigest()


def _install_cache_stamp():
    """Make numba's cache stamp of this package's files the digest of all of them."""
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - a numba without this layout: default stamps
        return
    digest = _package_digest()

    class PackageLocator(caching.InTreeCacheLocator):
        def get_source_stamp(self):
            return digest

        @classmethod
        def from_function(cls, py_func, py_file):
            if not os.path.abspath(py_file).startswith(_HERE + os.sep):
                return None
            return super().from_function(py_func, py_file)

    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    if impl is not None and not any(c.__name__ == "PackageLocator"
                                    for c in impl._locator_classes):
        impl._locator_classes.insert(0, PackageLocator)


_install_cache_stamp()
