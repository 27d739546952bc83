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

import numpy as np
import numba
from numba.core import types
from numba.extending import overload

_INNER = dict(nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})
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


# ---- dispatch ---------------------------------------------------------------------
_OWNERS = {}  # each class's own hyperparameter tuple type -> the class
_PACKED = []  # the package's own classes, in definition order: ``kind`` is the index
SLOTS = 12
"""Hyperparameter slots of :data:`Packed` (the most any class of the package has)."""

Packed = namedtuple("Packed", ("kind",) + tuple(f"p{i}" for i in range(SLOTS)))
"""The engine's argument for any of the package's own components: ``kind`` (which
class, as a float) and its hyperparameters in order, zero-padded. One type for all
of them, so a kernel is compiled once for every optimizer, schedule and loss of
the package instead of once per class (measured: 6-25 s per extra class)."""


def hook(prototype=None, *, inline=False):
    """Declare a generic function whose first argument picks the implementation.

    ``prototype``'s name is the static method it calls. For a class's own
    ``Hyper`` argument that is the class's method, compiled for that type; for a
    :data:`Packed` argument it is a switch on ``kind`` over the package's classes
    that define the method (:func:`_switch`). Called from Python it does nothing:
    Python code calls the owner's method directly.

    ``inline=True``: numba inlines the owner's method into each caller, so the loop
    around it is one body the compiler can vectorise; without it each call stays a call
    (LLVM does not inline across numba's overloads). The losses' ``row`` is inlined:
    squared error over 442 rows took 9 us as calls, 1.2 us inlined, for about 2 % more
    cold compile time. The optimizers' per-coordinate hooks are not: inlining them too
    cost 23 % more cold compile time (232 s -> 286 s for ``skopt-gd warmup``) for gains
    this machine's timing noise could not separate from zero.
    """
    if prototype is None:
        return lambda p: hook(p, inline=inline)
    name = prototype.__name__
    _overload(prototype, lambda h: _pick(h, name, lambda cls: getattr(cls, name)),
              inline="always" if inline else "never")
    return prototype


def switched(over):
    """Compile ``func(h, ...)`` once per class instead of switching inside it.

    A loop that calls a hook per coordinate or per row would branch on ``kind``
    at every call; ``switched`` moves the branch outside: called with
    :data:`Packed`, the decorated function switches once over the package's
    classes that define ``over`` and runs ``func`` compiled for that class's
    ``Hyper`` (where the hooks inside resolve statically and inline).
    """
    def decorate(func):
        _overload(func, lambda h: _pick(h, over, lambda cls: func))
        return func
    return decorate


def _overload(prototype, pick, inline="never"):
    params = ", ".join(inspect.signature(prototype).parameters)
    first = params.split(",")[0]
    scope = {"_pick": pick}
    exec(f"def typer({params}):\n    return _pick({first})", scope)  # noqa: S102
    overload(prototype, inline=inline)(scope["typer"])


def _pick(h, over, target):
    """The implementation for an ``h`` of numba type ``h``: ``target(cls)`` of its class,
    or for :data:`Packed` the switch over the classes defining ``over``."""
    if not isinstance(h, types.BaseNamedTuple):
        return None
    if h.instance_class is Packed:
        return _switch(over, target)
    cls = _OWNERS.get(h.instance_class)
    return None if cls is None else target(cls)


_JITTED, _SWITCHES = {}, {}


def _jitted(func):
    """``func`` compiled (one dispatcher per function, made once)."""
    if hasattr(func, "py_func"):
        return func
    if func not in _JITTED:
        _JITTED[func] = numba.njit(**_INNER)(func)
    return _JITTED[func]


def _switch(over, target):
    """``if h.kind == k: return target(cls_k)(cls_k.Hyper(slots...), ...)`` for each of
    the package's classes defining ``over``; the last one is the fall-through."""
    owners = [(kind, cls) for kind, cls in enumerate(_PACKED) if hasattr(cls, over)]
    key = (over,) + tuple(target(cls) for _, cls in owners)
    if key in _SWITCHES:
        return _SWITCHES[key]
    params = list(inspect.signature(target(owners[0][1])).parameters)
    rest = ", ".join(params[1:])
    scope, lines = {}, [f"def switch({', '.join(params)}):"]
    for n, (kind, cls) in enumerate(owners):
        scope[f"f{kind}"] = _jitted(target(cls))
        scope[f"H{kind}"] = cls.Hyper
        slots = ", ".join(f"{params[0]}[{1 + i}]" for i in range(len(cls.Hyper._fields)))
        call = f"return f{kind}(H{kind}({slots}), {rest})"
        last = n == len(owners) - 1
        lines.append(f"    {call}" if last else
                     f"    if {params[0]}[0] == {kind}.0:\n        {call}")
    exec("\n".join(lines), scope)  # noqa: S102
    _SWITCHES[key] = scope["switch"]
    return scope["switch"]


def runs_compiled(obj):
    """Whether ``obj`` (an optimizer or schedule) trains in the compiled engine: its class
    says so through ``compiled()``. A user's duck-typed object (only the protocol's
    Python methods) has no such method and runs in the Python loop."""
    return bool(getattr(type(obj), "compiled", lambda: False)())


class Compiled:
    """Mixin of a class whose formulas are compiled static methods.

    Each subclass gets ``Hyper``, a named tuple type of its own with one float
    field per constructor parameter (booleans as 0/1); ``hyper()`` packs the
    current values into it, the view its static methods read. ``packed()`` is
    what the engine takes: for the package's own classes the one shared
    :data:`Packed` type, for a subclass defined elsewhere its own ``Hyper``
    (compiled for that class alone, not part of the package's cached kernels).
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
        cls._kind = None
        if cls.__module__.split(".")[0] == __name__.split(".")[0]:
            if len(hyper._fields) > SLOTS:
                raise TypeError(f"{cls.__name__} has more than {SLOTS} hyperparameters")
            cls._kind = len(_PACKED)
            _PACKED.append(cls)

    def hyper(self):
        """The hyperparameters as this class's ``Hyper`` tuple of floats."""
        names = self.Hyper._fields
        if names == ("none",):
            return self.Hyper(0.0)
        return self.Hyper(*(float(getattr(self, name)) for name in names))

    def packed(self):
        """The hyperparameters as the compiled engine takes them (see the class doc)."""
        kind = type(self)._kind
        if kind is None:
            return self.hyper()
        values = tuple(self.hyper())
        return Packed(float(kind), *values, *(0.0,) * (SLOTS - len(values)))


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


class _Alias:
    """``__array_interface__`` of an array, with its memory declared writeable."""

    def __init__(self, a):
        self.base = a  # keeps the memory alive
        self.__array_interface__ = dict(a.__array_interface__,
                                        data=(a.__array_interface__["data"][0], False))


def readable(a):
    """``a``, as a kernel that only reads it takes it: a read-only ndarray (a read-only
    memmap, the weights' zero-stride view, a frozen array) becomes a writeable alias of
    the same memory, no copy.

    numba types a read-only array as a type of its own, so each kernel taking one would
    be compiled again for it -- about a minute on two cores, once for read-only ``X``,
    once for explicit ``sample_weight`` (the default weights are read-only), once more
    for both. The kernels never write to their data arguments (tests/test_errors.py
    runs every fit on read-only memmaps, where a write would fault), so one compiled
    version serves all.
    """
    if not isinstance(a, np.ndarray) or a.flags.writeable:
        return a
    return np.asarray(_Alias(a))


def _package_digest():
    """sha256 of numba's and numpy's versions and every ``.py`` file of the package, by
    path (a cache built next to other versions, e.g. in a wheel, is not loaded)."""
    digest = hashlib.sha256(f"{numba.__version__} {np.__version__}".encode())
    for root, dirs, files in sorted(os.walk(_HERE)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    digest.update(os.path.relpath(path, _HERE).encode() + f.read())
    return digest.hexdigest()


def _install_cache_stamp():
    """Make numba's cache stamp of this package's files the digest of all of them.

    A kernel inlines helpers from other files, so a cache entry is stale when any file
    of the package changes, not only its own (numba's stamp). Numba's own order of
    places is kept: ``NUMBA_CACHE_DIR`` when set (a read-only install, a container
    image), else the package's ``__pycache__``, else the user-wide cache directory;
    each with this stamp. Other code keeps numba's locators and stamps.
    """
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - a numba without this layout: default stamps
        return
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    if impl is None or any(getattr(c, "_skopt_gd", False) for c in impl._locator_classes):
        return
    digest = _package_digest()

    class Stamped:
        _skopt_gd = True

        def get_source_stamp(self):
            return digest

        @classmethod
        def from_function(cls, py_func, py_file):
            if not os.path.abspath(py_file).startswith(_HERE + os.sep):
                return None
            return super().from_function(py_func, py_file)

    names = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")
    bases = [getattr(caching, n, None) or getattr(caching, "_" + n, None) for n in names]
    stamped = [type(f"Package{base.__name__.lstrip('_')}", (Stamped, base), {})
               for base in bases if base is not None]
    impl._locator_classes[:0] = stamped


_install_cache_stamp()
