"""The Adam family: Adam / AMSGrad, Adamax, NAdam (``torch.optim``)."""

import math

from .._jit import ema
from ._base import Optimizer, _nonneg, _unit


class Adam(Optimizer):
    r"""Adam and AMSGrad.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,

    .. math::
        \hat v_t = \max(\hat v_{t-1}, v_t) \text{ (AMSGrad) or } v_t

    .. math::
        \theta_t = \theta_{t-1} - \eta_t \frac{m_t / (1-\beta_1^t)}
                   {\sqrt{\hat v_t} / \sqrt{1-\beta_2^t} + \epsilon}

    Parameters
    ----------
    beta1, beta2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    eps : float, default=1e-8
        Added to the denominator.
    amsgrad : bool, default=False
        Use the running maximum of the second moment (AMSGrad).

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import Adam
    >>> opt = Adam(eps=0.0)
    >>> opt.step(np.array([-4.0]), opt.init_state(np.zeros(1)), t=1)
    array([-1.])
    """

    auto_rate = 0.01
    full_batch_schedule = "cosine"  # to its horizon (BaseSGD: runs_to_horizon)
    horizon_rate = 0.1  # its start (real-data panel, docs/guide/schedules.md)
    _parameter_constraints = {
        "beta1": [_unit], "beta2": [_unit], "eps": [_nonneg], "amsgrad": ["boolean"],
    }
    buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.amsgrad = amsgrad

    @staticmethod
    def begin(h, scal, t, eta):
        # the bias corrections as reciprocals: one division per coordinate, not three
        # (torch divides by each; the results differ by round-off)
        return 1.0 / (1.0 - h.beta1 ** t), 1.0 / math.sqrt(1.0 - h.beta2 ** t), 0.0

    @staticmethod
    def coord(h, c, bufs, j, g):
        ema(bufs, 0, j, g, h.beta1)
        ema(bufs, 1, j, g * g, h.beta2)
        second = bufs[1, j]
        if h.amsgrad != 0:
            bufs[2, j] = max(bufs[2, j], bufs[1, j])
            second = bufs[2, j]
        px = 1.0 / (math.sqrt(second) * c[1] + h.eps)
        return bufs[0, j] * c[0] * px, px


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),

    .. math::
        \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t} \frac{m_t}{u_t}

    Parameters
    ----------
    beta1, beta2 : float, default=0.9, 0.999
        Decay rates of the first moment and of the infinity norm.
    eps : float, default=1e-8
        Added to :math:`|g_t|`.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import Adamax
    >>> opt = Adamax(eps=0.0)
    >>> opt.step(np.array([5.0]), opt.init_state(np.zeros(1)), t=1)
    array([1.])
    """

    auto_rate = 0.02
    full_batch_schedule = "cosine"  # to its horizon (BaseSGD: runs_to_horizon)
    horizon_rate = 1.0  # its start (real-data panel, docs/guide/schedules.md)
    _parameter_constraints = {"beta1": [_unit], "beta2": [_unit], "eps": [_nonneg]}
    buffers = ("exp_avg", "exp_inf")

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    @staticmethod
    def begin(h, scal, t, eta):
        return 1.0 - h.beta1 ** t, 0.0, 0.0

    @staticmethod
    def coord(h, c, bufs, j, g):
        ema(bufs, 0, j, g, h.beta1)
        bufs[1, j] = max(h.beta2 * bufs[1, j], abs(g) + h.eps)
        px = 1.0 / (c[0] * bufs[1, j])
        return bufs[0, j] * px, px


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule.

    .. math::
        \mu_t = \beta_1 (1 - \tfrac12 0.96^{t \psi}), \quad
        \Pi_t = \prod_{i \le t} \mu_i,

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2

    .. math::
        \theta_t = \theta_{t-1} - \eta_t \Big(\frac{\mu_{t+1} m_t}{1-\Pi_{t+1}}
                   + \frac{(1-\mu_t) g_t}{1-\Pi_t}\Big) \Big/
                   \Big(\sqrt{v_t / (1-\beta_2^t)} + \epsilon\Big)

    Parameters
    ----------
    beta1, beta2 : float, default=0.9, 0.999
        Decay rates of the moment estimates.
    eps : float, default=1e-8
        Added to the denominator.
    momentum_decay : float, default=4e-3
        :math:`\psi` in the momentum schedule.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import NAdam
    >>> opt = NAdam()
    >>> d = opt.step(np.array([1.0]), opt.init_state(np.zeros(1)), t=1)
    >>> round(float(d[0]), 4)  # (1 - mu_1) g / (1 - mu_1) + mu_2 m_1 / (1 - mu_1 mu_2)
    1.0565
    """

    auto_rate = 0.01
    full_batch_schedule = "cosine"  # to its horizon (BaseSGD: runs_to_horizon)
    horizon_rate = 0.3  # its start (real-data panel, docs/guide/schedules.md)
    _parameter_constraints = {
        "beta1": [_unit], "beta2": [_unit], "eps": [_nonneg], "momentum_decay": [_nonneg],
    }
    buffers = ("exp_avg", "exp_avg_sq")
    scalars = ("mu_product",)
    initial = {"mu_product": 1.0}

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.momentum_decay = momentum_decay

    @staticmethod
    def begin(h, scal, t, eta):
        mu = h.beta1 * (1.0 - 0.5 * 0.96 ** (t * h.momentum_decay))
        mu_next = h.beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * h.momentum_decay))
        scal[0] *= mu
        return ((1.0 - mu) / (1.0 - scal[0]), mu_next / (1.0 - scal[0] * mu_next),
                1.0 / math.sqrt(1.0 - h.beta2 ** t))  # a reciprocal: see Adam.begin

    @staticmethod
    def coord(h, c, bufs, j, g):
        ema(bufs, 0, j, g, h.beta1)
        ema(bufs, 1, j, g * g, h.beta2)
        px = 1.0 / (math.sqrt(bufs[1, j]) * c[2] + h.eps)
        return g * c[0] * px + bufs[0, j] * c[1] * px, px
