"""Plain, momentum and Nesterov SGD (``torch.optim.SGD``)."""

from ._base import Optimizer, _unit


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum.

    .. math::
        b_t = \mu b_{t-1} + (1 - \tau) g_t \ (b_1 = g_1), \qquad
        d_t = g_t + \mu b_t \text{ (Nesterov) or } b_t,

    .. math::
        \theta_t = \theta_{t-1} - \eta_t d_t

    With ``momentum=0`` the direction is the gradient itself.

    Parameters
    ----------
    momentum : float, default=0.0
        Momentum factor :math:`\mu` in [0, 1).
    dampening : float, default=0.0
        Dampening :math:`\tau` for momentum.
    nesterov : bool, default=False
        Use Nesterov momentum (requires ``momentum > 0`` and ``dampening == 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import SGD
    >>> opt = SGD(momentum=0.9)
    >>> state = opt.init_state(np.zeros(1))
    >>> [float(opt.step(np.array([1.0]), state, t)[0]) for t in (1, 2)]
    [1.0, 1.9]
    """

    _parameter_constraints = {
        "momentum": [_unit], "dampening": [_unit], "nesterov": ["boolean"],
    }
    buffers = ("momentum_buffer",)
    scalars = ("steps",)  # momentum updates taken: the buffer starts as the first gradient
    horizon_rate = 0.3  # heavy ball's cosine start (see full_batch_schedule)

    @property
    def full_batch_schedule(self):
        """``"constant"`` for plain and Nesterov SGD (a step of ``1 / L``, or its Nesterov
        form, descends at a fixed rate); ``"cosine"`` run to ``max_iter`` from 0.3 for
        heavy-ball momentum. Its critically damped ``eta0="auto"`` (``auto_eta0``) moves
        the flat directions ``(1 - sqrt(mu))^2``, 0.0026 at 0.9, as fast as plain SGD,
        and any rate above it makes the iterate oscillate, which the stopping rule on
        ``tol`` reads as a stall (real-data panel at defaults: 21 / 34 data sets at the
        exact solution as ``"constant"``; 32 / 34 as a cosine run from 0.3, 0.6 or 1.0,
        30 from 0.1, 28 from 0.03)."""
        return "cosine" if self.momentum and not self.nesterov else "constant"

    def __init__(self, momentum=0.0, dampening=0.0, nesterov=False):
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov

    def validate(self):
        super().validate()
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                "SGD(nesterov=True) requires momentum > 0 and dampening == 0, got "
                f"momentum={self.momentum!r}, dampening={self.dampening!r}."
            )

    def plain_gradient(self):
        return not self.momentum

    def auto_eta0(self, lipschitz):
        """``1 / (L m)``: a gradient step of ``1 / L`` (``L`` the smoothness of a batch
        gradient), ``m`` the stationary step multiplier of the momentum (``begin``'s
        prox); heavy-ball momentum ``mu`` (no Nesterov) takes ``(1 - sqrt(mu))^2 / L``,
        which damps the stiffest direction critically instead of letting it oscillate."""
        if self.momentum and not self.nesterov:
            return (1.0 - self.momentum ** 0.5) ** 2 / (1.0 - self.dampening) / lipschitz
        return 1.0 / (lipschitz * self.begin(self.hyper(), [1.0], 2, 1.0)[1])

    @staticmethod
    def begin(h, scal, t, eta):
        first, px = (1.0 if scal[0] == 0 else 0.0), 1.0
        if h.momentum != 0.0:
            scal[0] += 1.0
            px = (1.0 - h.dampening) / (1.0 - h.momentum)
            px = 1.0 + h.momentum * px if h.nesterov != 0 else px
        return first, px, 0.0

    @staticmethod
    def coord(h, c, bufs, j, g):
        if h.momentum == 0.0:
            return g, c[1]
        bufs[0, j] = g if c[0] != 0 else bufs[0, j] * h.momentum + (1.0 - h.dampening) * g
        return (g + h.momentum * bufs[0, j] if h.nesterov != 0 else bufs[0, j]), c[1]
