"""Shared parameters, the validation entry point and fit / partial_fit orchestration.

Data through ``fit``: validate params -> validate data -> encode target ->
(split for early stopping) -> resolve components -> learn the preconditioner
(``preconditioning="auto"``, first call only) -> the problem in its units ->
resolve ``eta0`` -> init parameters and optimizer state -> epochs
(``_loop.train``) -> map back to the user's units -> assign fitted attributes at once.
Each call is one scikit-learn callback task with a sub-task per epoch (``_callbacks``).
"""

from functools import partial as bind
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split

from . import _array_api, _callbacks, _dask, _loop, _precondition, _rng, _threads
from ._params import cached_param_names, validate_params_once
from ._penalties import L1_RATIOS, make_penalty
from ._validation import (
    HasMethods, Interval, StrOptions, check_fit_data, check_is_fitted, check_weights,
    validate_data, warn,
)
from .optimizers import OPTIMIZERS, Optimizer
from .schedules import SCHEDULES, Schedule


#: ``batch_size="auto"`` for sparse X and ``partial_fit``: mini-batches of this many rows.
#: A dense ``fit`` trains full batch: with the preconditioner's whitening (or column
#: scales) one pass is one well-conditioned gradient step, and the whole fit is a few
#: passes over X at any size. Sparse text-like data is redundant and ill-conditioned
#: in the directions of rare columns, where many cheap small steps per pass win; and
#: ``partial_fit``'s one pass over a chunk must make more than one update.
AUTO_BATCH = 128

#: At most this many stages of ``BaseSGD._refine`` after the first.
REFINEMENTS = 3

#: ``tol`` of ``_refine``'s stages before its last (and of the first, which they follow):
#: a stage is only the way to the next point to whiten at, so it stops this early.
STAGE_TOL = 1e-4


def auto_schedule(optimizer, full_batch):
    """The schedule ``learning_rate="auto"`` stands for: the optimizer's
    ``full_batch_schedule`` at full batch, else ``"adaptive"`` (a mini-batch's noise
    floor falls only with the rate). An optimizer object without the attribute gets
    ``"adaptive"``."""
    return SCHEDULES[_auto_schedule_name(optimizer, full_batch)]()


def _auto_full_batch(batch, n, partial):
    """Whether ``learning_rate="auto"`` resolves as at full batch: a ``fit`` whose batch
    holds all ``n`` rows (``partial_fit`` always counts as mini-batches)."""
    return not partial and batch >= n


def _auto_schedule_name(optimizer, full_batch):
    return getattr(optimizer, "full_batch_schedule", "adaptive") if full_batch else "adaptive"


def runs_to_horizon(optimizer, full_batch):
    """Whether ``learning_rate="auto"`` is a decay to zero over ``max_iter`` epochs run to
    its end (``full_batch_schedule = "cosine"``), with ``tol`` stopping nothing, from
    ``eta0="auto"`` = the optimizer's ``horizon_rate``.

    The rules with normalised steps (the Adam family, RMSprop, Adagrad, Adadelta,
    Prodigy) and Lion's sign steps move by about their step length until the rate falls,
    and their epoch objective is not monotone (Lion's momentum carries it past the
    optimum and back for tens of epochs): the stopping rule and the ``"adaptive"``
    ladder read those excursions as stalls, stopping or cutting the rate far from the
    optimum. A cosine decay from a larger rate travels fast, shrinks the excursions with
    the rate and ends at rest (real-data panel: docs/guide/schedules.md). With
    ``early_stopping`` the validation score still stops it.
    """
    return _auto_schedule_name(optimizer, full_batch) == "cosine"


def _without_early_stopping(est):
    """``partial_fit`` exists only with ``early_stopping=False``: one pass over a
    caller's batch has no held-out data to stop on (``hasattr`` says so)."""
    if isinstance(est.early_stopping, (bool, np.bool_)) and est.early_stopping:
        raise AttributeError("partial_fit is not available with early_stopping=True: hold "
                             "out your own validation data between calls, or use fit.")
    return True


def _column_scale(pre):
    """The one factor by which the sparse preconditioner scales every column of X (1 for
    dense input and without a preconditioner)."""
    return 1.0 if pre is None or pre.column_scale is None else float(pre.column_scale[0])


class BaseSGD(_callbacks.CallbackSupportMixin, BaseEstimator):
    """Common machinery of :class:`SGDLinearRegressor` and :class:`SGDLogisticClassifier`."""

    @classmethod
    def _get_param_names(cls):
        return cached_param_names(cls)

    _parameter_constraints: dict = {
        "optimizer": [StrOptions(set(OPTIMIZERS)), HasMethods(["init_state", "step"])],
        "learning_rate": [StrOptions(set(SCHEDULES) | {"auto"}),
                          HasMethods(["rate", "on_plateau"])],
        "eta0": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "power_t": [Real],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None, StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Real, None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="left"), "boolean"],
        "fit_intercept": ["boolean"],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "preconditioning": [StrOptions({"auto"}), None],
    }

    # ---- hooks implemented by the regressor and the classifier -------------
    # _check_target(y) -> y ; _encode(y, first) -> (Y, extra) ; _make_loss(n_out) ;
    # _n_outputs(y, extra) -> n_out (the parameters' columns; not Y's for the classifier)
    # _class_weights(y_raw, Y) -> per-sample multipliers ; _validation_score(...)
    # _expose(theta, n_features) -> dict of fitted attributes

    # ---- validation entry point ---------------------------------------------
    def _resolve_components(self):
        """Validate every parameter (nested objects too) and resolve names to objects."""
        validate_params_once(self)
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            optimizer = OPTIMIZERS[optimizer]()
        schedule = self.learning_rate
        if schedule == "auto":  # resolved with the batch size, in _train
            schedule = None
        elif isinstance(schedule, str):
            schedule = (SCHEDULES[schedule](power_t=self.power_t)
                        if schedule == "invscaling" else SCHEDULES[schedule]())
        for obj, kind in ((optimizer, Optimizer), (schedule, Schedule)):
            if isinstance(obj, kind):
                obj.validate()
        if isinstance(optimizer, Optimizer):  # a sign-based rule refuses an L1 part
            optimizer.check_l1(self.alpha * L1_RATIOS.get(self.penalty, self.l1_ratio))
        return optimizer, schedule

    def _bottou_t0(self, loss):
        """scikit-learn's heuristic offset for ``learning_rate="optimal"``."""
        alpha = self.alpha if self.alpha > 0 else 1.0
        typw = np.sqrt(1.0 / np.sqrt(alpha))
        dloss = float(loss.gradient(np.full((1, 1), -typw), np.ones((1, 1)))[0, 0])
        initial_eta0 = typw / max(1.0, dloss)
        return 1.0 / (initial_eta0 * alpha) - 1.0

    # ---- data ---------------------------------------------------------------
    def _prepare(self, X, y, sample_weight, *, reset, partial, classes=None):
        """Validate and encode the data; return a ``Problem`` and its pieces."""
        if reset:
            X, y, names = check_fit_data(X, y, multi_output=self._multi_output,
                                         y_numeric=not self._is_classifier)
        else:
            names = getattr(self, "feature_names_in_", None)
            X, y = validate_data(self, X, y, reset=False, accept_sparse="csr",
                                 dtype=(np.float64, np.float32),
                                 multi_output=self._multi_output,
                                 y_numeric=not self._is_classifier)
        if X.shape[0] == 0:
            raise ValueError("Found array with 0 sample(s); fitting needs at least 1.")
        sw = check_weights(sample_weight, X)
        Y, target_info = self._encode(y, X.dtype, reset=reset, classes=classes)
        class_weight = self._class_weights(y, target_info, partial)
        if not (np.isscalar(class_weight) and class_weight == 1.0):  # no n-sized copy for 1.0
            sw = sw * class_weight
        if not sw.sum() > 0:
            raise ValueError("sample_weight times class_weight sums to zero.")
        return X, y, Y, sw, target_info, names

    def _problem(self, X, Y, sw, n_outputs, pre):
        """The problem in the preconditioner ``pre``'s units."""
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio, X.shape[1])
        s, p, c = pre.y_scale, pre.degree, _column_scale(pre)
        penalty = penalty.rescaled(s ** (1 - p) * c, s ** (2 - p) * c * c)
        if pre.column_scale is not None:  # sparse: columns scaled in a copy of the values
            X = _precondition.scale_sparse(X, pre.column_scale)
        if p:
            Y = (Y - pre.y_loc.astype(Y.dtype)) / Y.dtype.type(s)
        return _loop.Problem(X, Y, sw, self._make_loss(n_outputs, 1.0 / s), penalty,
                             self.fit_intercept, weight_mean=pre.weight_mean)

    def _preconditioner(self, X, Y, sw, n_outputs, stats=None, partial=False):
        """Learn the map of ``preconditioning`` from this (first call's) data (``stats``:
        its ``_precondition.statistics``, if already known)."""
        if self.preconditioning is None:
            return _precondition.identity(X.shape[1], self.fit_intercept, n_outputs,
                                          weight_mean=_precondition.mean_weight(sw))
        loss = self._make_loss(n_outputs)
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio, X.shape[1])
        return _precondition.fit(X, Y, sw, fit_intercept=self.fit_intercept,
                                 kappa=loss.curvature, degree=loss.degree, l1=penalty.l1,
                                 l2=penalty.l2, stats=stats,
                                 batch_size=self._batch_size(X.shape[0], X, partial))

    def _resolve_eta0(self, optimizer, problem, pre, n_outputs, partial=False):
        """``eta0``, with ``"auto"`` resolved from the optimizer and the data: its
        ``auto_eta0`` of the batch gradient's smoothness in ``pre``'s units (an
        optimizer object without one gets ``Optimizer.auto_rate``)."""
        if self.eta0 != "auto":
            return float(self.eta0)
        schedule = self.learning_rate
        schedule = SCHEDULES.get(schedule) if isinstance(schedule, str) else schedule
        if not hasattr(optimizer, "auto_eta0") or not getattr(schedule, "uses_eta0", True):
            return Optimizer.auto_rate  # (a schedule that never reads it: "optimal")
        X, sw, n = _host_rows(problem)
        batch = self._batch_size(n, X, partial)
        start = getattr(optimizer, "horizon_rate", None)
        if (start is not None and self.learning_rate == "auto"
                and runs_to_horizon(optimizer, _auto_full_batch(batch, n, partial))):
            return float(start)  # the cosine decay's start (Optimizer.horizon_rate)
        loss = problem.loss if problem.loss is not None else self._make_loss(n_outputs)
        penalty = problem.penalty if problem.penalty is not None else make_penalty(
            self.penalty, self.alpha, self.l1_ratio, X.shape[1])
        L = _precondition.lipschitz(X, sw, pre, curvature=loss.curvature, l2=penalty.l2,
                                    batch_size=batch, n_samples=n,
                                    moments=self._row_moments(X, sw, pre))
        return float(optimizer.auto_eta0(L))

    def _row_moments(self, X, sw, pre):
        """``_precondition.row_moments`` for ``lipschitz``, where known (``None``: it
        computes them; the ``...CV`` path shares them between its fits)."""
        return None

    # ---- fit ------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, *, partial, classes=None):
        """One ``fit`` / ``partial_fit`` call, one callback task (``_callbacks``). (The
        loop's warnings point at the first caller outside the package: ``_validation.warn``.)"""
        with _callbacks.fit_task(self, X, y, sample_weight, partial=partial) as task:
            if not partial and _dask.is_dask_array(X):  # issue 6: data-parallel fit
                _dask.fit(self, X, y, sample_weight)
            elif (space := _array_api.namespace(X)) is not None:  # issue 6: torch, CuPy...
                _array_api.fit(self, X, y, sample_weight, *self._resolve_components(),
                               partial=partial, classes=classes, space=space)
            else:
                with _threads.one_blas_thread():
                    self._fit_host(X, y, sample_weight, partial=partial, classes=classes,
                                   task=task)
            if task is not None:
                task.end(self)
        return self

    def _fit_host(self, X, y, sample_weight, *, partial, classes, task):
        """``_fit`` of NumPy / SciPy data, with the BLAS libraries on one thread (the
        compiled passes own the cores: ``_threads``)."""
        optimizer, schedule = self._resolve_components()
        first = not (partial and hasattr(self, "_state"))
        X, y, Y, sw, info, names = self._prepare(X, y, sample_weight, reset=first,
                                                 partial=partial, classes=classes)
        continuing = partial and not first
        if task is not None:
            task.set_data(X, y, sample_weight)
        with _rng.stream(self.random_state) as rng:
            X_tr, Y_tr, sw_tr, score = X, Y, sw, None
            if self.early_stopping:
                X_tr, Y_tr, sw_tr, score = self._split_validation(X, y, Y, sw, rng)
            n_outputs = self._n_outputs(Y, info)
            pre = (self._preconditioner(X_tr, Y_tr, sw_tr, n_outputs, partial=partial)
                   if first else self._state.precond)
            problem = self._problem(X_tr, Y_tr, sw_tr, n_outputs, pre)
            state = self._initial_state(optimizer, problem, n_outputs, first, partial,
                                        pre=pre)
            expose = bind(self._fitted_attributes, info=info, names=names,
                          n_features=X.shape[1], continuing=continuing)
            refines = self._refines(optimizer, partial, score, X_tr)
            reference = self._reference_objective(problem, state)
            n_epochs, phi, outcome = self._train(
                problem, optimizer, schedule, state, partial=partial,
                reference=reference, rng=rng,
                score=None if score is None else _in_user_units(score, pre),
                expose=expose, tol=self._stage_tol() if refines else "tol")
            if outcome == "converged" and refines:
                n_epochs, phi, state = self._refine(
                    problem, optimizer, schedule, state, phi, n_epochs, Y_tr,
                    reference=reference, rng=rng, expose=expose)
            self._assign(state.precond.to_original(phi), state, n_epochs, info,
                         names, X.shape[1], continuing)

    def _train(self, problem, optimizer, schedule, state, *, partial, reference, rng=None,
               score=None, expose=None, max_epochs=None, epoch_offset=0, tol="tol"):
        """Bind the schedule to this data, run the epochs, return ``(n_epochs, theta,
        outcome)`` (``outcome``: how the epochs ended, ``_loop.Plan.outcome``).

        Shared by the in-memory, Dask and Array API paths; ``state`` is updated in place.
        ``expose(theta, state, n_epochs)`` gives the fitted attributes at an epoch, for
        the callbacks' ``fitted_estimator`` (``None``: callbacks get none).
        ``max_epochs`` (default ``max_iter``) and ``epoch_offset`` (epochs already run by
        this fit) serve ``_refine``'s later stages.
        """
        batch = self._batch_size(problem.n_samples, problem.X, partial)
        if schedule is None:  # learning_rate="auto"
            full = _auto_full_batch(batch, problem.n_samples, partial)
            schedule = auto_schedule(optimizer, full)
            if score is None and runs_to_horizon(optimizer, full):
                tol = None
        schedule = schedule.bind({
            "alpha": self.alpha, "alpha_scale": _column_scale(state.precond) ** 2,
            "t0": self._bottou_t0(problem.loss),
            "updates_per_epoch": -(-problem.n_samples // batch), "max_iter": self.max_iter,
            "eta0": state.eta0,
        })
        plan = _loop.Plan(optimizer, schedule, batch, self.shuffle, int(self.average),
                          self.tol if tol == "tol" else tol, getattr(schedule, "patience", None) or self.n_iter_no_change,
                          self.verbose, rng, score, epoch_offset=epoch_offset)
        if hasattr(self, "_callback_task"):  # per-epoch tasks only for an estimator with callbacks
            plan.on_epoch_begin, plan.on_epoch = self._callback_task.epoch_hooks(
                self, plan, problem.penalty, expose)
        final = _loop.DIVERGENCE_FACTOR if partial else _loop.FINAL_FACTOR
        if max_epochs is None:
            max_epochs = 1 if partial else self.max_iter
        n_epochs, theta = _loop.train(problem, plan, state, max_epochs, reference,
                                      final_factor=final)
        if not np.all(np.isfinite(theta)):
            _loop._diverged(n_epochs, float("nan"), plan)
        return n_epochs, theta, plan.outcome

    def _refines(self, optimizer, partial, score, X):
        """Whether a converged ``fit`` goes on with ``_refine``: a loss whose curvature
        varies (log loss), the package's own parametrization and rate
        (``preconditioning``, ``eta0`` and ``learning_rate`` all ``"auto"``), full
        batches of dense rows, a stopping rule on the objective and no averaging."""
        loss = self._make_loss(1)
        return (hasattr(loss, "local_curvature") and not partial and score is None
                and getattr(optimizer, "refine_on_plateau", False)
                and self.preconditioning == "auto" and self.eta0 == "auto"
                and self.learning_rate == "auto" and self.tol is not None
                and not self.average and not sp.issparse(X)
                and self._batch_size(X.shape[0], X) >= X.shape[0])

    def _stage_tol(self):
        return max(self.tol, STAGE_TOL)

    def _refine(self, problem, optimizer, schedule, state, phi, n_epochs, Y, *, reference,
                rng, expose):
        """Continue a converged fit in a parametrization whitened at its own point.

        ``preconditioning="auto"`` whitens the loss's curvature bound ``kappa`` (1/4 for
        log loss, exact at the zero model). Near a fitted classifier the curvature of
        row ``i`` is ``c_i = p_i (1 - p_i)``, far below the bound on well-separated
        rows, so the optimizer's steps there are too short in those directions and
        its progress falls under ``tol`` while the objective is still well above its
        minimum. Each stage here learns the preconditioner again from the weights
        ``s_i c_i`` (whose moments are the Hessian at the fitted point), restarts the
        optimizer (and its ``eta0="auto"``) there, and runs the epochs left with the
        same stopping rule: a Newton-like step per stage, at most ``REFINEMENTS``
        stages, ending when a stage improves the objective by less than ``tol`` (of the
        zero model's objective) or makes it worse, whose result is then dropped.
        Returns ``(n_epochs, phi, state)`` of the last stage kept.
        """
        X, sw, loss, d = problem.X, problem.sample_weight, problem.loss, problem.X.shape[1]
        k = state.theta.shape[1]
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio, d)
        # the curvature weights on evenly strided rows, as many as the statistics of a
        # preconditioner read (_precondition.STATS_ROWS; all rows of smaller data): no
        # n-sized arrays of predictions and weights (issue 11's memory bound)
        rows = slice(None, None, max(1, X.shape[0] // _precondition.STATS_ROWS))
        Xs, Ys, sws = X[rows], Y[rows], np.asarray(sw[rows], dtype=np.float64)
        current = problem.objective(state.precond.forward(phi))
        loose = True  # the kept stage stopped on the stage tolerance, not on tol
        for r in range(REFINEMENTS):
            left = self.max_iter - n_epochs
            theta = state.precond.to_original(phi)
            raw = np.asarray(Xs @ theta[:d]) + (theta[d] if self.fit_intercept else 0.0)
            local = sws * loss.local_curvature(raw)
            if left < 1 or not local.sum() > 0:
                break
            kappa = float(local.sum() / sws.sum())
            pre = _precondition.fit(Xs, Ys, local, fit_intercept=self.fit_intercept,
                                    kappa=kappa, degree=loss.degree, l1=penalty.l1,
                                    l2=penalty.l2, batch_size=X.shape[0])
            pre.weight_mean = state.precond.weight_mean  # of the objective's weights
            stage = self._problem(X, Y, sw, k, pre)
            start = pre.from_original(theta)
            L = _precondition.lipschitz(Xs, local, pre, curvature=kappa, l2=penalty.l2,
                                        batch_size=X.shape[0], n_samples=X.shape[0])
            eta0 = (float(optimizer.auto_eta0(L)) if hasattr(optimizer, "auto_eta0")
                    else Optimizer.auto_rate)
            new = _loop.State(start, optimizer.init_state(start), eta_base=eta0, eta0=eta0,
                              precond=pre, t=state.t, loss_curve=list(state.loss_curve))
            final = r == REFINEMENTS - 1
            try:
                epochs, phi_new, outcome = self._train(
                    stage, optimizer, schedule, new, partial=False, reference=reference,
                    rng=rng, expose=expose, max_epochs=left, epoch_offset=n_epochs,
                    tol=self.tol if final else self._stage_tol())
                value = stage.objective(pre.forward(phi_new))
            except ValueError:  # diverged in the new geometry
                value = np.nan
            if not value <= current:  # worse than where it started: the stage before is
                # kept, and the epochs run are counted (n_iter_, t_, loss_curve_)
                n_epochs += len(new.loss_curve) - len(state.loss_curve)
                state.loss_curve, state.t = new.loss_curve, new.t
                break
            n_epochs, phi, state, problem = n_epochs + epochs, phi_new, new, stage
            gained, current, loose = current - value, value, not final
            if outcome != "converged" or gained < self.tol * reference:
                loose = False  # flat (or stopped on request, or out of epochs): done
                break
        left = self.max_iter - n_epochs
        if loose and left > 0:  # the kept stage's own geometry, on to ``tol``
            epochs, phi, _ = self._train(problem, optimizer, schedule, state, partial=False,
                                         reference=reference, rng=rng, expose=expose,
                                         max_epochs=left, epoch_offset=n_epochs)
            n_epochs += epochs
        return n_epochs, phi, state

    def _batch_size(self, n, X=None, partial=False):
        """Rows per update for ``n`` rows of ``X`` (``batch_size="auto"``: all of them in a
        ``fit`` on dense data, else ``AUTO_BATCH``)."""
        size = self.batch_size
        if isinstance(size, str):  # "auto"
            size = AUTO_BATCH if partial or sp.issparse(X) else None
        return n if size is None else min(size, n)

    def _initial_state(self, optimizer, problem, n_outputs, first, partial, pre=None):
        """Fresh state, or a copy of the previous one (partial_fit / warm_start).

        The state's parameters are phi, in ``pre``'s units (the user's when ``None``:
        the Dask and Array API fits).
        """
        d = problem.X.shape[1]
        if pre is None:
            pre = _precondition.identity(d, self.fit_intercept, n_outputs)
        if not first:  # partial_fit continuing: parameters, optimizer state and t
            state = self._state.copy()
            state.rebase(state.eta0 if self.eta0 == "auto" else float(self.eta0))
            return state
        theta = np.zeros((d + int(self.fit_intercept), n_outputs), dtype=problem.X.dtype)
        if self.warm_start and not partial and hasattr(self, "_state"):
            previous = self._state.precond.to_original(self._state.theta)
            if previous.shape != theta.shape:
                raise ValueError(
                    f"warm_start=True but the previous fit has parameters of shape "
                    f"{previous.shape} and this data needs {theta.shape}.")
            theta[...] = pre.from_original(previous)
        eta0 = self._resolve_eta0(optimizer, problem, pre, n_outputs, partial)
        return _loop.State(theta, optimizer.init_state(theta), eta_base=eta0, eta0=eta0,
                           precond=pre)

    def _reference_objective(self, problem, state):
        """Objective at theta = 0 (and at the starting point when warm): the blow-up scale."""
        zero = _zero_objective(problem, state.theta.shape[1])
        if state.loss_curve:  # partial_fit continuing: the last epoch's objective
            return max(zero, state.loss_curve[-1])
        if np.any(state.theta):  # warm start: a poor starting fit is not a divergence
            with np.errstate(over="ignore", invalid="ignore"):
                return max(zero, problem.objective(state.precond.forward(state.theta)))
        return zero

    def _split_validation(self, X, y, Y, sw, rng):
        n_val = int(np.ceil(self.validation_fraction * X.shape[0]))
        if n_val < 1 or X.shape[0] - n_val < 1:
            raise ValueError(
                f"early_stopping needs at least 1 training and 1 validation sample; got "
                f"{X.shape[0]} samples with validation_fraction={self.validation_fraction}.")
        stratify = y if self._is_classifier else None
        try:
            tr, va = train_test_split(np.arange(X.shape[0]), test_size=self.validation_fraction,
                                      stratify=stratify, random_state=rng)
        except ValueError as exc:
            raise ValueError(f"early_stopping could not split a validation set: {exc}") from exc
        for part, rows in (("training", tr), ("validation", va)):
            if not sw[rows].sum() > 0:
                raise ValueError(
                    f"early_stopping drew a {part} set whose sample weights are all zero; "
                    "use more samples with positive weight, another random_state or "
                    "validation_fraction, or early_stopping=False.")
        score = self._validation_scorer(X[va], Y[va], y[va], sw[va])
        return X[tr], Y[tr], sw[tr], score

    def _coef_intercept(self, theta, n_features):
        """Split packed parameters into ``coef_`` rows (one per output) and intercepts."""
        coef = theta[:n_features].T.copy()
        if self.fit_intercept:
            return coef, theta[n_features].copy()
        return coef, np.zeros(theta.shape[1], dtype=theta.dtype)

    def _fitted_attributes(self, theta, state, n_epochs, *, info, names, n_features,
                           continuing):
        """Every fitted attribute of user parameters ``theta`` after ``n_epochs`` epochs of
        this call (what ``_assign`` sets, and the callbacks' ``fitted_estimator`` has)."""
        attrs = dict(self._expose(theta, n_features, info))
        attrs["n_iter_"] = (self.n_iter_ + n_epochs) if continuing else n_epochs
        attrs["t_"] = state.t
        unit = state.precond.objective_scale  # the loop's objective is J / unit
        attrs["loss_curve_"] = [unit * value for value in state.loss_curve]
        attrs["best_loss_"] = min(attrs["loss_curve_"]) if state.loss_curve else np.inf
        scores = list(state.validation_scores) if self.early_stopping else None
        attrs["validation_scores_"] = scores
        attrs["best_validation_score_"] = float(np.max(scores)) if scores else None
        attrs["n_features_in_"] = n_features
        if names is not None:
            attrs["feature_names_in_"] = names
        attrs["_state"] = state
        return attrs

    def _assign(self, theta, state, n_epochs, info, names, n_features, continuing):
        """Set every fitted attribute in one block (the fit succeeded)."""
        attrs = self._fitted_attributes(theta, state, n_epochs, info=info, names=names,
                                        n_features=n_features, continuing=continuing)
        for name, value in attrs.items():
            setattr(self, name, value)
        if names is None and hasattr(self, "feature_names_in_") and not continuing:
            del self.feature_names_in_

    # ---- public API ---------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit the model by gradient descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float64 or float32; float32 stays float32).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the objective is their weighted mean.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        return self._fit(X, y, sample_weight, partial=False)

    def _decision(self, X):
        check_is_fitted(self, "coef_")
        space = _array_api.namespace(X)  # issue 6: scores in X's namespace and device
        if space is not None:
            return _array_api.decision(self, X, *space)
        X = validate_data(self, X, reset=False, accept_sparse="csr",
                          dtype=(np.float64, np.float32))
        coef = np.atleast_2d(self.coef_)
        out = X @ coef.T + np.atleast_1d(self.intercept_)
        return np.asarray(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _zero_objective(problem, k):
    """The objective of the zero model (all ``k`` outputs' scores 0) in ``problem``'s units."""
    s, Y = problem.sample_weight, problem.Y
    step = max(1, (1 << 16) // k)  # in row blocks: no n-sized temporaries
    return sum(float(problem.loss.value(np.zeros((len(Y[lo:lo + step]), k)),
                                        Y[lo:lo + step]) @ s[lo:lo + step])
               for lo in range(0, len(Y), step)) / s.sum()


def _in_user_units(score, pre):
    """A validation scorer of the user's ``theta`` as one of phi."""
    return lambda phi: score(pre.to_original(phi))


def _host_rows(problem):
    """``(X, sample_weight, n_samples)`` in memory for ``eta0="auto"``: the problem's
    own for NumPy / SciPy data, else the first rows of a Dask or Array API X."""
    X = problem.X
    if isinstance(X, np.ndarray) or sp.issparse(X):
        sw = problem.sample_weight
        return X, (np.ones(X.shape[0]) if sw is None else sw), problem.n_samples
    rows = _precondition.LIPSCHITZ_ROWS
    head = X[:rows]
    head = head.compute() if hasattr(head, "compute") else _array_api.to_numpy(head)
    head = np.asarray(head, dtype=np.float64)
    return head, np.ones(head.shape[0]), max(getattr(problem, "n_samples", 0), head.shape[0])
