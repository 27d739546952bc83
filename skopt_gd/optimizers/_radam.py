"""RAdam: Adam with the variance of its adaptive rate rectified (``torch.optim.RAdam``)."""

import math

from .._jit import ema
from ._base import Optimizer, _nonneg, _unit


class RAdam(Optimizer):
    r"""Rectified Adam (Liu et al. 2020, *On the Variance of the Adaptive Learning
    Rate and Beyond*), as ``torch.optim.RAdam`` computes it.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,

    .. math::
        \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}
                         {(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    .. math::
        \theta_t = \theta_{t-1} - \eta_t \frac{m_t}{1-\beta_1^t} \cdot
        \begin{cases} r_t \sqrt{1-\beta_2^t} / (\sqrt{v_t} + \epsilon)
        & \rho_t > 5 \\ 1 & \text{otherwise (momentum SGD while } v_t
        \text{ is too noisy)} \end{cases}

    The prox multiplier is the factor after :math:`m_t / (1-\beta_1^t)`.

    Parameters
    ----------
    beta1, beta2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    eps : float, default=1e-8
        Added to :math:`\sqrt{v_t}`.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import RAdam
    >>> opt = RAdam()
    >>> opt.step(np.array([3.0]), opt.init_state(np.zeros(1)), t=1)  # rho_1 = 1: m / (1 - beta1)
    array([3.])
    """

    #: three times Adam's: the rectification r_t < 1 shrinks the early steps (real-data
    #: panel, --quick: 6/8 sets at 0.03, 5/8 at 0.01 as Adam, 3/8 at 0.003, 4/8 at 0.1)
    auto_rate = 0.03
    full_batch_schedule = "cosine"  # to its horizon (BaseSGD: runs_to_horizon)
    horizon_rate = 1.0  # its start (real-data panel, docs/guide/schedules.md)
    _parameter_constraints = {"beta1": [_unit], "beta2": [_unit], "eps": [_nonneg]}
    buffers = ("exp_avg", "exp_avg_sq")

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    @staticmethod
    def begin(h, scal, t, eta):
        bc2 = 1.0 - h.beta2 ** t
        rho_inf = 2.0 / (1.0 - h.beta2) - 1.0
        rho = rho_inf - 2.0 * t * h.beta2 ** t / bc2
        if rho > 5.0:
            rect = math.sqrt((rho - 4.0) * (rho - 2.0) * rho_inf
                             / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
            return 1.0 / (1.0 - h.beta1 ** t), rect * math.sqrt(bc2), 1.0
        return 1.0 / (1.0 - h.beta1 ** t), 1.0, 0.0  # reciprocals: see Adam.begin

    @staticmethod
    def coord(h, c, bufs, j, g):
        ema(bufs, 0, j, g, h.beta1)
        ema(bufs, 1, j, g * g, h.beta2)
        px = c[1] / (math.sqrt(bufs[1, j]) + h.eps) if c[2] != 0.0 else 1.0
        return bufs[0, j] * c[0] * px, px
