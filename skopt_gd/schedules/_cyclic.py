"""Cyclical rates of ``torch.optim.lr_scheduler``: ``OneCycleLR`` and ``CyclicLR``.

As torch's, each rate is a closed form in the update count: ``e = t - 1`` below
is torch's ``last_epoch`` (its step count). Momentum is never cycled: the
optimizer's own hyperparameters stay as they are (torch's
``cycle_momentum=False``). A string option enters the formula as the float
code of the class's ``_codes`` table.
"""

import math
from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions

from .._jit import kernel
from ._base import Schedule, positive, run_length, steps, unit


@kernel
def _anneal(start, end, pct, cos):
    """From ``start`` (``pct = 0``) to ``end`` (``pct = 1``): torch's ``_annealing_cos``
    (``cos = 1``) or ``_annealing_linear`` (``cos = 0``)."""
    if cos != 0.0:
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)
    return (end - start) * pct + start


class OneCycle(Schedule):
    r"""The 1cycle policy: ``torch.optim.lr_scheduler.OneCycleLR``; ``eta0`` is ``max_lr``.

    With :math:`e = t - 1`, :math:`N` = ``total_steps``, :math:`p` = ``pct_start``,
    :math:`\eta_{init} = \eta_0 / d` (``div_factor``) and
    :math:`\eta_{final} = \eta_{init} / d_f` (``final_div_factor``), the phases end at
    :math:`a = pN - 1` and :math:`N - 1`:

    .. math::
        \eta_t = \begin{cases}
            A(\eta_{init}, \eta_0, e / a) & e \le a \\
            A(\eta_0, \eta_{final}, (e - a) / (N - 1 - a)) & \text{else}
        \end{cases}

    with :math:`A(s, f, x) = f + (s - f)(1 + \cos \pi x)/2` (``"cos"``) or
    :math:`s + (f - s) x` (``"linear"``). With ``three_phase`` the rate goes up
    to :math:`\eta_0` until :math:`a`, back to :math:`\eta_{init}` until
    :math:`b = 2pN - 2`, then to :math:`\eta_{final}` at :math:`N - 1`. Past
    ``total_steps`` updates the rate stays at :math:`\eta_{final}` (torch raises).

    Parameters
    ----------
    total_steps : int or None, default=None
        :math:`N`; ``None`` is the whole run (``max_iter`` epochs' worth of
        updates, torch's ``epochs * steps_per_epoch``; inside a
        :class:`Sequential`, its piece).
    pct_start : float in [0, 1], default=0.3
        Fraction of the cycle spent increasing the rate.
    anneal_strategy : {"cos", "linear"}, default="cos"
    div_factor : float, default=25.0
    final_div_factor : float, default=1e4
    three_phase : bool, default=False

    Examples
    --------
    >>> from skopt_gd.schedules import OneCycle
    >>> sched = OneCycle(total_steps=10, pct_start=0.5, anneal_strategy="linear",
    ...                  div_factor=10.0, final_div_factor=1.0)
    >>> [round(sched.rate(t, 1.0), 3) for t in (1, 3, 5, 6, 8, 10, 11)]
    [0.1, 0.55, 1.0, 0.82, 0.46, 0.1, 0.1]
    """

    _parameter_constraints = {
        "total_steps": steps,
        "pct_start": [Interval(Real, 0, 1, closed="both")],
        "anneal_strategy": [StrOptions({"cos", "linear"})],
        "div_factor": [positive],
        "final_div_factor": [positive],
        "three_phase": ["boolean"],
    }
    _codes = {"anneal_strategy": {"linear": 0.0, "cos": 1.0}}

    def __init__(self, total_steps=None, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.three_phase = three_phase

    @staticmethod
    def lr(h, t, eta0):
        n, cos = h.total_steps, h.anneal_strategy
        e = min(t - 1.0, n - 1.0)
        initial = eta0 / h.div_factor
        final = initial / h.final_div_factor
        up = h.pct_start * n - 1.0  # a phase of no length is skipped (torch divides by 0)
        if e <= up and up > 0.0:
            return _anneal(initial, eta0, e / up, cos)
        if h.three_phase != 0.0:
            down = 2.0 * h.pct_start * n - 2.0
            if e <= down and down > up:
                return _anneal(eta0, initial, (e - up) / (down - up), cos)
            return _anneal(initial, final, (e - down) / (n - 1.0 - down), cos)
        return _anneal(eta0, final, (e - up) / (n - 1.0 - up), cos)

    def _defaults(self):
        return {"total_steps": run_length}


class Cyclic(Schedule):
    r"""Cyclical rates (Smith 2017): ``torch.optim.lr_scheduler.CyclicLR``; ``eta0`` is
    ``base_lr``.

    With :math:`e = t - 1`, :math:`u` = ``step_size_up``, :math:`d` =
    ``step_size_down``, :math:`c = \lfloor 1 + e / (u + d) \rfloor` (the cycle) and
    :math:`x = 1 + e/(u + d) - c`, :math:`r = u / (u + d)`:

    .. math::
        \eta_t = \eta_0 + (\eta_{max} - \eta_0)\, s(x)\, g, \qquad
        s(x) = \begin{cases} x / r & x \le r \\ (x - 1)/(r - 1) & \text{else} \end{cases}

    with :math:`g = 1` (``"triangular"``), :math:`2^{-(c - 1)}` (``"triangular2"``)
    or :math:`\gamma^{e}` (``"exp_range"``).

    Parameters
    ----------
    max_lr : float or None, default=None
        :math:`\eta_{max}`, the other end of the cycle; ``None`` is ``10 * eta0``
        (torch has no default).
    step_size_up : int or None, default=None
        Updates from :math:`\eta_0` up to :math:`\eta_{max}`; ``None`` is four
        epochs' worth (Smith: 2 to 10 epochs).
    step_size_down : int or None, default=None
        Updates back down; ``None`` is ``step_size_up``.
    mode : {"triangular", "triangular2", "exp_range"}, default="triangular"
    gamma : float in (0, 1], default=1.0
        Decay of ``"exp_range"`` per update.

    Examples
    --------
    >>> from skopt_gd.schedules import Cyclic
    >>> sched = Cyclic(max_lr=3.0, step_size_up=2, mode="triangular2")
    >>> [sched.rate(t, 1.0) for t in range(1, 10)]
    [1.0, 2.0, 3.0, 2.0, 1.0, 1.5, 2.0, 1.5, 1.0]
    """

    _parameter_constraints = {
        "max_lr": [positive, None], "step_size_up": steps, "step_size_down": steps,
        "mode": [StrOptions({"triangular", "triangular2", "exp_range"})], "gamma": [unit],
    }
    _codes = {"mode": {"triangular": 0.0, "triangular2": 1.0, "exp_range": 2.0}}

    def __init__(self, max_lr=None, step_size_up=None, step_size_down=None,
                 mode="triangular", gamma=1.0):
        self.max_lr = max_lr
        self.step_size_up = step_size_up
        self.step_size_down = step_size_down
        self.mode = mode
        self.gamma = gamma

    @staticmethod
    def lr(h, t, eta0):
        e = t - 1.0
        size = h.step_size_up + h.step_size_down
        ratio = h.step_size_up / size
        cycle = math.floor(1.0 + e / size)
        x = 1.0 + e / size - cycle
        scale = x / ratio if x <= ratio else (x - 1.0) / (ratio - 1.0)
        height = (h.max_lr - eta0) * scale
        if h.mode == 0.0:
            return eta0 + height
        if h.mode == 1.0:
            return eta0 + height * (1.0 / 2.0 ** (cycle - 1.0))
        return eta0 + height * h.gamma ** e

    def _float(self, name):
        if name == "step_size_down" and self.step_size_down is None:
            name = "step_size_up"  # torch's default, bound or not
        return super()._float(name)

    def _defaults(self):
        def up(context):
            return 4 * context["updates_per_epoch"]
        return {"max_lr": lambda c: 10.0 * c["eta0"], "step_size_up": up,
                "step_size_down": lambda c: self.step_size_up or up(c)}
