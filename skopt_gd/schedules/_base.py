"""The schedule protocol: the hooks the engine calls, and the :class:`Schedule` base.

A schedule's rate is written once, as the static ``lr(h, t, eta0)`` in numba's
subset of Python (``h``: the class's ``Hyper`` view, one float per hyperparameter;
``t``: the 1-based update count). ``Schedule.rate`` runs it in Python, the compiled
engine through the hook :func:`lr` (``_jit.py`` explains the dispatch).

A string option (``OneCycle.anneal_strategy``, ``Cyclic.mode``) enters ``Hyper``
as a float code from the class's ``_codes`` table; that is a hyperparameter's
value read by the class's own formula, never a switch over classes. A list
(``MultiStep.milestones``) takes a fixed number of slots (``_jit.SLOTS``), or
runs on the Python path where it does not fit. A schedule made of other
schedules (:class:`~skopt_gd.schedules.Sequential`) overrides ``rate``: the
engine then takes its rates from Python, one epoch at a time.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._jit import Compiled, driver, hook
from .._params import ParamObject, validate_params_once

positive = Interval(Real, 0, None, closed="neither")
nonnegative = Interval(Real, 0, None, closed="left")
unit = Interval(Real, 0, 1, closed="right")
"""A decay factor: ``(0, 1]``."""
steps = [Interval(Integral, 1, None, closed="left"), None]
"""A length in updates, or ``None`` (bound at fit)."""


@hook
def lr(h, t, eta0):
    """Learning rate of update ``t`` for base rate ``eta0`` (the owner's ``lr``)."""


@hook
def plateau(h, eta0):
    """New base rate after a plateau, or -1 to stop (the owner's ``plateau``)."""


@driver
def _rates(h, t0, eta0, out):
    for q in range(out.shape[0]):
        out[q] = lr(h, t0 + q, eta0)


def run_length(context):
    """The updates a schedule spans: its piece of a ``Sequential``, else the whole fit
    (``updates_per_epoch * max_iter``): what a ``None`` "whole run" length becomes."""
    total = context.get("total_updates")
    return total if total is not None else context["updates_per_epoch"] * context["max_iter"]


class Schedule(Compiled, ParamObject):
    """Base class of learning-rate schedules.

    The formula is the static ``lr(h, t, eta0)`` (numba's subset of Python); ``rate``
    and the compiled engine both run it. Written with numpy functions and no branch
    (the classic schedules, ``LinearWarmup``, ``Polynomial``), ``rate`` also takes an
    array of ``t``; the others take scalars.
    """

    _parameter_constraints: dict = {}
    _codes: dict = {}
    """Parameter name -> {option: float code} for string options entering ``Hyper``."""
    uses_eta0 = True
    """Whether ``lr`` reads the base rate (``False``: ``eta0="auto"`` is not resolved,
    which saves the estimator a pass over the data per fit)."""

    @staticmethod
    def lr(h, t, eta0):
        return eta0 + 0.0 * t

    @staticmethod
    def plateau(h, eta0):
        return -1.0

    @classmethod
    def compiled(cls):
        """Whether the engine can run this schedule (its ``rate`` and ``on_plateau``
        are the base's, built from the static ``lr`` / ``plateau``)."""
        return cls.rate is Schedule.rate and cls.on_plateau is Schedule.on_plateau

    def hyper(self):
        """The hyperparameters as this class's ``Hyper`` tuple of floats (string
        options through ``_codes``); a ``None`` length must be bound first."""
        names = self.Hyper._fields
        if names == ("none",):
            return self.Hyper(0.0)
        return self.Hyper(*(self._float(name) for name in names))

    def _float(self, name):
        value = getattr(self, name)
        if name in self._codes:
            codes = self._codes[name]
            if value not in codes:
                raise invalid(self, name, f"one of {sorted(codes)}", value)
            return codes[value]
        if value is None:
            raise ValueError(
                f"{type(self).__name__}.{name} is None: it is bound at fit from the "
                f"estimator (Schedule.bind); give it a value to call rate directly.")
        return float(value)

    def rates(self, t0, count, eta0):
        """Rates of updates ``t0 .. t0 + count - 1`` as a float64 array (compiled)."""
        if not type(self).compiled():  # a schedule written in Python
            return np.array([self.rate(t, eta0) for t in range(t0, t0 + count)], np.float64)
        out = np.empty(count)
        _rates(self.packed(), t0, float(eta0), out)
        return out

    def validate(self):
        """Check the hyperparameters; raise ``ValueError`` naming the bad one."""
        validate_params_once(self)

    def rate(self, t, eta0):
        """Learning rate of update ``t`` (1-based) for base rate ``eta0``."""
        value = self.lr(self.hyper(), t, eta0)
        return float(value) if np.ndim(value) == 0 else value

    def on_plateau(self, eta0):
        """New base rate after a plateau, or ``None`` to stop training."""
        reduced = self.plateau(self.hyper(), float(eta0))
        return None if reduced < 0 else reduced

    def bind(self, context):
        """Return a copy with ``None`` parameters resolved from ``context``.

        ``context`` has the keys ``alpha``, ``alpha_scale`` (the square of the sparse
        preconditioner's column scale, 1 otherwise), ``t0`` (Bottou's heuristic for the
        estimator's loss), ``updates_per_epoch``, ``max_iter`` and ``eta0`` (the
        resolved base rate), and inside a ``Sequential`` ``total_updates`` (the
        length of the piece; :func:`run_length`). Subclasses map each of their
        ``None`` parameters to a value in ``_defaults``.
        """
        bound = self.get_params(deep=False)
        for name, fill in self._defaults().items():
            if bound[name] is None:
                bound[name] = fill(context)
        return type(self)(**bound)

    def _defaults(self):
        return {}


def invalid(owner, name, must, value):
    """The ``ValueError`` of a bad hyperparameter, worded as scikit-learn's."""
    return ValueError(f"The {name!r} parameter of {type(owner).__name__} must be {must}. "
                      f"Got {value!r} instead.")


def check_milestones(owner, milestones, name="milestones"):
    """``milestones`` must be strictly increasing integers >= 1 (torch's update counts)."""
    ok = isinstance(milestones, (list, tuple, np.ndarray)) and all(
        isinstance(m, Integral) and not isinstance(m, bool) and m >= 1 for m in milestones)
    if ok and all(b > a for a, b in zip(milestones[:-1], milestones[1:])):
        return [int(m) for m in milestones]
    raise invalid(owner, name, "a strictly increasing list of integers >= 1", milestones)
