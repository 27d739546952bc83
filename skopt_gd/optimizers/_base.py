"""The optimizer protocol, and how one class's formula serves every code path.

An optimizer is a parameter object (hyperparameters only). Its update rule is
written once, as two static methods in numba's subset of Python:

``begin(h, scal, t, eta) -> c``
    the per-update scalars of update ``t`` (bias corrections, momentum
    schedules, ...), a tuple of three floats; may advance the scalar state
    ``scal`` (a float array named by ``scalars``). ``eta`` is the rate
    ``eta_t`` the direction will be multiplied by. Most rules ignore it: their
    direction is learning-rate free. A rule whose state is a step length in
    the parameters' own units (Rprop's step sizes, which torch initialises to
    ``lr``) reads it, and returns a direction that the loop's
    ``theta -= eta_t * direction`` turns into that step.
``coord(h, c, bufs, j, g) -> (direction, prox)``
    coordinate ``j``'s lr-free direction for gradient ``g`` and its step
    multiplier at a stationary point (what the L1 proximal step scales by);
    updates the state buffers ``bufs[:, j]`` (one row per name in ``buffers``).

``h`` is the class's ``Hyper`` tuple (``_jit.Compiled``). The compiled engine
inlines these through the hooks below; :meth:`Optimizer.step` runs them through
a small compiled driver, so a direct call and a training run are the same code.

A user-defined optimizer may instead override ``init_state`` /
``step(grad, state, t)`` / ``prox_scale`` in plain numpy: it then trains on the
Python loop (slower), and is not given the rate.

An optimizer whose prox multiplier has no meaning as a metric (sign-based rules:
the step does not shrink with the gradient, so the soft-threshold's fixed points
are not the Lasso's) sets ``l1_prox = False``: the estimators then refuse a
penalty with an L1 part (:meth:`Optimizer.check_l1`).
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._jit import Compiled, driver, hook, kernel
from .._params import ParamObject, validate_params_once

_unit = Interval(Real, 0, 1, closed="left")
_positive = Interval(Real, 0, None, closed="neither")
_nonneg = Interval(Real, 0, None, closed="left")


@hook
def begin(h, scal, t, eta):
    """Per-update scalars of the optimizer owning ``h`` (its ``begin``)."""


@hook
def coord(h, c, bufs, j, g):
    """Direction and prox multiplier of one coordinate (the owner's ``coord``)."""


@driver
def _run_step(h, scal, bufs, grad, out, prox, t, eta):
    c = begin(h, scal, t, eta)
    for j in range(grad.shape[0]):
        out[j], prox[j] = coord(h, c, bufs, j, grad[j])


class Optimizer(Compiled, ParamObject):
    """Base class: hyperparameters only; the caller owns the state.

    Subclasses set ``buffers`` (per-coordinate state, torch's names) and
    ``scalars`` (scalar state) and define ``begin`` / ``coord``; ``initial``
    gives the starting value of a buffer or scalar where it is not 0.
    """

    _parameter_constraints: dict = {}
    buffers: tuple = ()
    scalars: tuple = ()
    initial: dict = {}

    #: Whether the L1 proximal step scaled by ``coord``'s prox multiplier keeps the
    #: Lasso's exact zeros at this rule's fixed points (False: sign-based rules).
    l1_prox = True

    #: ``eta0="auto"``: the rate of this optimizer in the preconditioned geometry
    #: (features and target standardized, curvature about 1); see ``auto_eta0``.
    auto_rate = 0.01

    @classmethod
    def compiled(cls):
        """Whether this class trains in the compiled engine (it defines ``coord`` and
        keeps the base's state layout)."""
        return (hasattr(cls, "coord") and cls.step is Optimizer.step
                and cls.init_state is Optimizer.init_state)

    def auto_eta0(self, lipschitz):
        """The learning rate ``eta0="auto"`` stands for.

        Adaptive optimizers normalise their steps per coordinate, so their rate is
        a step length in the preconditioned units (``auto_rate``, whatever the
        curvature); plain and momentum SGD override this with ``1 / L``.
        ``lipschitz`` is the smoothness of a batch gradient in those units.
        """
        return self.auto_rate

    def plain_gradient(self):
        """Whether every direction is the gradient itself with prox multiplier 1 (plain
        SGD): the engine may then apply an L2 shrinkage as one scale factor."""
        return False

    def validate(self):
        """Check the hyperparameters; raise ``ValueError`` naming the bad one."""
        validate_params_once(self)

    def check_l1(self, l1):
        """Raise ``ValueError`` if the penalty has an L1 part (strength ``l1 > 0``)
        that this rule cannot apply exactly (``l1_prox`` False)."""
        if l1 > 0 and not self.l1_prox:
            raise ValueError(
                f"optimizer={self!r} is sign-based: its steps do not shrink with the "
                "gradient, so the L1 proximal step has no exact-zero guarantee with it. "
                f"Got an L1 part of strength {l1!r}; use penalty='l2' or None, or an "
                "optimizer such as 'adam' or 'sgd' for L1 / elastic-net penalties.")

    def init_state(self, params):
        """The state for parameters shaped like ``params``: ``buffers`` (one row of
        ``params.size`` per buffer name), ``scalars`` and the last ``prox`` multipliers."""
        size = np.asarray(params).size
        bufs = np.zeros((max(len(self.buffers), 1), size))
        scal = np.zeros(max(len(self.scalars), 1))
        for b, name in enumerate(self.buffers):
            bufs[b] = self._initial(name)
        for s, name in enumerate(self.scalars):
            scal[s] = self._initial(name)
        return {"buffers": bufs, "scalars": scal, "prox": np.ones(size)}

    def _initial(self, name):
        value = self.initial.get(name, 0.0)
        return getattr(self, value) if isinstance(value, str) else value

    def step(self, grad, state, t, eta=1.0):
        """The update direction for gradient ``grad`` at update ``t`` (1-based) and rate
        ``eta`` (the loop then subtracts ``eta * direction``; only rules with steps in
        the parameters' units read it); advances ``state`` in place."""
        g = np.ascontiguousarray(grad, dtype=np.float64).reshape(-1)
        out = np.empty_like(g)
        _run_step(self.packed(), state["scalars"], state["buffers"], g, out, state["prox"], t,
                  float(eta))
        return out.reshape(np.shape(grad))

    def prox_scale(self, state, t):
        """Per-coordinate step multiplier of the last ``step`` (for the L1 prox); 1 for a
        Python optimizer whose state keeps none."""
        return state["prox"] if "prox" in state else 1.0

    @classmethod
    def buffer(cls, state, name):
        """The state buffer ``name`` (torch's name) as a flat array view."""
        return state["buffers"][cls.buffers.index(name)]


def direction(optimizer, grad, state, t, eta):
    """``optimizer.step`` as the Python loop calls it: with the rate for the package's
    protocol, without it for a user-defined ``step(grad, state, t)``."""
    if getattr(type(optimizer), "compiled", lambda: False)():
        return optimizer.step(grad, state, t, eta)
    return optimizer.step(grad, state, t)


@kernel
def sign(x):
    """``sign(x)``: -1, 0 or 1, and NaN for NaN (torch's ``sign``)."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else x)
