"""Schedules one after another: ``torch.optim.lr_scheduler.SequentialLR``.

:class:`Sequential` holds other schedule objects, which no fixed set of float
slots can; it runs on the Python path (``rate`` overridden): the engine takes
the rates of each epoch from :meth:`Sequential.rates`, which asks each piece for
its span of them, compiled where the piece is.
"""

from bisect import bisect_right

import numpy as np

from ._base import Schedule, check_milestones, invalid, run_length


def _rates_of(piece, t0, count, eta0):
    if hasattr(piece, "rates"):
        return piece.rates(t0, count, eta0)
    return np.array([piece.rate(t, eta0) for t in range(t0, t0 + count)], np.float64)


class Sequential(Schedule):
    r"""Piece :math:`k` from update :math:`m_k + 1` on, restarted: ``SequentialLR``.

    With milestones :math:`m_1 < \dots < m_{K}` (:math:`m_0 = 0`) and pieces
    :math:`s_0, \dots, s_K`,

    .. math::
        \eta_t = s_k(t - m_k,\ \eta_0), \qquad m_k < t \le m_{k+1},

    each piece counting its own updates from 1 and starting from the same base
    rate ``eta0``: warm-up then decay is ``Sequential([LinearWarmup(...),
    Cosine(...)], milestones=[w])``. A piece's ``None`` "whole run" length
    (``Cosine.T_max``, ``Polynomial.total_iters``, ``OneCycle.total_steps``,
    ``MultiStep.milestones``) is bound to its own span; the last piece spans the
    rest of the run. A plateau stops training, as for every schedule but
    :class:`Adaptive`, which cannot be a piece (torch's ``SequentialLR`` refuses
    ``ReduceLROnPlateau`` too).

    torch's ``OneCycleLR`` rewrites the optimizer's ``initial_lr``, so in a
    ``SequentialLR`` it changes the base of the pieces built after it; here each
    piece's base is ``eta0``.

    Parameters
    ----------
    schedules : list of Schedule
        The pieces :math:`s_0, \dots, s_K`.
    milestones : list of int
        :math:`m_1 < \dots < m_K`, one fewer than ``schedules``, each >= 1.

    Examples
    --------
    >>> from skopt_gd.schedules import Cosine, LinearWarmup, Sequential
    >>> sched = Sequential([LinearWarmup(total_iters=2), Cosine(T_max=2)], milestones=[2])
    >>> [round(sched.rate(t, 1.0), 4) for t in range(1, 6)]
    [0.3333, 0.6667, 1.0, 0.5, 0.0]
    """

    _parameter_constraints = {"schedules": [list, tuple], "milestones": ["array-like"]}
    _hyper_names = ()

    def __init__(self, schedules, milestones):
        self.schedules = schedules
        self.milestones = milestones

    @property
    def uses_eta0(self):
        return any(getattr(s, "uses_eta0", True) for s in self.schedules)

    def validate(self):
        super().validate()
        if len(self.schedules) == 0:
            raise invalid(self, "schedules", "a non-empty list of schedules", self.schedules)
        for piece in self.schedules:
            if isinstance(piece, type) or not (hasattr(piece, "rate")
                                               and hasattr(piece, "on_plateau")):
                raise invalid(self, "schedules", "a list of schedule objects", self.schedules)
            if isinstance(piece, Schedule):
                if type(piece).plateau is not Schedule.plateau:
                    raise invalid(self, "schedules", "schedules that do not react to plateaus "
                                  f"(as torch's SequentialLR), not {piece!r}", self.schedules)
                piece.validate()
        milestones = check_milestones(self, self.milestones)
        if len(milestones) != len(self.schedules) - 1:
            raise invalid(self, "milestones", f"one fewer than the {len(self.schedules)} "
                          "schedules", self.milestones)

    def rate(self, t, eta0):
        k = bisect_right(self.milestones, t - 1)
        start = self.milestones[k - 1] if k else 0
        return float(self.schedules[k].rate(t - start, eta0))

    def rates(self, t0, count, eta0):
        """Rates of updates ``t0 .. t0 + count - 1``: each piece's span from the piece."""
        out = np.empty(count)
        bounds = [0, *self.milestones, t0 + count - 1]
        for k, piece in enumerate(self.schedules):
            lo, hi = max(t0, bounds[k] + 1), min(t0 + count - 1, bounds[k + 1])
            if k == len(self.schedules) - 1:
                hi = t0 + count - 1
            if lo <= hi:
                out[lo - t0:hi - t0 + 1] = _rates_of(piece, lo - bounds[k], hi - lo + 1, eta0)
        return out

    def bind(self, context):
        """Bind each piece, its "whole run" being its own span (the last: the rest)."""
        milestones = [int(m) for m in self.milestones]
        run = run_length(context)
        ends = milestones + [run]
        starts = [0] + milestones
        pieces = [piece.bind({**context, "total_updates": max(1, end - start)})
                  if hasattr(piece, "bind") else piece
                  for piece, start, end in zip(self.schedules, starts, ends)]
        return type(self)(pieces, milestones)

    def _key(self):
        pieces = tuple(p._key() if hasattr(p, "_key") else repr(p) for p in self.schedules)
        return (type(self), pieces, repr(self.milestones))
