"""Rprop: sign-based steps with per-coordinate adapted lengths (``torch.optim.Rprop``)."""

from numbers import Real

from sklearn.utils._param_validation import Interval

from ._base import Optimizer, _nonneg, _positive, sign


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller & Braun 1993), as ``torch.optim.Rprop``.

    Each coordinate has a step length :math:`s` (torch's ``step_size``), set to
    the first update's rate :math:`\eta_1` (torch's ``lr``) and then adapted by
    the sign agreement of successive gradients:

    .. math::
        f_t = \begin{cases} \eta_+ & g_t g_{t-1}' > 0 \\ \eta_- & g_t g_{t-1}' < 0
        \\ 1 & \text{otherwise} \end{cases}, \quad
        s_t = \operatorname{clip}(s_{t-1} f_t, s_{\min}, s_{\max}),

    .. math::
        g_t' = 0 \text{ if } f_t = \eta_- \text{ else } g_t, \qquad
        \theta_t = \theta_{t-1} - \frac{\eta_t}{\eta_1} \operatorname{sign}(g_t') s_t

    With a constant rate :math:`\eta_t = \eta_1` this is torch's update exactly;
    a schedule scales the adapted steps by :math:`\eta_t / \eta_1` (torch reads
    ``lr`` only when it initialises ``step_size``, so there a schedule does
    nothing). Sign-based: no L1 penalty (:attr:`l1_prox` is False).

    Parameters
    ----------
    etaminus, etaplus : float, default=0.5, 1.2
        Step-length factors on a sign change (in (0, 1)) and on agreement (> 1).
    step_min, step_max : float, default=1e-6, 50.0
        Bounds of the step lengths, in the units of the optimizer's parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from skopt_gd.optimizers import Rprop
    >>> opt = Rprop()
    >>> state = opt.init_state(np.zeros(1))
    >>> [round(float(opt.step(np.array([g]), state, t, eta=0.1)[0] * 0.1), 4)
    ...  for t, g in enumerate([2.0, 3.0, -1.0, -1.0], start=1)]
    [0.1, 0.12, 0.0, -0.06]
    """

    refine_on_plateau = False  # see Optimizer.refine_on_plateau

    auto_rate = 0.01
    l1_prox = False
    _parameter_constraints = {
        "etaminus": [Interval(Real, 0, 1, closed="neither")],
        "etaplus": [Interval(Real, 1, None, closed="neither")],
        "step_min": [_nonneg], "step_max": [_positive],
    }
    buffers = ("prev", "step_size")
    scalars = ("lr",)  # eta_1, the rate the step lengths started at (0: not yet)

    def __init__(self, etaminus=0.5, etaplus=1.2, step_min=1e-6, step_max=50.0):
        self.etaminus = etaminus
        self.etaplus = etaplus
        self.step_min = step_min
        self.step_max = step_max

    def validate(self):
        super().validate()
        if self.step_min > self.step_max:
            raise ValueError(f"Rprop requires step_min <= step_max, got step_min="
                             f"{self.step_min!r}, step_max={self.step_max!r}.")

    @staticmethod
    def begin(h, scal, t, eta):
        first = 0.0
        if scal[0] == 0.0 and eta > 0.0:
            scal[0], first = eta, 1.0
        return first, scal[0], 1.0 / scal[0] if scal[0] > 0.0 else 0.0

    @staticmethod
    def coord(h, c, bufs, j, g):
        if c[0] != 0.0:
            bufs[1, j] = c[1]
        # arithmetic, not branches, on the signs: they change unpredictably per coordinate
        agree = g * bufs[0, j]
        up, down = (agree > 0.0) * 1.0, (agree < 0.0) * 1.0
        factor = 1.0 + up * (h.etaplus - 1.0) + down * (h.etaminus - 1.0)
        step = min(max(bufs[1, j] * factor, h.step_min), h.step_max)
        bufs[1, j] = step
        g = 0.0 if down != 0.0 else g
        bufs[0, j] = g
        return sign(g) * step * c[2], 1.0  # c[2] = 1 / eta_1, 0 before a positive rate
