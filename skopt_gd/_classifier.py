"""SGDLogisticClassifier: binary sigmoid or multinomial softmax, class weights."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight

from . import _array_api
from ._base import BaseSGD, _without_early_stopping
from ._losses import (
    BinaryLogLoss, MultinomialLogLoss, log_proba_binary, log_proba_multinomial,
)
from ._validation import available_if, StrOptions, check_classification_targets

_ENCODE_ROWS = 1 << 16  # rows per block of the target encoding


class SGDLogisticClassifier(ClassifierMixin, BaseSGD):
    r"""Logistic regression trained by (stochastic) gradient descent.

    Two classes use the sigmoid (``coef_`` of shape ``(1, n_features)``); more
    use the multinomial softmax (``(n_classes, n_features)``), never
    one-vs-rest. The objective is the weighted mean cross-entropy plus
    :math:`\alpha R(w)`, with class weights multiplying the sample weights.

    Parameters
    ----------
    optimizer : str or Optimizer, default="sgd"
        Update rule: an alias of :data:`skopt_gd.optimizers.OPTIMIZERS` or an
        optimizer object (hyperparameters searchable as ``optimizer__beta1``).
    learning_rate : str or Schedule, default="auto"
        Schedule: an alias of :data:`skopt_gd.schedules.SCHEDULES`, a schedule
        object, or ``"auto"``: at full batch (the optimizer's ``full_batch_schedule``)
        ``"constant"`` for plain and Nesterov SGD and the schedule-free optimizers
        (they converge at a fixed rate) and ``"adaptive"`` for Rprop; for the others
        (heavy-ball momentum, the Adam family, RMSprop, Adagrad, Adadelta, Prodigy,
        Lion) ``"cosine"`` over ``max_iter`` epochs from their ``horizon_rate``, run
        to its end (``tol`` does not stop it, ``early_stopping`` does). With
        mini-batches and in ``partial_fit``: ``"adaptive"``.
    eta0 : float or "auto", default="auto"
        Base learning rate; ``"auto"`` is the optimizer's own rate in the
        preconditioned geometry (``1 / L`` from the data for plain and momentum
        SGD), see ``docs/guide/preconditioning.md``.
    power_t : float, default=0.25
        Exponent of the ``"invscaling"`` schedule.
    penalty : {None, "l2", "l1", "elasticnet"}, default="l2"
        Regularizer, never applied to the intercept; L1 by a proximal step.
    alpha : float, default=1e-4
        Penalty strength (``LogisticRegression(C)`` is ``alpha = 1 / (C n)``).
    l1_ratio : float, default=0.15
        Elastic-net mix.
    batch_size : int, None or "auto", default="auto"
        Samples per update; ``None`` is full batch, 1 is per-sample SGD. ``"auto"``:
        full batch in ``fit`` on dense data (each pass one well-conditioned step in
        the preconditioned geometry), 128 for sparse data and in ``partial_fit``.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-5
        Stopping tolerance on the epoch objective (validation accuracy with
        ``early_stopping``); ``None`` runs all ``max_iter`` epochs.
    n_iter_no_change : int, default=10
        Patience, in epochs.
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction``, stop on validation
        accuracy and keep the best epoch's coefficients.
    validation_fraction : float, default=0.1
        Share held out with ``early_stopping``.
    shuffle : bool, default=True
        Reshuffle the samples every epoch.
    average : bool or int, default=False
        Polyak averaging of the iterates; an int starts after that many samples.
    fit_intercept : bool, default=True
        Fit an (unpenalised) intercept.
    warm_start : bool, default=False
        Start ``fit`` from the previous coefficients.
    class_weight : dict, "balanced" or None, default=None
        Per-class multipliers of the sample weights.
    random_state : int, RandomState or None, default=None
        Seeds shuffling and the validation split.
    verbose : int, default=0
        Print a line per epoch.
    preconditioning : {"auto", None}, default="auto"
        ``"auto"``: the optimizer works in a well-conditioned parametrization learned
        from the training data of the first call (feature scales, implicit centring of
        dense columns, whitening of up to 256 dense features, the regression target's
        location and scale); the objective, its minimizer, the penalty and every
        fitted attribute stay in the original units. ``None``: the optimizer works on
        the coefficients and intercept themselves.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
    t_ : int
    loss_curve_ : list of float
        Training objective of each epoch (see :class:`SGDLinearRegressor`).
    best_loss_ : float
    validation_scores_ : list of float or None
    best_validation_score_ : float or None
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skopt_gd import SGDLogisticClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SGDLogisticClassifier(random_state=0).fit(X, y)
    >>> clf.coef_.shape, clf.predict_proba(X[:2]).sum(axis=1).round(6).tolist()
    ((3, 4), [1.0, 1.0])
    """

    _is_classifier = True
    _multi_output = False
    _parameter_constraints = {
        **BaseSGD._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(self, *, optimizer="sgd", learning_rate="auto", eta0="auto",
                 power_t=0.25, penalty="l2", alpha=1e-4, l1_ratio=0.15, batch_size="auto",
                 max_iter=1000, tol=1e-5, n_iter_no_change=10, early_stopping=False,
                 validation_fraction=0.1, shuffle=True, average=False, fit_intercept=True,
                 warm_start=False, class_weight=None, random_state=None, verbose=0,
                 preconditioning="auto"):
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.average = average
        self.fit_intercept = fit_intercept
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.preconditioning = preconditioning

    def _make_loss(self, n_outputs, target_scale=1.0):
        return BinaryLogLoss() if n_outputs == 1 else MultinomialLogLoss()

    def _classes(self, y, reset, classes):
        if not reset:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes={classes!r} differs from classes_={self.classes_!r} "
                                 "of the previous partial_fit call.")
            return self.classes_
        found = np.unique(y)
        if classes is None:
            if len(found) < 2:
                raise ValueError("The classifier needs samples of at least 2 classes in the "
                                 f"data, but the data contains only one class: {found[0]!r}.")
            return found
        classes = np.unique(classes)
        if len(classes) < 2:
            raise ValueError(f"classes must hold at least 2 labels (got 1 class: {classes!r}).")
        return classes

    def _encode(self, y, dtype, *, reset, classes=None):
        check_classification_targets(y)
        classes_ = self._classes(y, reset, classes)
        unknown = np.setdiff1d(np.unique(y), classes_)
        if unknown.size:
            raise ValueError(f"y contains labels {unknown.tolist()!r} not in classes "
                             f"{classes_.tolist()!r}; pass every label in classes= on the "
                             "first partial_fit call.")
        # one column: the label (0 / 1) or the class index, never an n x k one-hot
        # array; filled in row blocks, so no n-sized integer temporary either
        Y = np.empty((len(y), 1), dtype=dtype)
        for lo in range(0, len(y), _ENCODE_ROWS):
            part = y[lo:lo + _ENCODE_ROWS]
            Y[lo:lo + _ENCODE_ROWS, 0] = (part == classes_[1] if len(classes_) == 2
                                          else np.searchsorted(classes_, part))
        return Y, classes_

    def _n_outputs(self, y, classes_):
        """Columns of the parameters: one for two classes, else one per class."""
        return 1 if len(classes_) == 2 else len(classes_)

    def _class_weights(self, y, classes_, partial):
        if self.class_weight is None:
            return 1.0
        if isinstance(self.class_weight, str) and partial:
            raise ValueError("class_weight='balanced' is not supported by partial_fit (the "
                             "class frequencies of one batch are not those of the data); use "
                             "compute_class_weight('balanced', classes=..., y=...) and pass "
                             "the resulting dict as class_weight.")
        if isinstance(self.class_weight, dict):
            bad = {k: v for k, v in self.class_weight.items() if not (np.isfinite(v) and v >= 0)}
            if bad:
                raise ValueError(f"class_weight values must be finite and >= 0, got {bad!r}.")
        weights = compute_class_weight(self.class_weight, classes=classes_, y=y)
        return weights[np.searchsorted(classes_, y)].astype(np.float64)

    def _validation_scorer(self, X, Y, y, sw):
        def score(theta):
            raw = np.asarray(X @ theta[: X.shape[1]]) + (theta[-1] if self.fit_intercept else 0.0)
            pred = (raw[:, 0] > 0).astype(int) if raw.shape[1] == 1 else raw.argmax(axis=1)
            return float(np.average(pred == Y[:, 0].astype(int), weights=sw))
        return score

    def _expose(self, theta, n_features, classes_):
        coef, intercept = self._coef_intercept(theta, n_features)
        return {"coef_": coef, "intercept_": intercept, "classes_": classes_}

    @available_if(_without_early_stopping)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass over ``(X, y)``, continuing parameters, optimizer state and ``t_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every label the model will see; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if classes is None and not hasattr(self, "classes_"):
            raise ValueError("classes must be passed on the first call to partial_fit "
                             "(every label the model will ever see).")
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def _raw_and_space(self, X):
        """Raw scores, and ``(xp, device)`` when they live in a non-numpy namespace."""
        raw = self._decision(X)
        return raw, _array_api.namespace(raw)

    def decision_function(self, X):
        """Raw scores: shape (n_samples,) for two classes, else (n_samples, n_classes)."""
        raw = self._decision(X)
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), rows summing to 1."""
        raw, space = self._raw_and_space(X)
        loss = BinaryLogLoss if raw.shape[1] == 1 else MultinomialLogLoss
        return _array_api.on_host(loss.proba, raw, space)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed stably."""
        raw, space = self._raw_and_space(X)
        return _array_api.on_host(
            log_proba_binary if raw.shape[1] == 1 else log_proba_multinomial, raw, space)

    def predict(self, X):
        """Predicted class labels, shape (n_samples,)."""
        raw, space = self._raw_and_space(X)
        if space is not None:
            return _array_api.predict_labels(self.classes_, raw, *space)
        idx = (raw[:, 0] > 0).astype(int) if raw.shape[1] == 1 else raw.argmax(axis=1)
        return self.classes_[idx]
