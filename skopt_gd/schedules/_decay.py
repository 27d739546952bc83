"""Warm-up and decays of ``torch.optim.lr_scheduler``, each its closed form.

Our update ``t`` takes the rate torch's scheduler gives after ``t - 1`` steps
(torch steps after each optimizer step), so ``e = t - 1`` below is torch's
``last_epoch``. Lengths count updates.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._jit import SLOTS
from ._base import Schedule, check_milestones, nonnegative, run_length, steps, unit


class LinearWarmup(Schedule):
    r"""Linear ramp of the rate's factor: ``torch.optim.lr_scheduler.LinearLR``.

    .. math::
        \eta_t = \eta_0 \Big(f_s + (f_e - f_s) \frac{\min(t - 1, T)}{T}\Big)

    from :math:`f_s \eta_0` at :math:`t = 1` to :math:`f_e \eta_0` at
    :math:`t = T + 1`, and constant after.

    Parameters
    ----------
    start_factor : float in (0, 1], default=1/3
        :math:`f_s`.
    end_factor : float in [0, 1], default=1.0
        :math:`f_e`.
    total_iters : int or None, default=None
        :math:`T`; ``None`` is five epochs' worth of updates (torch's 5 steps,
        counted in epochs as its schedulers are usually stepped).

    Examples
    --------
    >>> from skopt_gd.schedules import LinearWarmup
    >>> [LinearWarmup(start_factor=0.5, total_iters=2).rate(t, 1.0) for t in (1, 2, 3, 4)]
    [0.5, 0.75, 1.0, 1.0]
    """

    _parameter_constraints = {
        "start_factor": [unit],
        "end_factor": [Interval(Real, 0, 1, closed="both")],
        "total_iters": steps,
    }

    def __init__(self, start_factor=1.0 / 3, end_factor=1.0, total_iters=None):
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters

    @staticmethod
    def lr(h, t, eta0):
        done = np.minimum(h.total_iters, t - 1)
        return eta0 * (h.start_factor
                       + (h.end_factor - h.start_factor) * done / h.total_iters)

    def _defaults(self):
        return {"total_iters": lambda c: 5 * c["updates_per_epoch"]}


class Polynomial(Schedule):
    r"""Polynomial decay to zero: ``torch.optim.lr_scheduler.PolynomialLR``.

    .. math::
        \eta_t = \eta_0 \Big(1 - \frac{\min(t - 1, T)}{T}\Big)^{p}

    (zero from :math:`t = T + 1` on).

    Parameters
    ----------
    total_iters : int or None, default=None
        :math:`T`; ``None`` is the whole run (``max_iter`` epochs' worth of
        updates; inside a :class:`Sequential`, its piece).
    power : float >= 0, default=1.0
        :math:`p` (1: linear decay).

    Examples
    --------
    >>> from skopt_gd.schedules import Polynomial
    >>> [Polynomial(total_iters=4, power=2.0).rate(t, 1.0) for t in (1, 3, 5, 9)]
    [1.0, 0.25, 0.0, 0.0]
    """

    _parameter_constraints = {"total_iters": steps, "power": [nonnegative]}

    def __init__(self, total_iters=None, power=1.0):
        self.total_iters = total_iters
        self.power = power

    @staticmethod
    def lr(h, t, eta0):
        return eta0 * (1.0 - np.minimum(h.total_iters, t - 1) / h.total_iters) ** h.power

    def _defaults(self):
        return {"total_iters": run_length}


class MultiStep(Schedule):
    r"""Drops by ``gamma`` at given updates: ``torch.optim.lr_scheduler.MultiStepLR``.

    .. math::
        \eta_t = \eta_0\, \gamma^{\#\{i \,:\, m_i \le t - 1\}}

    so the rate of update :math:`m_i + 1` is the first one multiplied by
    :math:`\gamma^i`.

    Up to 11 milestones run in the compiled engine (one slot each next to
    ``gamma``); a longer list runs the same formula on the Python path (the
    rates of each epoch computed at once by numpy: same values, a little slower).

    Parameters
    ----------
    milestones : list of int or None, default=None
        Strictly increasing update counts :math:`m_1 < m_2 < \dots` (>= 1);
        ``None`` is half and three quarters of the run (``max_iter`` epochs'
        worth of updates; inside a :class:`Sequential`, its piece).
    gamma : float in (0, 1], default=0.1
        Factor at each milestone.

    Examples
    --------
    >>> from skopt_gd.schedules import MultiStep
    >>> [MultiStep(milestones=[2, 4], gamma=0.5).rate(t, 1.0) for t in (1, 2, 3, 4, 5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _parameter_constraints = {"milestones": ["array-like", None], "gamma": [unit]}
    _hyper_names = ("gamma",) + tuple(f"m{i}" for i in range(1, SLOTS))

    def __init__(self, milestones=None, gamma=0.1):
        self.milestones = milestones
        self.gamma = gamma

    @staticmethod
    def lr(h, t, eta0):
        drops = 0.0  # h = (gamma, m_1, m_2, ...), unused slots +inf; t may be an array
        for i in range(1, len(h)):
            drops = drops + (h[i] <= t - 1)
        return eta0 * h[0] ** drops

    def hyper(self):
        """``Hyper(gamma, m_1, ..., m_11)``, unused slots ``+inf``; a longer list as a
        plain tuple, which only the Python path reads (``bind`` sends its fit there)."""
        values = [float(self.gamma)] + [float(m) for m in self._float_list()]
        free = len(self.Hyper._fields) - len(values)
        return tuple(values) if free < 0 else self.Hyper(*values, *(math.inf,) * free)

    def _float_list(self):
        if self.milestones is None:
            self._float("milestones")  # raises: bound at fit
        return self.milestones

    def rates(self, t0, count, eta0):
        if len(self._float_list()) >= len(self.Hyper._fields):  # too long for the engine
            return _MultiStepPython(**self.get_params(deep=False)).rates(t0, count, eta0)
        return super().rates(t0, count, eta0)

    def validate(self):
        super().validate()
        if self.milestones is not None:
            check_milestones(self, self.milestones)

    def bind(self, context):
        bound = super().bind(context)
        if len(bound.milestones) >= len(self.Hyper._fields):
            return _MultiStepPython(**bound.get_params(deep=False))
        return bound

    def _defaults(self):
        def fill(context):
            run = run_length(context)
            return sorted({int(run * q) for q in (0.5, 0.75)} - {0})
        return {"milestones": fill}


class _MultiStepPython(MultiStep):
    """:class:`MultiStep` with more milestones than the engine has slots: the same
    ``lr`` on the Python path (``rate`` overridden, so ``compiled()`` is False)."""

    def rate(self, t, eta0):
        return super().rate(t, eta0)

    def rates(self, t0, count, eta0):
        """The epoch's rates at once: ``lr`` on an array of ``t`` (numpy, no loop per t)."""
        return np.asarray(self.rate(np.arange(t0, t0 + count), eta0), dtype=np.float64)


class CosineWarmRestarts(Schedule):
    r"""Cosine annealing with warm restarts (SGDR):
    ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`` stepped once per update.

    .. math::
        \eta_t = \eta_{min} + (\eta_0 - \eta_{min})
                 \frac{1 + \cos(\pi\, T_{cur} / T_i)}{2}

    where the periods are :math:`T_i = T_0 T_{mult}^i` and :math:`T_{cur}` is
    :math:`t - 1` minus the lengths of the periods completed before it
    (:math:`(t - 1) \bmod T_0` when :math:`T_{mult} = 1`): the rate restarts at
    :math:`\eta_0` at updates :math:`1,\ T_0 + 1,\ T_0 + T_0 T_{mult} + 1, \dots`

    Parameters
    ----------
    T_0 : int or None, default=None
        Length of the first period, in updates; ``None`` is ten epochs' worth.
    T_mult : int >= 1, default=1
        Growth of each period over the previous one.
    eta_min : float, default=0.0
        Lowest rate.

    Examples
    --------
    >>> from skopt_gd.schedules import CosineWarmRestarts
    >>> [CosineWarmRestarts(T_0=2, T_mult=2).rate(t, 1.0) for t in range(1, 8)]
    [1.0, 0.5, 1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 1.0]
    """

    _parameter_constraints = {
        "T_0": steps, "T_mult": [Interval(Integral, 1, None, closed="left")],
        "eta_min": [nonnegative],
    }

    def __init__(self, T_0=None, T_mult=1, eta_min=0.0):
        self.T_0 = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min

    @staticmethod
    def lr(h, t, eta0):
        cur, period = t - 1.0, h.T_0  # integers in floats: exact below 2**53
        if h.T_mult == 1.0:
            cur = cur % period
        else:
            while cur >= period:
                cur -= period
                period *= h.T_mult
        return h.eta_min + (eta0 - h.eta_min) * (1.0 + math.cos(math.pi * cur / period)) / 2.0

    def _defaults(self):
        return {"T_0": lambda c: 10 * c["updates_per_epoch"]}
