"""A fit's random stream: ``check_random_state``'s, without most of its fixed cost.

Measured here (numpy 2.4): ``np.random.RandomState(seed)`` takes ~0.2 ms -- numpy
first seeds the new MT19937 from a ``SeedSequence`` (624 words), then re-seeds it the
legacy way -- as long as a whole small fit of scikit-learn's SGD; and ``get_state`` /
``set_state``, which the compiled shuffle needs to read and advance the generator,
take ~0.05 ms each. So:

* :func:`stream` gives ``check_random_state(random_state)``'s stream for one fit: the
  object itself for a ``RandomState`` or ``None`` (numpy's global one), and for an int
  seed a ``RandomState`` of this thread re-seeded by ``RandomState.seed`` (the legacy
  seeding ``RandomState(seed)`` ends with: the same draws), lent for the fit and
  taken back after it (a fit started inside another's callback gets another one);
* :func:`mt_state` hands the compiled shuffle the generator's own 624 key words and
  position: the ``mt19937_state`` struct of numpy's ``mt19937.h`` seen as an array
  (layout checked once per process against ``get_state``; ``get_state`` /
  ``set_state`` where it differs).
"""

import contextlib
import ctypes
import numbers
import threading

import numpy as np
from sklearn.utils import check_random_state

_lent = threading.local()


@contextlib.contextmanager
def stream(random_state):
    """``check_random_state(random_state)`` for the duration of one fit."""
    if not isinstance(random_state, numbers.Integral):
        yield check_random_state(random_state)
        return
    free = _lent.__dict__.setdefault("free", [])
    rng = free.pop() if free else np.random.RandomState()
    try:
        rng.seed(random_state)  # ValueError for seeds outside [0, 2**32), as RandomState's
        yield rng
    finally:
        free.append(rng)


def is_mt19937(rng):
    """Whether ``rng`` is a ``RandomState`` over MT19937 (the draws the kernel makes)."""
    return (isinstance(rng, np.random.RandomState)
            and isinstance(getattr(rng, "_bit_generator", None), np.random.MT19937))


def _words(bit_generator):
    """The generator's state struct as 625 uint32: 624 key words, then ``pos``."""
    address = bit_generator.ctypes.state_address
    return np.ctypeslib.as_array((ctypes.c_uint32 * 625).from_address(address))


def _layout_checked():
    probe = np.random.RandomState(12345)
    probe.random_sample(700)  # past one refill: pos is neither 0 nor 624
    words, state = _words(probe._bit_generator), probe.get_state(legacy=False)["state"]
    ok = np.array_equal(words[:624], state["key"]) and int(words[624]) == state["pos"]
    probe.random_sample(1)
    return ok and int(words[624]) == probe.get_state(legacy=False)["state"]["pos"]


_DIRECT = []  # [layout ok], filled on first use


def mt_state(rng):
    """``(key, pos, store)`` of the MT19937 ``rng``: ``key`` its 624 uint32 words, ``pos``
    an int64 array of one, and ``store()`` making ``rng`` continue from them (after
    the kernel has drawn from them in place)."""
    if not _DIRECT:
        _DIRECT.append(_layout_checked())
    if _DIRECT[0]:
        words = _words(rng._bit_generator)
        pos = np.array([words[624]], np.int64)

        def store():
            words[624] = pos[0]
        return words[:624], pos, store
    state = rng.get_state(legacy=False)
    key = np.array(state["state"]["key"], dtype=np.uint32)
    pos = np.array([state["state"]["pos"]], np.int64)

    def store():
        state["state"]["key"], state["state"]["pos"] = key, int(pos[0])
        rng.set_state(state)
    return key, pos, store
