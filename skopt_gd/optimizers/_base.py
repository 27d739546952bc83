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

Three optional hooks let a rule read more than its gradient (each has a default
on :class:`Optimizer` that leaves the rules above untouched):

``point(h, bufs, j, w) -> y_j``
    where coordinate ``j``'s gradient is taken, from the exposed parameter ``w``
    and the state (default ``w``). Schedule-free methods expose the average
    ``x`` and take the gradient at ``y = beta x + (1 - beta) z``. The engine
    keeps ``theta`` = the exposed point everywhere (``coef_``, averaging, early
    stopping, the divergence guard and warm starts all see it) and computes the
    gradient point into a scratch vector before each batch, before the
    preconditioner's ``forward``; the L2 gradient, the batch objective and the
    loss curve are taken there too.
``move(h, c, bufs, j, w, g, eta) -> (new w, prox)``
    the coordinate's new value (default ``w - eta * direction`` of ``coord``). A
    rule whose parameters are not moved by ``eta`` times a direction (the
    schedule-free average ``x``, which moves even when its rate does not
    multiply anything) returns the value itself, so no division by ``eta`` is
    needed and the reference's arithmetic is kept to the last bit.
``reduce(h, c, bufs, j, w, g) -> (r0, r1)`` and ``finish(h, scal, c, r0, r1) -> c``
    a first pass over all coordinates (coefficients and intercepts) before any
    of them moves: the engine sums ``reduce``'s two terms and ``finish`` turns the
    sums into the scalars of the second pass (Prodigy's global dot products and
    its step size ``d``, updated between the moment update and the step).

A state buffer whose ``initial`` value is :data:`PARAMS` starts as the parameters
``init_state`` is given (the starting point: Prodigy's ``p0``, schedule-free's
``z``). :meth:`Optimizer.update` (new parameters from the old ones) is the
Python-facing call of the whole protocol; :meth:`Optimizer.step` (a direction) is
kept for the rules that need neither the parameters nor ``move``.

A user-defined optimizer may instead override ``init_state`` /
``step(grad, state, t)`` / ``prox_scale`` in plain numpy: it then trains on the
Python loop (slower), and is not given the rate.

An optimizer whose prox multiplier has no meaning as a metric (sign-based rules:
the step does not shrink with the gradient, so the soft-threshold's fixed points
are not the Lasso's) sets ``l1_prox = False``: the estimators then refuse a
penalty with an L1 part (:meth:`Optimizer.check_l1`).
"""

import math
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._jit import Compiled, driver, hook, kernel, runs_compiled, shrink, switched
from .._params import ParamObject, validate_params_once
from .._penalties import smooth_gradient, sum_terms

_unit = Interval(Real, 0, 1, closed="left")
_positive = Interval(Real, 0, None, closed="neither")
_nonneg = Interval(Real, 0, None, closed="left")

PARAMS = "<params>"
"""``initial`` value of a buffer that starts as the parameters given to ``init_state``."""


@hook
def begin(h, scal, t, eta):
    """Per-update scalars of the optimizer owning ``h`` (its ``begin``)."""


@hook
def coord(h, c, bufs, j, g):
    """Direction and prox multiplier of one coordinate (the owner's ``coord``)."""


@hook
def move(h, c, bufs, j, w, g, eta):
    """New value and prox multiplier of one coordinate (the owner's ``move``)."""


@hook
def point(h, bufs, j, w):
    """Where coordinate ``j``'s gradient is taken (the owner's ``point``)."""


@hook
def reduce(h, c, bufs, j, w, g):
    """One coordinate's terms of the two sums of the first pass (the owner's ``reduce``)."""


@hook
def finish(h, scal, c, r0, r1):
    """The second pass's scalars from the first pass's sums (the owner's ``finish``)."""


@kernel
def _reduce(h, c, bufs, grad, src, theta, l2, lo, hi, sums):
    """``reduce`` over coordinates ``lo:hi`` (gradient plus the L2 part at ``src``)."""
    r0, r1 = sums
    for j in range(lo, hi):
        x0, x1 = reduce(h, c, bufs, j, theta[j], grad[j] + smooth_gradient(src[j], l2))
        r0, r1 = r0 + x0, r1 + x1
    return r0, r1


@kernel
def _move(h, c, bufs, grad, src, theta, eta, l1, l2, l1w, k, lo, hi, prox):
    """``move`` coordinates ``lo:hi``, then the L1 prox (threshold ``eta l1 l1w[j // k]``
    times the multiplier); zeroes ``grad`` for the next batch and returns the new
    coordinates' ``sum |w|`` and ``sum w^2``."""
    a, b = 0.0, 0.0
    for j in range(lo, hi):
        w, px = move(h, c, bufs, j, theta[j], grad[j] + smooth_gradient(src[j], l2), eta)
        if l1 != 0.0:
            w = shrink(w, eta * l1 * l1w[j // k] * px)
        theta[j] = w
        grad[j] = 0.0
        prox[j] = px
        a, b = sum_terms(a, b, w)
    return a, b


@switched(over="begin")
def update(h, scal, bufs, t, eta, grad, src, theta, l1, l2, l1w, k, nc, prox, reduces):
    """Update ``t`` of all coordinates of ``theta`` (coefficients ``:nc``, then the
    unpenalised intercepts): ``begin``, the ``reduce`` / ``finish`` pass where the rule
    has one (``reduces``), then ``move`` and the L1 prox. The L2 gradient ``l2 src`` is
    added at the gradient point ``src``. Returns the coefficients' ``sum |w|`` and
    ``sum w^2``. The compiled engine and :meth:`Optimizer.update` both run this."""
    c = begin(h, scal, t, eta)
    if reduces:
        sums = _reduce(h, c, bufs, grad, src, theta, l2, 0, nc, (0.0, 0.0))
        sums = _reduce(h, c, bufs, grad, src, theta, 0.0, nc, theta.shape[0], sums)
        c = finish(h, scal, c, sums[0], sums[1])
    a, b = _move(h, c, bufs, grad, src, theta, eta, l1, l2, l1w, k, 0, nc, prox)
    _move(h, c, bufs, grad, src, theta, eta, 0.0, 0.0, l1w, k, nc, theta.shape[0], prox)
    return a, b


@switched(over="begin")
def points(h, bufs, theta, out):
    """``out[j] = point(theta[j])`` for every coordinate."""
    for j in range(theta.shape[0]):
        out[j] = point(h, bufs, j, theta[j])


@driver
def _run_step(h, scal, bufs, grad, out, prox, t, eta):
    c = begin(h, scal, t, eta)
    for j in range(grad.shape[0]):
        out[j], prox[j] = coord(h, c, bufs, j, grad[j])


@driver
def _run_update(h, scal, bufs, grad, theta, prox, t, eta, reduces):
    ones = np.ones(1)
    update(h, scal, bufs, t, eta, grad, theta, theta, 0.0, 0.0, ones, theta.shape[0],
           theta.shape[0], prox, reduces)


@driver
def _run_point(h, bufs, theta, out):
    points(h, bufs, theta, out)


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
    #: Why not, where ``l1_prox`` is False (the error message of ``check_l1``).
    l1_refusal = "is sign-based: its steps do not shrink with the gradient"

    #: ``eta0="auto"``: the rate of this optimizer in the preconditioned geometry
    #: (features and target standardized, curvature about 1); see ``auto_eta0``.
    auto_rate = 0.01

    #: ``learning_rate="auto"`` at full batch: ``"adaptive"`` for rules that keep
    #: moving by about their step length near the optimum (per-coordinate normalised
    #: steps, sign steps, Prodigy's growing estimate): only a falling rate lets them
    #: settle. ``"constant"`` for rules that converge at a fixed rate (gradient steps of
    #: ``1 / L``; the schedule-free average), where the ladder's reductions after
    #: convergence would only add epochs. Mini-batches always get ``"adaptive"``.
    full_batch_schedule = "adaptive"
    #: ``eta0="auto"`` of a fit whose ``learning_rate="auto"`` runs to its horizon
    #: (``full_batch_schedule = "cosine"``, full batch: ``_base.runs_to_horizon``); ``None``
    #: is ``auto_eta0``'s. A rate the cosine decay starts from, so larger than the one an
    #: open-ended schedule settles at: the decay's tail does the settling.
    horizon_rate = None
    #: Whether a converged log-loss fit at the package's own settings goes on in a
    #: parametrization whitened at its fitted point (``BaseSGD._refine``), restarting
    #: this rule there. ``False`` where that measured no better on the real-data panel's
    #: classification sets and only added epochs: Rprop (which passes without it), and
    #: the rules whose state carries the scale learnt so far (Adagrad's sum of squared
    #: gradients, Prodigy's distance estimate ``d``, which a restart sets back to ``d0``).
    refine_on_plateau = True

    @classmethod
    def compiled(cls):
        """Whether this class trains in the compiled engine (it defines ``begin`` and
        ``coord`` or ``move``, and keeps the base's state layout)."""
        return (hasattr(cls, "begin") and (hasattr(cls, "coord") or cls.move is not Optimizer.move)
                and cls.step is Optimizer.step and cls.init_state is Optimizer.init_state)

    @classmethod
    def phases(cls):
        """``(shifts, reduces)``: whether the class has its own ``point`` (the gradient is
        taken away from the exposed parameters) and its own ``reduce`` pass."""
        return cls.point is not Optimizer.point, cls.reduce is not Optimizer.reduce

    # ---- the optional hooks' defaults (see the module docstring) ----
    @staticmethod
    def move(h, c, bufs, j, w, g, eta):
        direction, px = coord(h, c, bufs, j, g)
        return w - eta * direction, px

    @staticmethod
    def point(h, bufs, j, w):
        return w

    @staticmethod
    def reduce(h, c, bufs, j, w, g):
        return 0.0, 0.0

    @staticmethod
    def finish(h, scal, c, r0, r1):
        return c

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
                f"optimizer={self!r} {self.l1_refusal}, so the L1 proximal step has no "
                f"exact-zero guarantee with it. Got an L1 part of strength {l1!r}; use "
                "penalty='l2' or None, or an optimizer such as 'adam' or 'sgd' for L1 / "
                "elastic-net penalties.")

    def init_state(self, params):
        """The state for parameters shaped like ``params``: ``buffers`` (one row of
        ``params.size`` per buffer name), ``scalars`` and the last ``prox`` multipliers."""
        size = np.asarray(params).size
        bufs = np.zeros((max(len(self.buffers), 1), size))
        scal = np.zeros(max(len(self.scalars), 1))
        for b, name in enumerate(self.buffers):
            value = self.initial.get(name, 0.0)
            bufs[b] = np.asarray(params).reshape(-1) if value == PARAMS else self._initial(name)
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
        if not hasattr(type(self), "coord") or any(self.phases()):
            raise TypeError(f"{type(self).__name__} reads the parameters: call "
                            "update(params, grad, state, t, eta), not step.")
        g = np.ascontiguousarray(grad, dtype=np.float64).reshape(-1)
        out = np.empty_like(g)
        _run_step(self.packed(), state["scalars"], state["buffers"], g, out, state["prox"], t,
                  float(eta))
        return out.reshape(np.shape(grad))

    def update(self, params, grad, state, t, eta=1.0):
        """The parameters after update ``t`` (1-based) with gradient ``grad`` (taken at
        ``gradient_point(params, state)``) and rate ``eta``; advances ``state`` in
        place. For a rule with a ``coord`` this is ``params - eta * step(...)``."""
        g = np.array(grad, dtype=np.float64).reshape(-1)
        theta = np.array(params, dtype=np.float64).reshape(-1)
        _run_update(self.packed(), state["scalars"], state["buffers"], g, theta,
                    state["prox"], t, float(eta), self.phases()[1])
        return theta.reshape(np.shape(params))

    def gradient_point(self, params, state):
        """Where the next gradient is taken: ``params`` itself unless the class has a
        ``point`` hook (schedule-free: ``y``)."""
        if not self.phases()[0]:
            return params
        theta = np.ascontiguousarray(params, dtype=np.float64).reshape(-1)
        out = np.empty_like(theta)
        _run_point(self.packed(), state["buffers"], theta, out)
        return out.reshape(np.shape(params)).astype(np.asarray(params).dtype, copy=False)

    def prox_scale(self, state, t):
        """Per-coordinate step multiplier of the last ``step`` (for the L1 prox); 1 for a
        Python optimizer whose state keeps none."""
        return state["prox"] if "prox" in state else 1.0

    @classmethod
    def buffer(cls, state, name):
        """The state buffer ``name`` (torch's name) as a flat array view."""
        return state["buffers"][cls.buffers.index(name)]


def _protocol(optimizer):
    return runs_compiled(optimizer)


def advance(optimizer, params, grad, state, t, eta):
    """The parameters after one update, as the Python loop makes it: ``update`` for the
    package's protocol, ``params - eta * step(grad, state, t)`` for a user-defined
    ``step``."""
    if _protocol(optimizer):
        return optimizer.update(params, grad, state, t, eta).astype(params.dtype, copy=False)
    params -= eta * optimizer.step(grad, state, t)
    return params


def where_gradient(optimizer, params, state):
    """Where the Python loop takes the gradient (``params`` for a user-defined rule)."""
    return optimizer.gradient_point(params, state) if _protocol(optimizer) else params


@kernel
def sign(x):
    """``sign(x)``: -1, 0 or 1, and NaN for NaN (torch's ``sign``). One comparison and a
    select, not a branch: the signs of a stochastic gradient's coordinates change
    unpredictably, and the two comparisons this once was cost Lion's per-sample epoch
    38 ms against 21 ms this way (20,000 x 100)."""
    return math.copysign(1.0, x) if abs(x) > 0.0 else x
