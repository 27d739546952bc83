"""The one training loop: batching, update, proximal step, averaging, stopping.

Nothing here branches on an optimizer, schedule or penalty name: those are
resolved to objects before the loop starts (see ``_base.py``).

Per update ``t``: ``theta' = precond.forward(optimizer.gradient_point(phi))`` (the
point is ``phi`` itself except for rules with a ``point`` hook, schedule-free's ``y``)
-> the unbiased estimate of the mean loss gradient over the batch at ``theta'``
(``sum_B s_i grad_i / (|B| s_bar)``), plus the penalty's smooth gradient -> pulled
back to ``phi`` -> ``phi = optimizer.update(phi, grad, state, t, eta_t)``
(``phi - eta_t * direction`` for a rule with a direction) -> L1 proximal step ->
averaging. ``phi`` is the optimizer's parametrization (``_precondition.py``;
``theta`` itself with ``preconditioning=None``) and always the exposed point.

``phi`` and ``theta`` pack the parameters as one ``(n_features [+ 1], n_outputs)``
array, the intercept in the last row, so every optimizer treats coefficients and
intercept alike while the penalty only touches the coefficient rows.
"""

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from . import _kernels
from ._jit import runs_compiled
from ._precondition import row_blocks
from ._validation import ConvergenceWarning, warn
from .optimizers._base import advance, where_gradient

# An epoch objective this many times above the objective at theta = 0 is a
# blow-up, not a fit (see issue notes: SGDRegressor returns 1e11-1e16 coefs).
DIVERGENCE_FACTOR = 1e4
# The parameters a fit returns may not be worse than this many times the zero
# model: no legitimate fit ends there (partial_fit keeps DIVERGENCE_FACTOR, as a
# small chunk's zero-model objective can be near 0).
FINAL_FACTOR = 10.0


@dataclass
class Problem:
    """Data and objective of one fit, already validated and encoded."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray
    loss: object
    penalty: object
    fit_intercept: bool
    weight_mean: float = 0.0  # s_bar of the unbiased batch gradient; 0: the batch's mean

    @property
    def n_samples(self):
        return self.X.shape[0]

    def raw(self, X, theta):
        d = X.shape[1]
        out = X @ theta[:d]
        if self.fit_intercept:
            out += theta[d]
        return np.asarray(out)

    def batch_value_and_grad(self, idx, theta):
        """Weighted loss sum and mean gradient over rows ``idx`` (slice or array).

        Dense rows go in cache-sized blocks: each block is multiplied by
        ``theta`` and then by its loss gradient while still in cache, so a full
        batch reads X from memory once instead of twice. All rows at once (full
        batch) go to one compiled, threaded pass when ``_kernels`` has one.
        """
        if _all_rows(idx, self.n_samples):
            fast = _kernels.full_value_and_grad(self, theta)
            if fast is not None:
                return fast
        Xb, Yb, sb = (_take(A, idx) for A in (self.X, self.Y, self.sample_weight))
        total = sb.sum()
        if total <= 0:
            return 0.0, total, None
        divisor = batch_divisor(int(np.count_nonzero(sb)), self.weight_mean, total)
        grad = np.zeros_like(theta)
        value = 0.0
        for rows in _blocks(Xb):
            value += self._accumulate(*(_take(A, rows) for A in (Xb, Yb, sb)), divisor, theta,
                                      grad)
        return value, total, grad

    def _accumulate(self, Xb, Yb, sb, divisor, theta, grad):
        """Add the rows' share of the mean gradient to ``grad``; return their loss sum."""
        raw = self.raw(Xb, theta)
        value = float(self.loss.value(raw, Yb) @ sb)
        G = self.loss.gradient(raw, Yb)
        G *= (sb / divisor)[:, None]
        d = Xb.shape[1]
        grad[:d] += Xb.T @ G
        if self.fit_intercept:
            grad[d] += G.sum(axis=0)
        return value

    def objective(self, theta, X=None, Y=None, sample_weight=None):
        """The documented objective ``J`` on (by default) the training data."""
        if X is None and Y is None and sample_weight is None:
            fast = _kernels.full_value_and_grad(self, theta, want_grad=False)
            if fast is not None:
                return fast[0] / fast[1] + self.penalty.value(theta)
        X = self.X if X is None else X
        Y = self.Y if Y is None else Y
        s = self.sample_weight if sample_weight is None else sample_weight
        data = sum(float(self.loss.value(self.raw(_take(X, rows), theta), Y[rows]) @ s[rows])
                   for rows in _blocks(X))  # in blocks: no n-sized temporaries
        return data / s.sum() + self.penalty.value(theta)


def batch_divisor(n_rows, weight_mean, total):
    """``_kernels.batch_divisor`` (the unbiased convention of API.md), for the Python loop."""
    return _kernels.batch_divisor(int(n_rows), float(weight_mean), float(total))


BLOCK_BYTES = 1 << 22  # dense rows per block of the gradient: about 4 MiB (cache-resident)


def _blocks(X):
    """Row slices of about ``BLOCK_BYTES`` of dense X (one slice for sparse X)."""
    return row_blocks(X, BLOCK_BYTES)


def _all_rows(idx, n):
    return isinstance(idx, slice) and idx.indices(n) == (0, n, 1)


def _take(A, idx):
    """``A[idx]``, without the copy scipy makes of a sparse matrix for all its rows."""
    return A if _all_rows(idx, A.shape[0]) else A[idx]


@dataclass
class Plan:
    """Resolved components and loop settings."""

    optimizer: object
    schedule: object
    batch_size: int
    shuffle: bool
    average: int
    tol: float
    n_iter_no_change: int
    verbose: int
    rng: np.random.RandomState
    score: object = None  # callable(theta) -> validation score, for early stopping
    # callable(epoch, objective in user units, state) -> True to stop after this epoch
    # (scikit-learn callbacks); the epochs then run one compiled call each
    on_epoch: object = None
    on_epoch_begin: object = None  # callable(epoch, state) before each epoch, with on_epoch
    # how ``train`` ended: "converged" (the stopping rule), "requested" (a callback) or
    # "max_iter"; set by ``train``
    outcome: str = None
    # epochs this fit ran before this call of ``train`` (a re-learnt preconditioner's
    # stage, ``BaseSGD._refine``): callbacks, verbose lines and errors count from there
    epoch_offset: int = 0


@dataclass
class State:
    """Everything that carries over between ``partial_fit`` calls."""

    theta: np.ndarray  # phi: the optimizer's parameters (see _precondition.py)
    opt_state: dict
    eta_base: float  # current base rate (eta0, times the adaptive reductions so far)
    eta0: float = None  # the (resolved) eta0 that eta_base derives from
    precond: object = None  # the Preconditioner of the first call
    t: int = 0
    samples_seen: float = 0
    avg_theta: np.ndarray = None
    n_avg: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)

    def copy(self):
        return copy.deepcopy(self)

    def rebase(self, eta0):
        """Follow a changed ``eta0`` (set_params between calls), keeping reductions."""
        if self.eta0 is not None and self.eta0 != eta0:
            self.eta_base *= eta0 / self.eta0
        self.eta0 = eta0

    def coefficients(self, penalty):
        """The parameters to expose, in phi: averaged (on the current L1 support) or last."""
        if self.avg_theta is None or self.n_avg == 0:
            return self.theta.copy()
        avg = self.avg_theta.copy()
        if penalty.l1:
            n = penalty.n_coef
            avg[:n] *= self.theta[:n] != 0
        return avg


def epoch_order(n, batch_size, shuffle, rng):
    """Row order of one epoch: a fresh permutation when shuffling mini-batches, else None.

    A full batch needs no order (its gradient is a sum), so it neither draws
    from ``rng`` nor copies X. The permutation is ``rng.permutation(n)``'s
    (``_kernels.permutation``: compiled, int32 where it fits).
    """
    if not shuffle or batch_size >= n:
        return None
    return _kernels.permutation(n, rng)


def batches(n, batch_size, order):
    """Row selections of one epoch: slices in order, or sorted index arrays of ``order``."""
    if order is not None:
        return [np.sort(order[i:i + batch_size]) for i in range(0, n, batch_size)]
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def _update(problem, plan, st, idx, epoch):
    """One update on rows ``idx``; returns the batch's weighted objective sum."""
    pre = st.precond
    theta = pre.forward(where_gradient(plan.optimizer, st.theta, st.opt_state))
    value, total, grad = problem.batch_value_and_grad(idx, theta)
    if grad is None:  # all weights zero: the batch carries no information
        return 0.0
    if not np.isfinite(value):
        _diverged(epoch, value, plan)
    if problem.penalty.active:  # the batch objective at the parameters it used
        value += total * problem.penalty.value(theta)
    st.t += 1
    grad = pre.pullback(problem.penalty.add_gradient(theta, grad))
    eta = plan.schedule.rate(st.t, st.eta_base)
    st.theta = advance(plan.optimizer, st.theta, grad, st.opt_state, st.t, eta)
    if problem.penalty.l1:
        scale = np.asarray(plan.optimizer.prox_scale(st.opt_state, st.t), dtype=np.float64)
        if scale.size == st.theta.size:
            scale = scale.reshape(st.theta.shape)
        problem.penalty.prox(st.theta, eta, scale * pre.prox_weights())
    st.samples_seen += _count(idx, problem.n_samples)
    if plan.average and st.samples_seen >= plan.average:
        _average(st)
    return value


def _count(idx, n):
    return len(range(*idx.indices(n))) if isinstance(idx, slice) else len(idx)


def _average(st):
    if st.avg_theta is None or st.n_avg == 0:
        st.avg_theta = st.theta.copy()
        st.n_avg = 1
        return
    st.n_avg += 1
    st.avg_theta += (st.theta - st.avg_theta) / st.n_avg


def _diverged(epoch, value, plan):
    raise ValueError(
        f"Training diverged at epoch {epoch + plan.epoch_offset}: the objective reached {value:.3g}. "
        "Use a smaller eta0 or a decaying learning_rate, or scale the features "
        "(e.g. sklearn.preprocessing.StandardScaler)."
    )


def run_epoch(problem, plan, st, epoch):
    """One pass over the data in Python; returns the epoch objective.

    That is the weight-averaged objective (loss + penalty) of each batch at
    the parameters its update started from; for full batch, ``J(theta)``
    before the epoch's update. It serves what the compiled engine does not take
    (a Python optimizer, a Dask or Array API data term, full batches for BLAS).
    """
    n = problem.n_samples
    order = epoch_order(n, plan.batch_size, plan.shuffle, plan.rng)
    total = 0.0
    for idx in batches(n, plan.batch_size, order):
        total += _update(problem, plan, st, idx, epoch)
    return total / problem.sample_weight.sum()


class Stopper:
    """sklearn's no-improvement counter on the objective or the validation score
    (``_kernels.stop_update``, which the compiled fit runs too)."""

    def __init__(self, plan, start_best, unit=1.0):
        self.plan = plan
        tol = -1.0 if plan.tol is None else max(plan.tol * unit, 0.0)
        self.state = np.array([start_best, 0.0, tol])

    def update(self, value, higher_is_better):
        return bool(_kernels.stop_update(self.state, float(value),
                                         1.0 if higher_is_better else -1.0))

    @property
    def count(self):
        return int(self.state[1])

    @property
    def plateau(self):
        return self.state[1] >= self.plan.n_iter_no_change

    def restart(self):
        self.state[1] = 0.0


def _run_array(plan, problem, epochs, limit, stopper_in_kernel):
    run = np.zeros(8)
    run[_kernels.RUN_EPOCHS], run[_kernels.RUN_WEIGHT] = epochs, problem.sample_weight.sum()
    run[_kernels.RUN_LIMIT], run[_kernels.RUN_STOPPER] = limit, stopper_in_kernel
    run[_kernels.RUN_PATIENCE] = plan.n_iter_no_change
    return run


def _compiled_fit(problem, plan, st):
    """The compiled runner of this fit, or ``None`` (the Python loop runs)."""
    compiled = _kernels.epoch_runner(problem, plan, st.precond, st.theta.shape[1])
    if compiled is None or not compiled.can_shuffle(plan.rng):
        return None
    return compiled


def train(problem, plan, st, max_epochs, reference_objective, final_factor=FINAL_FACTOR):
    """Run up to ``max_epochs`` epochs on ``st`` (modified in place).

    Returns ``(n_epochs_run, best_theta)``; ``best_theta`` (in phi) is the exposed
    parameters of the best validation epoch with early stopping, else the
    final ones (averaged with ``average``). Raises ``ValueError`` on divergence,
    judged on the parameters the fit exposes. ``tol`` on the objective is relative
    to ``reference_objective`` (the objective where this call started, at most
    that of the zero model): stopping means converged, whatever the units.

    With the compiled engine and nothing for Python to do between epochs (no
    verbose lines, no validation score, a compiled schedule) the whole fit is one
    ``_kernels._fit`` call; else this loop runs the epochs one at a time.
    """
    higher = plan.score is not None
    floor = np.finfo(np.float64).tiny  # a unit-free floor: tiny targets diverge alike
    stopper = Stopper(plan, -np.inf if higher else np.inf,
                      1.0 if higher else max(reference_objective, floor))
    limit = DIVERGENCE_FACTOR * max(reference_objective, floor)
    compiled = _compiled_fit(problem, plan, st)
    whole = (compiled is not None and not higher and not plan.verbose
             and plan.on_epoch is None and plan.on_epoch_begin is None
             and runs_compiled(plan.schedule))
    result, plan.outcome = None, None
    if whole:
        curve = np.zeros(max_epochs)
        run = _run_array(plan, problem, max_epochs, limit, 1.0)
        result = compiled.run(st, max_epochs, plan.rng, run, stopper.state, curve)
    if result is not None:
        epoch, status, bad = result
        if status == _kernels.STATUS_DIVERGED:
            _diverged(epoch, bad, plan)
        st.loss_curve.extend(curve[:epoch].tolist())
        best_theta, converged = None, status == _kernels.STATUS_CONVERGED
    else:
        if whole:  # the kernel could not be compiled: the numpy loop
            compiled = None
        epoch, best_theta, converged = _epochs(problem, plan, st, max_epochs, stopper, limit,
                                               compiled)
    if plan.outcome != "requested":
        plan.outcome = "converged" if converged else "max_iter"
    if best_theta is None:
        best_theta = st.coefficients(problem.penalty)
    limit = final_factor * max(reference_objective, floor)
    _check_final(problem, plan, st.precond, st.theta, epoch, limit)  # the live iterate
    if not np.array_equal(best_theta, st.theta):  # and the exposed point, where it differs
        _check_final(problem, plan, st.precond, best_theta, epoch, limit)
    if plan.score is None and _rising(st.loss_curve, plan.n_iter_no_change, reference_objective):
        _diverged(epoch, st.loss_curve[-1], plan)
    if not converged and plan.tol is not None and max_epochs > 1:
        warn(f"Maximum number of iterations ({max_epochs}) reached and the optimization "
             "hasn't converged yet; consider increasing max_iter.", ConvergenceWarning)
    return epoch, best_theta


def _epochs(problem, plan, st, max_epochs, stopper, limit, compiled):
    """The epochs one at a time: ``(epochs run, best early-stopping point, converged)``."""
    higher = plan.score is not None
    best_theta, converged, epoch = None, False, 0
    curve = np.zeros(1)
    for epoch in range(1, max_epochs + 1):
        if plan.on_epoch_begin is not None:
            plan.on_epoch_begin(epoch + plan.epoch_offset, st)
        start = time.perf_counter()
        result = None
        if compiled is not None:
            run = _run_array(plan, problem, 1, limit, 0.0)
            result = compiled.run(st, 1, plan.rng, run, stopper.state, curve)
            compiled = compiled if result is not None else None
        if result is not None:
            if result[1] == _kernels.STATUS_DIVERGED:
                _diverged(epoch, result[2], plan)
            obj = curve[0]
        else:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                obj = run_epoch(problem, plan, st, epoch)
            if not obj <= limit:  # NaN or beyond: as _kernels._fit judges it
                _diverged(epoch, obj, plan)
        st.loss_curve.append(float(obj))
        value = obj
        if higher:
            value = plan.score(st.coefficients(problem.penalty))  # plan.score takes phi
            st.validation_scores.append(value)
        if stopper.update(value, higher) and higher:
            best_theta = st.coefficients(problem.penalty)
        _report(plan, epoch, obj, st, time.perf_counter() - start)
        if plan.on_epoch is not None and plan.on_epoch(
                epoch + plan.epoch_offset, obj * st.precond.objective_scale, st):
            converged = True  # stopped on request: not a convergence failure
            plan.outcome = "requested"
            break
        if stopper.plateau:
            new_rate = plan.schedule.on_plateau(st.eta_base)
            if new_rate is None:
                converged = True
                break
            st.eta_base = new_rate
            stopper.restart()
    return epoch, best_theta, converged


def _rising(curve, patience, reference):
    """A slow divergence that "converged" upwards: the objective rose in each of the
    last ``patience`` epochs and ended above twice the zero model's objective."""
    tail = curve[-(patience + 1):]
    return (len(tail) == patience + 1 and all(b > a for a, b in zip(tail, tail[1:]))
            and tail[-1] > 2.0 * reference)


def _check_final(problem, plan, precond, phi, epoch, limit):
    """Catch a blow-up that no epoch objective has seen: in the very last update, or in
    a point the fit exposes without having trained at it (the average, the best
    early-stopping epoch).

    The objective of ``phi`` on all of this call's data: one more forward pass
    (a subset could mistake one badly fit row for divergence).
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = problem.objective(precond.forward(phi))
    if not np.isfinite(value) or value > limit or not np.all(np.isfinite(phi)):
        _diverged(epoch, value, plan)


def _report(plan, epoch, obj, st, seconds):
    if plan.verbose:
        rate = plan.schedule.rate(max(st.t, 1), st.eta_base)
        extra = f", validation score {st.validation_scores[-1]:.6g}" if plan.score else ""
        obj *= st.precond.objective_scale  # in the user's units
        print(f"-- Epoch {epoch + plan.epoch_offset}: objective {obj:.6g}, learning rate {rate:.4g}, "
              f"updates {st.t}{extra}, time {seconds:.3f} s", flush=True)
