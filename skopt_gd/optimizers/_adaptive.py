"""Per-coordinate adaptive rates: Adagrad, RMSprop, Adadelta (``torch.optim``)."""

import math

from .._jit import ema
from ._base import Optimizer, _nonneg, _positive, _unit


class Adagrad(Optimizer):
    r"""Adagrad: per-coordinate steps scaled by the accumulated squared gradients.

    .. math::
        s_t = s_{t-1} + g_t^2, \qquad
        \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{s_t} + \epsilon}

    Parameters
    ----------
    eps : float, default=1e-10
        Added to the denominator for numerical stability.
    initial_accumulator_value : float, default=0.0
        Starting value :math:`s_0` of the sum.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import Adagrad
    >>> opt = Adagrad()
    >>> opt.step(np.array([2.0]), opt.init_state(np.zeros(1)), t=1)
    array([1.])
    """

    refine_on_plateau = False  # see Optimizer.refine_on_plateau

    auto_rate = 0.5
    full_batch_schedule = "cosine"  # to its horizon (BaseSGD: runs_to_horizon)
    horizon_rate = 2.0  # its start (real-data panel, docs/guide/schedules.md)
    _parameter_constraints = {"eps": [_nonneg], "initial_accumulator_value": [_nonneg]}
    buffers = ("sum",)
    initial = {"sum": "initial_accumulator_value"}

    def __init__(self, eps=1e-10, initial_accumulator_value=0.0):
        self.eps = eps
        self.initial_accumulator_value = initial_accumulator_value

    @staticmethod
    def begin(h, scal, t, eta):
        return 0.0, 0.0, 0.0

    @staticmethod
    def coord(h, c, bufs, j, g):
        bufs[0, j] += g * g
        px = 1.0 / (math.sqrt(bufs[0, j]) + h.eps)
        return g * px, px


class RMSprop(Optimizer):
    r"""RMSprop, optionally centered and with momentum.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \bar g_t = \rho \bar g_{t-1} + (1-\rho) g_t \text{ (centered)},

    .. math::
        a_t = \sqrt{v_t - \bar g_t^2} + \epsilon

    .. math::
        b_t = \mu b_{t-1} + g_t / a_t, \qquad \theta_t = \theta_{t-1} - \eta_t b_t

    (without centering :math:`\bar g = 0`; without momentum :math:`b_t = g_t / a_t`).
    The prox multiplier is the stationary one, :math:`1 / (a_t (1 - \mu))`.

    Parameters
    ----------
    rho : float, default=0.99
        Smoothing constant (torch's ``alpha``).
    eps : float, default=1e-8
        Added to the denominator.
    momentum : float, default=0.0
        Momentum factor :math:`\mu`.
    centered : bool, default=False
        Normalise by the estimated variance instead of the second moment.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import RMSprop
    >>> opt = RMSprop(rho=0.75, eps=0.0)
    >>> opt.step(np.array([3.0]), opt.init_state(np.zeros(1)), t=1)
    array([2.])
    """

    auto_rate = 0.01
    full_batch_schedule = "cosine"  # to its horizon (BaseSGD: runs_to_horizon)
    horizon_rate = 0.1  # its start (real-data panel, docs/guide/schedules.md)
    _parameter_constraints = {
        "rho": [_unit], "eps": [_nonneg], "momentum": [_unit], "centered": ["boolean"],
    }
    buffers = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(self, rho=0.99, eps=1e-8, momentum=0.0, centered=False):
        self.rho = rho
        self.eps = eps
        self.momentum = momentum
        self.centered = centered

    @staticmethod
    def begin(h, scal, t, eta):
        return 1.0 / (1.0 - h.momentum), 0.0, 0.0  # so a coordinate pays one division

    @staticmethod
    def coord(h, c, bufs, j, g):
        ema(bufs, 0, j, g * g, h.rho)
        second = bufs[0, j]
        if h.centered != 0:
            ema(bufs, 1, j, g, h.rho)
            second = bufs[0, j] - bufs[1, j] ** 2
        inv = 1.0 / (math.sqrt(second) + h.eps)
        step = g * inv
        if h.momentum != 0.0:
            bufs[2, j] = bufs[2, j] * h.momentum + step
            step = bufs[2, j]
        return step, inv * c[0]


class Adadelta(Optimizer):
    r"""Adadelta: steps scaled by the ratio of RMS update to RMS gradient.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t,

    .. math::
        u_t = \rho u_{t-1} + (1-\rho) \Delta_t^2, \quad
        \theta_t = \theta_{t-1} - \eta_t \Delta_t

    torch's default learning rate for Adadelta is 1.0, which ``eta0="auto"`` takes.

    Parameters
    ----------
    rho : float, default=0.9
        Decay of both running averages.
    eps : float, default=1e-6
        Added inside both square roots.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import Adadelta
    >>> opt = Adadelta(rho=0.0, eps=1.0)
    >>> opt.step(np.array([0.0]), opt.init_state(np.zeros(1)), t=1)
    array([0.])
    """

    auto_rate = 1.0
    full_batch_schedule = "cosine"  # to its horizon (BaseSGD: runs_to_horizon)
    horizon_rate = 10.0  # its start (real-data panel, docs/guide/schedules.md)
    _parameter_constraints = {"rho": [_unit], "eps": [_positive]}
    buffers = ("square_avg", "acc_delta")

    def __init__(self, rho=0.9, eps=1e-6):
        self.rho = rho
        self.eps = eps

    @staticmethod
    def begin(h, scal, t, eta):
        return 0.0, 0.0, 0.0

    @staticmethod
    def coord(h, c, bufs, j, g):
        ema(bufs, 0, j, g * g, h.rho)
        # torch's sqrt(u + eps) / sqrt(v + eps) as the root of the quotient: one square
        # root per ratio instead of two (equal to round-off)
        delta = math.sqrt((bufs[1, j] + h.eps) / (bufs[0, j] + h.eps)) * g
        ema(bufs, 1, j, delta * delta, h.rho)
        # the multiplier after the update, as the numpy reference states it
        return delta, math.sqrt((bufs[1, j] + h.eps) / (bufs[0, j] + h.eps))
