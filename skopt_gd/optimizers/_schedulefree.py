"""Schedule-free SGD and Adam (Defazio et al. 2024), as ``schedulefree``'s reference classes.

Both keep the average ``x`` as the parameters (what ``coef_`` exposes), a base
sequence ``z`` (buffer, starting at the parameters) and take the gradient at
``y = beta x + (1 - beta) z`` (the ``point`` hook). The average moves by weights,
not by the rate times a direction, so the update is written as ``move``.
"""

import math
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from .._jit import kernel
from ._base import PARAMS, Optimizer, _nonneg, _unit


@kernel
def average_weight(h, scal, eta):
    """``(lr, c, k)`` of update ``k + 1``: the warmed-up rate ``lr = eta min(1, (k+1) /
    warmup_steps)``, the new iterate's weight ``c = w_k / sum w`` in the average, with
    ``w_k = (k+1)^r lr_max^weight_lr_power``; advances ``scal = (k, lr_max, weight_sum)``."""
    k = scal[0]
    lr = eta * ((k + 1.0) / h.warmup_steps if k < h.warmup_steps else 1.0)
    scal[1] = max(lr, scal[1])
    weight = (k + 1.0) ** h.r * scal[1] ** h.weight_lr_power
    scal[2] += weight
    scal[0] = k + 1.0
    return lr, (weight / scal[2] if scal[2] != 0.0 else 0.0), k


@kernel
def mix(x, a, z, b):
    """``x a + z b``: the gradient point ``y = x beta + z (1 - beta)`` and the average's
    update ``x (1 - c) + z c``, in the reference's order of operations."""
    return x * a + z * b


class ScheduleFreeSGD(Optimizer):
    r"""Schedule-free SGD (Defazio et al. 2024, *The Road Less Scheduled*), as
    ``schedulefree.SGDScheduleFreeReference`` (weight decay off).

    .. math::
        y_{t} = \beta x_{t-1} + (1-\beta) z_{t-1}, \quad g_t = \nabla f(y_t), \quad
        z_t = z_{t-1} - \gamma_t g_t,

    .. math::
        x_t = (1 - c_t) x_{t-1} + c_t z_t, \quad
        c_t = \frac{w_t}{\sum_{i \le t} w_i}, \quad
        w_t = t^r \big(\max_{i \le t} \gamma_i\big)^{p}

    with :math:`\gamma_t = \eta_t \min(1, t / \text{warmup\_steps})`, :math:`z_0 = x_0`
    the starting point and :math:`p` ``weight_lr_power``. The parameters (``coef_``,
    averaging, early stopping, warm starts) are :math:`x`; the gradient, the L2
    part and the training objective are taken at :math:`y`. :math:`x` is an
    average of iterates, so an L1 prox gives it no exact zeros: no L1 penalty
    (:attr:`l1_prox` is False). ``warm_start`` restarts from :math:`x` (``z = x``);
    ``partial_fit`` continues :math:`x, z` and the weights.

    Parameters
    ----------
    momentum : float, default=0.9
        :math:`\beta` in (0, 1): the gradient point's interpolation weight.
    warmup_steps : int, default=0
        Updates of linear warmup of the rate.
    r : float, default=0.0
        Power of the polynomial weighting of the average.
    weight_lr_power : float, default=2.0
        Power of the largest rate so far in the weights.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import ScheduleFreeSGD
    >>> opt = ScheduleFreeSGD()
    >>> state = opt.init_state(np.zeros(1))
    >>> x = opt.update(np.zeros(1), np.array([2.0]), state, t=1, eta=0.5)  # c_1 = 1: x = z
    >>> x, state["buffers"][0]
    (array([-1.]), array([-1.]))
    >>> opt.update(x, np.array([2.0]), state, t=2, eta=0.5)  # z = -2, c_2 = 1/2
    array([-1.5])
    """

    #: the reference's lr (real-data panel, --quick, estimator defaults: 3/8 sets at 1.0
    #: and at 1.5, 3/8 at 1 / L as SGD's, 0/8 at 0.6 and at 0.3; 4/8 at 1.0 with
    #: learning_rate="constant")
    auto_rate = 1.0
    full_batch_schedule = "constant"  # the average replaces the schedule
    l1_prox = False
    l1_refusal = ("exposes an average of iterates (schedule-free): soft-thresholding the "
                  "base sequence gives the average no exact zeros")
    _parameter_constraints = {
        "momentum": [Interval(Real, 0, 1, closed="neither")],
        "warmup_steps": [Interval(Integral, 0, None, closed="left")],
        "r": [_nonneg], "weight_lr_power": [_nonneg],
    }
    buffers = ("z",)
    scalars = ("k", "lr_max", "weight_sum")
    initial = {"z": PARAMS, "lr_max": -1.0}

    def __init__(self, momentum=0.9, warmup_steps=0, r=0.0, weight_lr_power=2.0):
        self.momentum = momentum
        self.warmup_steps = warmup_steps
        self.r = r
        self.weight_lr_power = weight_lr_power

    @staticmethod
    def begin(h, scal, t, eta):
        return average_weight(h, scal, eta)

    @staticmethod
    def point(h, bufs, j, w):
        return mix(w, h.momentum, bufs[0, j], 1.0 - h.momentum)

    @staticmethod
    def move(h, c, bufs, j, w, g, eta):
        bufs[0, j] -= c[0] * g
        return mix(w, 1.0 - c[1], bufs[0, j], c[1]), 1.0


class ScheduleFreeAdam(Optimizer):
    r"""Schedule-free Adam (Defazio et al. 2024), as
    ``schedulefree.AdamWScheduleFreeReference(weight_decay=0)``.

    :class:`ScheduleFreeSGD`'s sequences with an Adam-normalised base step
    (no first moment: :math:`\beta_1` is the interpolation weight of :math:`y`):

    .. math::
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        z_t = z_{t-1} - \gamma_t \frac{g_t}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon},

    .. math::
        x_t = (1 - c_t) x_{t-1} + c_t z_t, \quad
        y_{t+1} = \beta_1 x_t + (1 - \beta_1) z_t

    with :math:`\gamma_t`, :math:`c_t` as in :class:`ScheduleFreeSGD`. No L1 penalty
    (:attr:`l1_prox` is False); the same meaning of ``coef_``, ``warm_start`` and
    ``partial_fit``.

    Parameters
    ----------
    beta1 : float, default=0.9
        Interpolation weight of the gradient point, in [0, 1).
    beta2 : float, default=0.999
        Decay rate of the second moment.
    eps : float, default=1e-8
        Added to the denominator.
    warmup_steps : int, default=0
        Updates of linear warmup of the rate.
    r : float, default=0.0
        Power of the polynomial weighting of the average.
    weight_lr_power : float, default=2.0
        Power of the largest rate so far in the weights.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import ScheduleFreeAdam
    >>> opt = ScheduleFreeAdam(eps=0.0)
    >>> x = opt.update(np.zeros(2), np.array([3.0, -0.5]), opt.init_state(np.zeros(2)), 1, 0.1)
    >>> np.round(x, 12)  # the first step: the rate times the gradient's sign
    array([-0.1,  0.1])
    """

    #: steps of about the rate per coordinate, in preconditioned units (real-data panel,
    #: --quick, estimator defaults: 6/8 sets at 0.5, 1.0 and 2.0, 5/8 at 3.0, 4/8 at 0.3,
    #: 0/8 at 0.1, 0.03 and 0.01, 1/8 at the reference's 0.0025)
    auto_rate = 1.0
    full_batch_schedule = "constant"  # the average replaces the schedule
    l1_prox = False
    l1_refusal = ("exposes an average of iterates (schedule-free): soft-thresholding the "
                  "base sequence gives the average no exact zeros")
    _parameter_constraints = {
        "beta1": [_unit], "beta2": [_unit], "eps": [_nonneg],
        "warmup_steps": [Interval(Integral, 0, None, closed="left")],
        "r": [_nonneg], "weight_lr_power": [_nonneg],
    }
    buffers = ("z", "exp_avg_sq")
    scalars = ("k", "lr_max", "weight_sum")
    initial = {"z": PARAMS, "lr_max": -1.0}

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, warmup_steps=0, r=0.0,
                 weight_lr_power=2.0):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.warmup_steps = warmup_steps
        self.r = r
        self.weight_lr_power = weight_lr_power

    @staticmethod
    def begin(h, scal, t, eta):
        lr, c, k = average_weight(h, scal, eta)
        return lr, c, 1.0 / math.sqrt(1.0 - h.beta2 ** (k + 1.0))  # one division per coordinate

    @staticmethod
    def point(h, bufs, j, w):
        return mix(w, h.beta1, bufs[0, j], 1.0 - h.beta1)

    @staticmethod
    def move(h, c, bufs, j, w, g, eta):
        bufs[1, j] = bufs[1, j] * h.beta2 + (1.0 - h.beta2) * g * g
        bufs[0, j] -= c[0] * (g / (math.sqrt(bufs[1, j]) * c[2] + h.eps))
        return mix(w, 1.0 - c[1], bufs[0, j], c[1]), 1.0
