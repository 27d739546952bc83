"""scikit-learn's estimator checks, for both estimators over a covering set of configurations.

``CONFIGS`` covers every optimizer alias, ``batch_size`` None (full batch) /
1 (per-sample) / k (mini-batch), every penalty, ``early_stopping``,
``average`` (bool and int), most schedules, nested optimizer/schedule objects
and the defaults, each seeded. Full-batch rows must pass every check,
including ``check_sample_weight_equivalence_on_dense_data`` / ``_sparse_data``;
the checks expected to fail elsewhere are listed in ``_expected_failed_checks``
with their reasons (strict: an unexpected pass fails too).

How the settings were chosen
----------------------------
* Step sizes. ``check_fit_idempotent``, ``check_fit_check_is_fitted`` and
  ``check_n_features_in`` fit on *unscaled* features drawn from ``N(100, 1)``.
  For squared error the curvature there is ``L ~ ||x||^2 ~ 2e4``, so a plain
  gradient step is stable only for ``eta0 < 2 / L ~ 1e-4`` (a bit less with
  Nesterov); with a larger ``eta0`` the regressor raises its divergence
  ``ValueError``, as it should. A user with unscaled features and plain SGD
  lowers ``eta0`` below ``1 / ||x||^2``: the regressor rows of ``"sgd"``,
  ``"momentum"`` and ``"nesterov"`` do. The adaptive optimizers (Adagrad,
  RMSprop, Adadelta, the Adam family) normalise the step per coordinate and
  keep their usual ``eta0``. The classifier's full-batch ``"sgd"`` and
  ``"momentum"`` rows keep ``eta0=0.01`` (a step small enough for N(100, 1)
  features is too slow for ``check_class_weight_classifiers``); on the three
  unscaled checks they end with a mean log loss ~50x the zero model's, which
  the estimator rightly refuses to return as a fit, so those three checks are
  expected to fail for them with the same reason as the default regressor.
* With ``eta0=5e-5``, full-batch plain SGD needs ~3e4 epochs to reach the
  ``R^2 > 0.5`` of ``check_regressors_train`` (standardized data), too slow
  here: the regressor's ``"sgd"`` row is per-sample (200 updates per epoch);
  full-batch plain gradient steps are covered by its ``"momentum"`` row
  (1000 epochs, 0.1 s a fit) and by the classifier's ``"sgd"`` row.
* Epochs. ``max_iter=100`` (20 for per-sample rows, whose epochs are Python
  loops over rows) is enough for every check's score threshold and keeps this
  file at about a minute; ``"defaults"`` keeps ``max_iter=1000``. The
  ``ConvergenceWarning`` this causes on some check data is expected.
* Decaying schedules with full batch decay once per epoch, so their rows use a
  larger ``eta0`` (``"exponential"``) or a longer ``step_size`` (``Step``), as a
  user would.
* ``early_stopping`` uses ``validation_fraction=0.3``: the stratified split of
  the checks' ~20-row, 3-class data needs at least one held-out row per class.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd.optimizers import Adam
from skopt_gd.schedules import Step

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MAX_ITER = 100
#: ``check_sample_weight_equivalence_*`` fits 15 weighted rows against their
#: repetitions (at most 60 rows); a ``batch_size`` of 60 or more is full batch there.
SW_CHECK_ROWS = 60

# id -> (shared params, regressor overrides, classifier overrides)
CONFIGS = {
    "defaults": ({}, {}, {}),
    "sgd": (
        dict(optimizer="sgd", batch_size=None, penalty=None, learning_rate="constant"),
        dict(batch_size=1, eta0=5e-5),
        {},
    ),
    "momentum": (
        dict(optimizer="momentum", batch_size=None, penalty="l2", learning_rate="constant"),
        dict(eta0=1e-4, max_iter=1000), {},
    ),
    "nesterov": (
        dict(optimizer="nesterov", batch_size=16, penalty="l1"),
        dict(eta0=5e-5), {},
    ),
    "adagrad": (
        dict(optimizer="adagrad", batch_size=None, penalty="elasticnet", eta0=0.1,
             learning_rate="invscaling"),
        {}, {},
    ),
    "rmsprop": (dict(optimizer="rmsprop", batch_size=1, penalty=None, max_iter=20), {}, {}),
    "adadelta": (dict(optimizer="adadelta", batch_size=16, penalty="l2", eta0=1.0), {}, {}),
    "adam": (dict(optimizer="adam", batch_size=None, penalty="l1"), {}, {}),
    "amsgrad": (
        dict(optimizer="amsgrad", batch_size=1, penalty="elasticnet", max_iter=20), {}, {},
    ),
    "adamax": (
        dict(optimizer="adamax", batch_size=16, penalty=None, learning_rate="cosine"), {}, {},
    ),
    "nadam": (
        dict(optimizer="nadam", batch_size=None, penalty="l2", learning_rate="exponential",
             eta0=0.1),
        {}, {},
    ),
    "early_stopping": (
        dict(optimizer="adam", batch_size=None, penalty="l2", early_stopping=True,
             validation_fraction=0.3),
        {}, {},
    ),
    "average": (dict(optimizer="adam", batch_size=None, penalty="l2", average=True), {}, {}),
    # nested parameter objects instead of aliases: clone / get_params(deep) /
    # set_params and "fit does not mutate its parameters" are checked on them too
    "objects": (
        dict(optimizer=Adam(beta1=0.8, amsgrad=True), eta0=0.05,
             learning_rate=Step(gamma=0.5, step_size=50),
             batch_size=None, penalty="elasticnet", l1_ratio=0.5),
        {}, {},
    ),
    "average_int": (
        dict(optimizer="rmsprop", batch_size=8, penalty="elasticnet", average=10),
        {}, {},
    ),
}


_SW_CHECKS = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)

_REASON_MINIBATCH = (
    "stochastic mini-batches: repeating a row k times changes which rows share a "
    "(shuffled) batch and how many updates an epoch makes, so the trajectory differs "
    "from giving that row weight k; the two fits minimise the same objective but stop "
    "at different points. Full-batch rows of this table pass this check."
)
_REASON_SPLIT = (
    "early_stopping draws its validation split over rows: a row repeated k times can "
    "land in both the training and the validation part, a row of weight k in only one, "
    "so the fitted data differ."
)
_REASON_PER_SAMPLE_WEIGHTS = (
    "batch_size=1: each update is the weighted *mean* gradient of a one-row batch "
    "(API.md, numerical conventions), so a row's sample/class weight cancels out of "
    "its own update; class_weight cannot tilt per-sample SGD, which this check needs."
)
_REASON_DEFAULT_DIVERGES = (
    "these three checks fit unscaled N(100, 1) features, where the squared-error "
    "Hessian has eigenvalue ~1e4, so a plain gradient step of eta0=0.01 (the default, "
    "chosen for standardized features, see test_defaults.py) is unstable. The estimator "
    "then raises its documented divergence ValueError, as API.md requires, instead of "
    "returning coefficients of 1e11 as sklearn's SGDRegressor does. Every other check "
    "passes at the defaults, and all three pass for the configurations above that use a "
    "scale-appropriate eta0 or an adaptive optimizer."
)
_REASON_UNSCALED_CLASSIFIER = (
    "these three checks fit unscaled N(100, 1) features; full-batch plain SGD (with or "
    "without momentum) at eta0=0.01 jumps the logits by ~1e2 a step there and ends with "
    "a mean log loss ~50x that of the zero model, which the estimator refuses to return "
    "as a fit (documented divergence ValueError). A scale-appropriate eta0 (< ~4e-4) "
    "passes them but is then too slow for check_class_weight_classifiers on this row."
)
_REASON_PARTIAL_FIT_EARLY_STOPPING = (
    "partial_fit raises ValueError with early_stopping=True, as sklearn's own "
    "SGDClassifier/SGDRegressor do ('early_stopping should be False with partial_fit'): "
    "one pass over a caller's batch has no held-out data to stop on; these checks call "
    "partial_fit with the estimator's parameters unchanged."
)
_PARTIAL_FIT_CHECKS = (
    "check_fit_score_takes_y",
    "check_n_features_in_after_fitting",
    "check_estimators_partial_fit_n_features",
)
_REASON_EARLY_STOPPING_CLASS_WEIGHT = (
    "early_stopping keeps the epoch of best validation accuracy weighted by sample x "
    "class weights. With this check's class_weight {0: 1000, others: 1e-4}, an early "
    "epoch that gets every class-0 validation row right *and* a few other rows too "
    "scores strictly higher (0.99999994, epoch 1) than the converged 'always class 0' "
    "model (0.99999989) that the check expects (>87% of test predictions class 0). "
    "The same configuration without early_stopping passes."
)
# Which of the three unscaled checks end above the bar depends on each check's
# (seeded, so fixed) data: the final objective exceeds 10x the zero model's in the
# listed ones (e.g. 36, ~50x log 2, in check_fit_idempotent) and stays below in the others.
_UNSCALED_CLASSIFIER_FAILS = {
    "sgd": ("check_fit_idempotent", "check_fit_check_is_fitted"),
    "momentum": ("check_fit_check_is_fitted", "check_n_features_in"),
}
_UNSCALED_CHECKS = ("check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in")


def _expected_failed_checks(estimator):
    """Checks expected to fail for this configuration, each with its reason."""
    params = estimator.get_params()
    failures = {}
    if params["batch_size"] is not None and params["batch_size"] < SW_CHECK_ROWS:
        failures.update(dict.fromkeys(_SW_CHECKS, _REASON_MINIBATCH))
    if params["early_stopping"]:
        failures.update(dict.fromkeys(_SW_CHECKS, _REASON_SPLIT))
        failures.update(dict.fromkeys(_PARTIAL_FIT_CHECKS, _REASON_PARTIAL_FIT_EARLY_STOPPING))
    if isinstance(estimator, SGDLogisticClassifier) and params["batch_size"] == 1:
        failures["check_class_weight_classifiers"] = _REASON_PER_SAMPLE_WEIGHTS
    if isinstance(estimator, SGDLogisticClassifier) and params["early_stopping"]:
        failures["check_class_weight_classifiers"] = _REASON_EARLY_STOPPING_CLASS_WEIGHT
    default = type(estimator)(random_state=params["random_state"]).get_params()
    if isinstance(estimator, SGDLinearRegressor) and params == default:
        failures.update(dict.fromkeys(_UNSCALED_CHECKS, _REASON_DEFAULT_DIVERGES))
    if (isinstance(estimator, SGDLogisticClassifier) and params["batch_size"] is None
            and params["optimizer"] in _UNSCALED_CLASSIFIER_FAILS and params["eta0"] >= 1e-3):
        failures.update(dict.fromkeys(_UNSCALED_CLASSIFIER_FAILS[params["optimizer"]],
                                      _REASON_UNSCALED_CLASSIFIER))
    return failures


def _estimators():
    for config_id, (shared, reg, clf) in CONFIGS.items():
        base = {} if config_id == "defaults" else {"max_iter": MAX_ITER}
        for cls, override in ((SGDLinearRegressor, reg), (SGDLogisticClassifier, clf)):
            yield cls(**{**base, **shared, **override, "random_state": 0})


@parametrize_with_checks(
    list(_estimators()), expected_failed_checks=_expected_failed_checks, xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
