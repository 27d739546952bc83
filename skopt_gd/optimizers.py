r"""Optimizers: update rules as small parameter objects.

An optimizer holds hyperparameters only. The estimator owns the state: it
calls ``state = opt.init_state(params)`` once, then for every update
``t = 1, 2, ...``::

    direction = opt.step(grad, state, t)     # updates ``state`` in place
    params -= eta_t * direction              # the one place eta_t appears

Each class reproduces the algorithm documented for the ``torch.optim``
optimizer of the same name (weight decay off: penalties are handled by the
estimator), to float64 round-off.

``prox_scale(state, t)`` gives the optimizer's per-coordinate step
multiplier at a stationary point (the diagonal metric of the update). The
L1 proximal step soft-thresholds by ``eta_t * alpha * l1_ratio * prox_scale``,
so that the fixed points of every optimizer satisfy the Lasso optimality
conditions exactly.

Examples
--------
>>> import numpy as np
>>> from skopt_gd.optimizers import Adam
>>> opt = Adam(beta1=0.5, eps=0.0)
>>> state = opt.init_state(np.zeros(2))
>>> opt.step(np.array([1.0, -2.0]), state, t=1)
array([ 1., -1.])
"""

from abc import abstractmethod
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._params import ParamObject

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "Adamax",
    "NAdam", "OPTIMIZERS",
]

_unit = Interval(Real, 0, 1, closed="left")
_positive = Interval(Real, 0, None, closed="neither")
_nonneg = Interval(Real, 0, None, closed="left")


def _ema(buf, value, decay):
    """In-place exponential moving average, written as torch's ``lerp``."""
    buf += (1.0 - decay) * (value - buf)


class Optimizer(ParamObject):
    """Base class: hyperparameters only; the caller owns the state dict."""

    _parameter_constraints: dict = {}

    #: ``eta0="auto"``: the rate of this optimizer in the preconditioned geometry
    #: (features and target standardized, curvature about 1); see ``auto_eta0``.
    auto_rate = 0.01

    def auto_eta0(self, lipschitz):
        """The learning rate ``eta0="auto"`` stands for.

        Adaptive optimizers normalise their steps per coordinate, so their rate is
        a step length in the preconditioned units (``auto_rate``, whatever the
        curvature); plain and momentum SGD override this with ``1 / L``.
        ``lipschitz`` is the smoothness of a batch gradient in those units.
        """
        return self.auto_rate

    def validate(self):
        """Check the hyperparameters; raise ``ValueError`` naming the bad one."""
        self._validate_params()

    def init_state(self, params):
        """Return the zero-initialised state buffers for ``params``."""
        return {}

    @abstractmethod
    def step(self, grad, state, t):
        """Return the lr-free update direction for gradient ``grad`` at step ``t``."""

    def prox_scale(self, state, t):
        """Per-coordinate step multiplier used by the L1 proximal step."""
        return 1.0


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

    def init_state(self, params):
        return {"momentum_buffer": None} if self.momentum else {}

    def auto_eta0(self, lipschitz):
        """``1 / (L m)``: a gradient step of ``1 / L`` (``L`` the smoothness of a batch
        gradient), ``m`` the stationary step multiplier of the momentum (``prox_scale``);
        heavy-ball momentum ``mu`` (no Nesterov) takes ``(1 - sqrt(mu))^2 / L``, which
        damps the stiffest direction critically instead of letting it oscillate."""
        if self.momentum and not self.nesterov:
            return (1.0 - self.momentum ** 0.5) ** 2 / (1.0 - self.dampening) / lipschitz
        return 1.0 / (lipschitz * self.prox_scale(None, 1))

    def step(self, grad, state, t):
        if not self.momentum:
            return grad
        buf = state["momentum_buffer"]
        if buf is None:
            buf = state["momentum_buffer"] = grad.copy()
        else:
            buf *= self.momentum
            buf += (1.0 - self.dampening) * grad
        return grad + self.momentum * buf if self.nesterov else buf.copy()

    def prox_scale(self, state, t):
        mu, tau = self.momentum, self.dampening
        if not mu:
            return 1.0
        stationary = (1.0 - tau) / (1.0 - mu)
        return 1.0 + mu * stationary if self.nesterov else stationary


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
    >>> Adagrad().step(np.array([2.0]), {"sum": np.zeros(1)}, t=1)
    array([1.])
    """

    auto_rate = 0.5

    _parameter_constraints = {"eps": [_nonneg], "initial_accumulator_value": [_nonneg]}

    def __init__(self, eps=1e-10, initial_accumulator_value=0.0):
        self.eps = eps
        self.initial_accumulator_value = initial_accumulator_value

    def init_state(self, params):
        return {"sum": np.full_like(params, self.initial_accumulator_value)}

    def step(self, grad, state, t):
        state["sum"] += grad * grad
        return grad / (np.sqrt(state["sum"]) + self.eps)

    def prox_scale(self, state, t):
        return 1.0 / (np.sqrt(state["sum"]) + self.eps)


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

    _parameter_constraints = {
        "rho": [_unit], "eps": [_nonneg], "momentum": [_unit], "centered": ["boolean"],
    }

    def __init__(self, rho=0.99, eps=1e-8, momentum=0.0, centered=False):
        self.rho = rho
        self.eps = eps
        self.momentum = momentum
        self.centered = centered

    def init_state(self, params):
        state = {"square_avg": np.zeros_like(params)}
        if self.centered:
            state["grad_avg"] = np.zeros_like(params)
        if self.momentum:
            state["momentum_buffer"] = np.zeros_like(params)
        return state

    def _avg(self, state):
        second = state["square_avg"]
        if self.centered:
            second = second - state["grad_avg"] ** 2
        return np.sqrt(second) + self.eps

    def step(self, grad, state, t):
        _ema(state["square_avg"], grad * grad, self.rho)
        if self.centered:
            _ema(state["grad_avg"], grad, self.rho)
        direction = grad / self._avg(state)
        if not self.momentum:
            return direction
        buf = state["momentum_buffer"]
        buf *= self.momentum
        buf += direction
        return buf.copy()

    def prox_scale(self, state, t):
        return 1.0 / (self._avg(state) * (1.0 - self.momentum))


class Adadelta(Optimizer):
    r"""Adadelta: steps scaled by the ratio of RMS update to RMS gradient.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t,

    .. math::
        u_t = \rho u_{t-1} + (1-\rho) \Delta_t^2, \quad
        \theta_t = \theta_{t-1} - \eta_t \Delta_t

    torch's default learning rate for Adadelta is 1.0; pass ``eta0=1.0`` for it.

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

    _parameter_constraints = {"rho": [_unit], "eps": [_positive]}

    def __init__(self, rho=0.9, eps=1e-6):
        self.rho = rho
        self.eps = eps

    def init_state(self, params):
        return {"square_avg": np.zeros_like(params), "acc_delta": np.zeros_like(params)}

    def step(self, grad, state, t):
        _ema(state["square_avg"], grad * grad, self.rho)
        delta = self.prox_scale(state, t) * grad
        _ema(state["acc_delta"], delta * delta, self.rho)
        return delta

    def prox_scale(self, state, t):
        return np.sqrt(state["acc_delta"] + self.eps) / np.sqrt(state["square_avg"] + self.eps)


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

    _parameter_constraints = {
        "beta1": [_unit], "beta2": [_unit], "eps": [_nonneg], "amsgrad": ["boolean"],
    }

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.amsgrad = amsgrad

    def init_state(self, params):
        state = {"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params)}
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(params)
        return state

    def step(self, grad, state, t):
        _ema(state["exp_avg"], grad, self.beta1)
        _ema(state["exp_avg_sq"], grad * grad, self.beta2)
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], state["exp_avg_sq"], out=state["max_exp_avg_sq"])
        return state["exp_avg"] / (1.0 - self.beta1**t) * self.prox_scale(state, t)

    def prox_scale(self, state, t):
        second = state["max_exp_avg_sq"] if self.amsgrad else state["exp_avg_sq"]
        return 1.0 / (np.sqrt(second) / np.sqrt(1.0 - self.beta2**t) + self.eps)


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

    _parameter_constraints = {"beta1": [_unit], "beta2": [_unit], "eps": [_nonneg]}

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    def init_state(self, params):
        return {"exp_avg": np.zeros_like(params), "exp_inf": np.zeros_like(params)}

    def step(self, grad, state, t):
        _ema(state["exp_avg"], grad, self.beta1)
        np.maximum(self.beta2 * state["exp_inf"], np.abs(grad) + self.eps, out=state["exp_inf"])
        return state["exp_avg"] * self.prox_scale(state, t)

    def prox_scale(self, state, t):
        return 1.0 / ((1.0 - self.beta1**t) * state["exp_inf"])


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

    _parameter_constraints = {
        "beta1": [_unit], "beta2": [_unit], "eps": [_nonneg], "momentum_decay": [_nonneg],
    }

    def __init__(self, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3):
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.momentum_decay = momentum_decay

    def init_state(self, params):
        return {"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params),
                "mu_product": 1.0}

    def _mu(self, t):
        return self.beta1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def step(self, grad, state, t):
        mu, mu_next = self._mu(t), self._mu(t + 1)
        state["mu_product"] *= mu
        mu_product_next = state["mu_product"] * mu_next
        _ema(state["exp_avg"], grad, self.beta1)
        _ema(state["exp_avg_sq"], grad * grad, self.beta2)
        scale = self.prox_scale(state, t)
        return (grad * ((1.0 - mu) / (1.0 - state["mu_product"])) * scale
                + state["exp_avg"] * (mu_next / (1.0 - mu_product_next)) * scale)

    def prox_scale(self, state, t):
        return 1.0 / (np.sqrt(state["exp_avg_sq"] / (1.0 - self.beta2**t)) + self.eps)


OPTIMIZERS = {
    "sgd": lambda: SGD(),
    "momentum": lambda: SGD(momentum=0.9),
    "nesterov": lambda: SGD(momentum=0.9, nesterov=True),
    "adagrad": lambda: Adagrad(),
    "rmsprop": lambda: RMSprop(),
    "adadelta": lambda: Adadelta(),
    "adam": lambda: Adam(),
    "amsgrad": lambda: Adam(amsgrad=True),
    "adamax": lambda: Adamax(),
    "nadam": lambda: NAdam(),
}
"""Alias -> factory of the optimizer object the alias stands for."""
