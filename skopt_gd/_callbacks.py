"""scikit-learn callbacks (``sklearn.callback``, scikit-learn >= 1.9) for the estimators.

The task tree of one ``fit`` / ``partial_fit`` call is the one scikit-learn's protocol
for third-party estimators describes: a root task (``max_subtasks`` = ``max_iter``,
1 for ``partial_fit``) with one ``"epoch"`` sub-task per epoch actually run. Each
epoch's ``on_fit_task_begin`` / ``on_fit_task_end`` gets the training data and a
``fitted_estimator`` built lazily from the fitted attributes the fit would have if
it stopped there (``BaseSGD._fitted_attributes``: the same code that assigns them at
the end). An ``on_fit_task_end`` returning True stops the fit after that epoch.

Only an estimator that has callbacks gets epoch hooks (``_loop.Plan.on_epoch``, which
makes the loop run one compiled call per epoch); without callbacks the whole fit
stays one compiled call. With scikit-learn < 1.9 there is no ``sklearn.callback``:
the estimators then have no ``set_callbacks`` and fit exactly as without callbacks.
"""

from contextlib import contextmanager

import numpy as np

from . import _loop

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    SUPPORTED = False

    class CallbackSupportMixin:
        """Stand-in without ``set_callbacks`` (scikit-learn < 1.9 has no callbacks)."""
else:
    SUPPORTED = True
    # the public decorator's teardown (its ``finally``), run on its own after the fit
    # body: used in a ``with``, it adds no frame between the user's call and the loop,
    # so the loop's warnings keep pointing at the user's line
    _teardown = with_callbacks(lambda est: None)


@contextmanager
def fit_task(est, X, y, sample_weight, *, partial):
    """The callback task of one ``fit`` / ``partial_fit`` call of ``est`` (``None``
    without ``sklearn.callback``); its callbacks' teardown runs however the call ends."""
    if not SUPPORTED:
        yield None
        return
    try:
        est._callback_task = FitTask(est, X, y, sample_weight, partial=partial)
        yield est._callback_task
    finally:
        est.__dict__.pop("_callback_task", None)
        _teardown(est)


def _metadata(sample_weight):
    """The ``metadata`` argument of the hooks: the sample weights, when given."""
    return None if sample_weight is None else {"sample_weight": sample_weight}


@contextmanager
def meta_fit_task(est, X, y, sample_weight, *, max_subtasks):
    """The root task of a fit whose work is other estimators' fits (the ``...CV``
    estimators' paths and refit), as ``GridSearchCV`` lays out its own: yields the root
    context (``None`` without ``sklearn.callback``), whose leaves are handed to those
    fits by :func:`sub_fit`. Ended when the body returns (the fitted attributes are
    then set); the teardown runs however the call ends."""
    if not SUPPORTED:
        yield None
        return
    metadata = _metadata(sample_weight)
    try:
        ctx = est._init_callback_context(task_name="fit", max_subtasks=max_subtasks,
                                         sequential_subtasks=False)
        ctx.call_on_fit_task_begin(estimator=est, X=X, y=y, metadata=metadata)
        yield ctx
        ctx.call_on_fit_task_end(estimator=est, X=X, y=y, metadata=metadata,
                                 reconstruction_attributes={})
    finally:
        _teardown(est)


@contextmanager
def task(ctx, est, X, y, sample_weight=None, attributes=None):
    """Begin and end the (inner) task ``ctx`` of ``est``'s tree around the body; at a
    normal end ``attributes()`` gives its ``fitted_estimator``. Nothing for ``ctx=None``."""
    if ctx is None:
        yield
        return
    metadata = _metadata(sample_weight)
    ctx.call_on_fit_task_begin(estimator=est, X=X, y=y, metadata=metadata)
    try:
        yield
    except BaseException:
        ctx.call_on_fit_task_end(estimator=est, X=X, y=y, metadata=metadata)
        raise
    ctx.call_on_fit_task_end(estimator=est, X=X, y=y, metadata=metadata,
                             reconstruction_attributes=attributes)


@contextmanager
def sub_fit(ctx, sub_estimator, caller, X, y, sample_weight=None, attributes=None):
    """Run the body (``sub_estimator``'s ``fit`` on ``X, y``) as the leaf task ``ctx`` of
    ``caller``'s tree (:func:`task`): the sub-estimator's own tree (its epochs) hangs
    under it and the auto-propagated callbacks (``ProgressBar``) reach it, as in
    ``GridSearchCV``'s fits. ``attributes()`` gives the leaf's ``fitted_estimator``
    (``caller`` with the sub-estimator's fitted attributes). Nothing for ``ctx=None``."""
    if ctx is None:
        yield
        return
    with ctx.propagate_callback_context(sub_estimator), \
            task(ctx, caller, X, y, sample_weight, attributes):
        yield


class FitTask:
    """The root callback task of one ``fit`` / ``partial_fit`` call of ``est``.

    Stored on the estimator as ``_callback_task`` for the duration of the call, so
    that ``BaseSGD._train`` (shared by the in-memory, Dask and Array API fits) can
    hang the epochs under it.
    """

    def __init__(self, est, X, y, sample_weight, *, partial):
        max_iter = est.max_iter
        n = 1 if partial else (max_iter if _positive_int(max_iter) else None)
        self.ctx = est._init_callback_context(
            task_name="partial_fit" if partial else "fit", max_subtasks=n)
        self.set_data(X, y, sample_weight)
        self.ctx.call_on_fit_task_begin(estimator=est, X=X, y=y, metadata=self.metadata)

    def set_data(self, X, y, sample_weight):
        """The (validated) training data handed to the epoch hooks."""
        self.X, self.y = X, y
        self.metadata = _metadata(sample_weight)

    def end(self, est):
        """End the root task: ``fitted_estimator`` is ``est`` as fitted."""
        self.ctx.call_on_fit_task_end(estimator=est, X=self.X, y=self.y,
                                      metadata=self.metadata, reconstruction_attributes={})

    def epoch_hooks(self, est, plan, penalty, expose):
        """``(on_epoch_begin, on_epoch)`` for ``plan``, or ``(None, None)`` when ``est``
        has no callbacks of its own (then nothing per epoch runs).

        ``expose(theta, state, n_epochs)`` -> the fitted attributes at that point
        (``None``: no ``fitted_estimator``; every fit of the package passes one).
        """
        if not getattr(est, "_skl_callbacks", None):
            return None, None
        return _Epochs(self, est, plan, penalty, expose).hooks()


class _Epochs:
    """One sub-task per epoch; the exposed point follows ``_loop.train``'s choice."""

    def __init__(self, task, est, plan, penalty, expose):
        self.task, self.est, self.plan, self.penalty, self.expose = task, est, plan, penalty, expose
        self.ctx, self.best = None, None
        # with early stopping the fit exposes its best validation epoch so far: the
        # loop's own counter (same class, same tol) says which one that is
        self.stopper = _loop.Stopper(plan, -np.inf) if plan.score is not None else None

    def hooks(self):
        return self.begin, self.end

    def _attributes(self, state, n_epochs):
        if self.expose is None:
            return None

        def attributes():  # evaluated only when a callback asks for fitted_estimator
            phi = self.best if self.best is not None else state.coefficients(self.penalty)
            return self.expose(state.precond.to_original(phi), state.copy(), n_epochs)
        return attributes

    def _call(self, hook, state, n_epochs):
        task = self.task
        return hook(estimator=self.est, X=task.X, y=task.y, metadata=task.metadata,
                    reconstruction_attributes=self._attributes(state, n_epochs))

    def begin(self, epoch, state):
        self.ctx = self.task.ctx.subcontext(task_name="epoch")
        self._call(self.ctx.call_on_fit_task_begin, state, epoch - 1)

    def end(self, epoch, objective, state):
        if self.stopper is not None and self.stopper.update(state.validation_scores[-1], True):
            self.best = state.coefficients(self.penalty)
        return self._call(self.ctx.call_on_fit_task_end, state, epoch)


def _positive_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1
