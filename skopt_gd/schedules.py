r"""Learning-rate schedules: pure functions of the 1-based update count ``t``.

A schedule holds hyperparameters only. ``rate(t, eta0)`` gives the learning
rate of update ``t`` from the base rate ``eta0``; the training loop multiplies
the optimizer's direction by it, and nowhere else is a learning rate applied.

``on_plateau(eta0)`` is called when the epoch objective has not improved by
``tol`` for ``n_iter_no_change`` epochs: it returns the new base rate to go on
with, or ``None`` to stop training (the default, and what every schedule but
:class:`Adaptive` does).

Parameters left as ``None`` (``Optimal``'s ``alpha`` and ``t0``, the lengths of
``Exponential``, ``Step`` and ``Cosine``) are filled in by the estimator at the
start of ``fit`` from its own parameters; see :meth:`Schedule.bind`.

Examples
--------
>>> from skopt_gd.schedules import InvScaling
>>> InvScaling(power_t=0.5).rate(t=4, eta0=0.1)
0.05
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._jit import Compiled, driver, hook
from ._params import ParamObject

__all__ = [
    "Schedule", "Constant", "InvScaling", "Optimal", "Adaptive", "Exponential",
    "Step", "Cosine", "SCHEDULES",
]

_positive = Interval(Real, 0, None, closed="neither")
_steps = [Interval(Integral, 1, None, closed="left"), None]


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


class Schedule(Compiled, ParamObject):
    """Base class of learning-rate schedules.

    The formula is the static ``lr(h, t, eta0)`` (numba's subset of Python, numpy
    functions so that it also takes an array of ``t``); ``rate`` and the compiled
    engine both run it.
    """

    _parameter_constraints: dict = {}

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

    def rates(self, t0, count, eta0):
        """Rates of updates ``t0 .. t0 + count - 1`` as a float64 array (compiled)."""
        if not type(self).compiled():  # a user schedule written in Python
            return np.array([self.rate(t, eta0) for t in range(t0, t0 + count)], np.float64)
        out = np.empty(count)
        _rates(self.packed(), t0, float(eta0), out)
        return out

    def validate(self):
        """Check the hyperparameters; raise ``ValueError`` naming the bad one."""
        self._validate_params()

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

        ``context`` has the keys ``alpha``, ``t0`` (Bottou's heuristic for the
        estimator's loss), ``updates_per_epoch`` and ``max_iter``. Subclasses
        map each of their ``None`` parameters to a value in ``_defaults``.
        """
        bound = self.get_params(deep=False)
        for name, fill in self._defaults().items():
            if bound[name] is None:
                bound[name] = fill(context)
        return type(self)(**bound)

    def _defaults(self):
        return {}


class Constant(Schedule):
    r"""Constant rate: :math:`\eta_t = \eta_0`.

    Examples
    --------
    >>> from skopt_gd.schedules import Constant
    >>> Constant().rate(t=100, eta0=0.01)
    0.01
    """


class InvScaling(Schedule):
    r"""Inverse scaling: :math:`\eta_t = \eta_0 / t^{p}`.

    Parameters
    ----------
    power_t : float, default=0.25
        The exponent :math:`p`.

    Examples
    --------
    >>> from skopt_gd.schedules import InvScaling
    >>> InvScaling(power_t=1.0).rate(t=10, eta0=1.0)
    0.1
    """

    _parameter_constraints = {"power_t": [Real]}

    def __init__(self, power_t=0.25):
        self.power_t = power_t

    @staticmethod
    def lr(h, t, eta0):
        return eta0 / t ** h.power_t


class Optimal(Schedule):
    r"""Bottou's "optimal" rate: :math:`\eta_t = 1 / (\alpha (t_0 + t))`.

    ``eta0`` is not used. With ``t0=None`` the estimator fills in scikit-learn's
    heuristic :math:`t_0 = 1/(\eta_{init} \alpha) - 1` with
    :math:`\eta_{init} = \sqrt{1/\sqrt{\alpha}} / \max(1, \ell'(-\sqrt{1/\sqrt{\alpha}}, 1))`,
    :math:`\ell'` the signed derivative of the loss in the prediction (negative
    for every loss here, so :math:`t_0 = \alpha^{-3/4} - 1`).

    Parameters
    ----------
    alpha : float or None, default=None
        Regularisation strength; ``None`` takes the estimator's ``alpha``.
    t0 : float or None, default=None
        Offset :math:`t_0`; ``None`` takes the heuristic above.

    Examples
    --------
    >>> from skopt_gd.schedules import Optimal
    >>> Optimal(alpha=0.5, t0=1.0).rate(t=1, eta0=123.0)
    1.0
    """

    _parameter_constraints = {"alpha": [_positive, None], "t0": [Real, None]}

    def __init__(self, alpha=None, t0=None):
        self.alpha = alpha
        self.t0 = t0

    @staticmethod
    def lr(h, t, eta0):
        return 1.0 / (h.alpha * (h.t0 + t))

    def _defaults(self):
        return {"alpha": lambda c: c["alpha"], "t0": lambda c: c["t0"]}

    def bind(self, context):
        alpha = self.alpha if self.alpha is not None else context["alpha"]
        if not alpha or alpha <= 0:
            raise ValueError(
                "learning_rate='optimal' needs alpha > 0 (it sets eta_t = "
                f"1 / (alpha (t0 + t))), got alpha={alpha!r}."
            )
        return super().bind(context)


class Adaptive(Schedule):
    r"""Constant :math:`\eta_0` until a plateau, then multiplied by ``factor``.

    On each plateau (``n_iter_no_change`` epochs without an improvement of
    ``tol``) the base rate becomes :math:`\eta \cdot` ``factor``; training
    stops once it would fall below ``min_lr``.

    Parameters
    ----------
    factor : float, default=0.2
        Multiplier at each plateau (0.2 divides by 5, as scikit-learn).
    min_lr : float, default=1e-6
        Stop when the reduced rate falls below this.

    Examples
    --------
    >>> from skopt_gd.schedules import Adaptive
    >>> sched = Adaptive()
    >>> sched.on_plateau(0.01)
    0.002
    >>> sched.on_plateau(1e-6) is None
    True
    """

    _parameter_constraints = {
        "factor": [Interval(Real, 0, 1, closed="neither")], "min_lr": [_positive],
    }

    def __init__(self, factor=0.2, min_lr=1e-6):
        self.factor = factor
        self.min_lr = min_lr

    @staticmethod
    def plateau(h, eta0):
        reduced = eta0 * h.factor
        return -1.0 if reduced < h.min_lr else reduced


class Exponential(Schedule):
    r"""Exponential decay: :math:`\eta_t = \eta_0 \gamma^{(t-1)/s}`.

    Parameters
    ----------
    gamma : float, default=0.95
        Decay factor per ``decay_steps`` updates.
    decay_steps : int or None, default=None
        :math:`s`; ``None`` is one epoch's worth of updates.

    Examples
    --------
    >>> from skopt_gd.schedules import Exponential
    >>> Exponential(gamma=0.5, decay_steps=2).rate(t=5, eta0=1.0)
    0.25
    """

    _parameter_constraints = {
        "gamma": [Interval(Real, 0, 1, closed="right")], "decay_steps": _steps,
    }

    def __init__(self, gamma=0.95, decay_steps=None):
        self.gamma = gamma
        self.decay_steps = decay_steps

    @staticmethod
    def lr(h, t, eta0):
        return eta0 * h.gamma ** ((t - 1) / h.decay_steps)

    def _defaults(self):
        return {"decay_steps": lambda c: c["updates_per_epoch"]}


class Step(Schedule):
    r"""Step decay: :math:`\eta_t = \eta_0 \gamma^{\lfloor (t-1)/s \rfloor}`.

    Parameters
    ----------
    gamma : float, default=0.5
        Factor applied every ``step_size`` updates.
    step_size : int or None, default=None
        :math:`s`; ``None`` is ten epochs' worth of updates.

    Examples
    --------
    >>> from skopt_gd.schedules import Step
    >>> [Step(gamma=0.1, step_size=2).rate(t, 1.0) for t in (1, 2, 3)]
    [1.0, 1.0, 0.1]
    """

    _parameter_constraints = {
        "gamma": [Interval(Real, 0, 1, closed="right")], "step_size": _steps,
    }

    def __init__(self, gamma=0.5, step_size=None):
        self.gamma = gamma
        self.step_size = step_size

    @staticmethod
    def lr(h, t, eta0):
        return eta0 * h.gamma ** ((t - 1) // h.step_size)

    def _defaults(self):
        return {"step_size": lambda c: 10 * c["updates_per_epoch"]}


class Cosine(Schedule):
    r"""Cosine annealing from :math:`\eta_0` to ``eta_min`` over ``T_max`` updates.

    .. math::
        \eta_t = \eta_{min} + (\eta_0 - \eta_{min})
                 \frac{1 + \cos(\pi \min(t-1, T) / T)}{2}

    Parameters
    ----------
    T_max : int or None, default=None
        :math:`T`; ``None`` is ``max_iter`` epochs' worth of updates.
    eta_min : float, default=0.0
        Final rate.

    Examples
    --------
    >>> from skopt_gd.schedules import Cosine
    >>> Cosine(T_max=2).rate(t=2, eta0=1.0)
    0.5
    """

    _parameter_constraints = {
        "T_max": _steps, "eta_min": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, T_max=None, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min

    @staticmethod
    def lr(h, t, eta0):
        frac = np.minimum(t - 1, h.T_max) / h.T_max
        return h.eta_min + (eta0 - h.eta_min) * (1.0 + np.cos(np.pi * frac)) / 2.0

    def _defaults(self):
        return {"T_max": lambda c: c["updates_per_epoch"] * c["max_iter"]}


SCHEDULES = {
    "constant": Constant,
    "invscaling": InvScaling,
    "optimal": Optimal,
    "adaptive": Adaptive,
    "exponential": Exponential,
    "step": Step,
    "cosine": Cosine,
}
"""Alias -> class; the estimator builds ``InvScaling(power_t=self.power_t)``."""
