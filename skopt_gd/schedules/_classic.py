"""The classic schedules: scikit-learn's rates, and exponential, step and cosine decay."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import Schedule, positive as _positive, run_length, steps as _steps


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

    ``eta0`` is not used. On sparse input, where the preconditioner scales every column
    by one factor :math:`c` (so each update moves the coefficients :math:`c^2` times as
    far in the user's units), the rate is divided by :math:`c^2`: each update is
    scikit-learn's :math:`1 / (\alpha (t_0 + t))` step on the unscaled data, as with
    ``preconditioning=None``. (Without that, rows that hold rare, up-scaled words take
    steps thousands of times too long in the first epoch.) With ``t0=None`` the estimator fills in scikit-learn's
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
    uses_eta0 = False

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
        bound = super().bind(context)
        bound.alpha = alpha * context.get("alpha_scale", 1.0)  # the sparse column scale
        return bound


class Adaptive(Schedule):
    r"""Constant :math:`\eta_0` until a plateau, then multiplied by ``factor``:
    ``torch.optim.lr_scheduler.ReduceLROnPlateau`` on the epoch objective.

    A plateau is ``patience`` consecutive epochs without an improvement of the
    epoch objective (or, with ``early_stopping``, the validation score) by the
    estimator's ``tol``; the base rate then becomes :math:`\eta \cdot` ``factor``
    and the count restarts. Training stops once the reduced rate would fall below
    ``min_lr``.

    Parameters
    ----------
    factor : float, default=0.2
        Multiplier at each plateau (0.2 divides by 5, as scikit-learn).
    patience : int or None, default=None
        Epochs without improvement that make a plateau; ``None`` is the
        estimator's ``n_iter_no_change``. It counts as ``n_iter_no_change`` does:
        torch's ``ReduceLROnPlateau(patience=p)`` reduces after ``p + 1`` bad
        epochs, which is ``patience=p + 1`` here.
    min_lr : float, default=1e-6
        Stop when the reduced rate falls below this (torch clips at its
        ``min_lr`` and goes on; here, as scikit-learn, the fit has converged).

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
        "factor": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "min_lr": [_positive],
    }
    _hyper_names = ("factor", "min_lr")  # patience is the loop's, not the formula's

    def __init__(self, factor=0.2, patience=None, min_lr=1e-6):
        self.factor = factor
        self.patience = patience
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
        :math:`T`; ``None`` is ``max_iter`` epochs' worth of updates (inside a
        :class:`Sequential`, the updates of its piece).
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
        return {"T_max": run_length}
