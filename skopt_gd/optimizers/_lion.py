"""Lion: the sign of an interpolated momentum (Chen et al. 2023)."""

from .._jit import ema
from ._base import Optimizer, _unit, sign


class Lion(Optimizer):
    r"""Lion (EvoLved Sign Momentum; Chen et al. 2023, *Symbolic Discovery of
    Optimization Algorithms*, Algorithm 2 without weight decay).

    .. math::
        c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        \theta_t = \theta_{t-1} - \eta_t \operatorname{sign}(c_t),

    .. math::
        m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t

    Every coordinate moves by exactly :math:`\eta_t`, so a decaying schedule is
    what brings it to rest. At full batch ``learning_rate="auto"`` is the paper's
    cosine decay, from ``eta0="auto"`` (0.01 in the preconditioned units) to zero over
    ``max_iter`` epochs, run to its end: the momentum carries the iterate past the
    optimum and back, excursions of tens of epochs with the objective rising, which
    the stopping rule on ``tol`` and ``"adaptive"``'s plateaus would take for
    convergence (measured on the real-data panel: 9 / 34 data sets reached the exact
    solution that way, 30 / 34 with the cosine run). With mini-batches it is
    ``"adaptive"``, as for every rule. Sign-based: no L1 penalty (:attr:`l1_prox` is
    False).

    Parameters
    ----------
    beta1 : float, default=0.9
        Interpolation weight of the momentum in the update direction.
    beta2 : float, default=0.99
        Decay rate of the momentum.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import Lion
    >>> opt = Lion()
    >>> state = opt.init_state(np.zeros(2))
    >>> opt.step(np.array([0.5, -2.0]), state, t=1)
    array([ 1., -1.])
    """

    auto_rate = 0.001
    full_batch_schedule = "cosine"  # to its horizon (BaseSGD: runs_to_horizon)
    horizon_rate = 0.01  # its start (real-data panel, docs/guide/schedules.md)
    l1_prox = False
    _parameter_constraints = {"beta1": [_unit], "beta2": [_unit]}
    buffers = ("exp_avg",)

    def __init__(self, beta1=0.9, beta2=0.99):
        self.beta1 = beta1
        self.beta2 = beta2

    @staticmethod
    def begin(h, scal, t, eta):
        return 0.0, 0.0, 0.0

    @staticmethod
    def coord(h, c, bufs, j, g):
        m = bufs[0, j]
        direction = sign(m + (1.0 - h.beta1) * (g - m))
        ema(bufs, 0, j, g, h.beta2)
        return direction, 1.0
