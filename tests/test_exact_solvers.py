"""Run to convergence, the estimators land on scikit-learn's exact solvers.

Full batch (``batch_size=None``), ``shuffle=False``, ``tol=None`` and enough
epochs: the iterates converge to the minimiser of the documented objective
(API.md)

    J(w, b) = sum_i s_i l(y_i, x_i.w + b) / sum_i s_i + alpha R(w),

which is, with the parameter mappings below, the problem each exact solver
solves (each mapping derived from the solver's own docstring/source in
scikit-learn 1.9; ``r_i = y_i - x_i.w - b``, ``S = sum_i s_i``):

* ``LinearRegression``: ``sum s_i r_i^2`` -> ``penalty=None``.
* ``Ridge(a)``: ``sum s_i r_i^2 + a ||w||^2`` -> ``"l2"``, ``alpha = a / S``
  (multiply ``J`` by ``2 S``).
* ``Lasso(a)``: ``sum s_i r_i^2 / (2 S) + a ||w||_1`` -> ``"l1"``, ``alpha = a``
  (sklearn rescales weights to sum to ``n``).
* ``ElasticNet(a, rho)``: ``sum s_i r_i^2 / (2 S) + a rho ||w||_1
  + a (1 - rho) ||w||^2 / 2`` -> ``"elasticnet"``, ``alpha = a``, ``l1_ratio = rho``.
* ``LogisticRegression(C)`` (lbfgs): ``sum s_i logloss_i / S + ||w||^2 / (2 C S)``
  -> ``"l2"``, ``alpha = 1 / (C S)`` (``_logistic.py``: ``l2_reg_strength =
  1 / (C * sw_sum)`` on the weighted mean loss).
* ``LogisticRegression(C, l1_ratio=1, solver="saga")``: ``||w||_1 / (C n)`` on
  the mean loss (``_sag.py``: ``beta_scaled = beta / n_samples``) -> ``"l1"``,
  ``alpha = 1 / (C n)`` (tested unweighted).

The L1 part is a proximal step taken in each optimizer's own metric, so the
fixed point of *every* optimizer is the Lasso solution, zeros included; the
Lasso tests check that claim for the whole optimizer table.

Step sizes: plain and momentum SGD use ``eta0 = 1 / L`` with ``L`` the largest
eigenvalue of the (curvature-bounded) Gram matrix of ``[X, 1]``; the adaptive
optimizers anneal a data-scaled ``eta0`` to zero with the cosine schedule.
"""

import warnings
from functools import lru_cache

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.datasets import (
    load_breast_cancer, load_diabetes, load_iris, load_linnerud, load_wine,
)
from sklearn.linear_model import (
    ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge, SGDRegressor,
)
from sklearn.preprocessing import StandardScaler

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

EXACT = dict(tol=1e-15, max_iter=1_000_000)  # coordinate descent to round-off
FULL_BATCH = dict(batch_size=None, shuffle=False, tol=None)


# --------------------------------------------------------------------------- #
# Data: scikit-learn's bundled datasets, X standardized
# --------------------------------------------------------------------------- #


@lru_cache(maxsize=None)
def regression_data(name):
    """``(X, y, step)``: standardized X, raw y, and the scale of an Adam-type step."""
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        step = 1.0  # y ~ 150 +- 77, coefficients up to ~25
    elif name == "wine":  # alcohol content from the 12 other measurements
        data = load_wine().data
        X, y, step = data[:, 1:], data[:, 0], 0.1  # y ~ 13 +- 0.8
    elif name == "linnerud":  # 3 targets: weight, waist, pulse
        X, y = load_linnerud(return_X_y=True)
        step = 1.0
    else:
        raise KeyError(name)
    X = StandardScaler().fit_transform(X)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y, step


@lru_cache(maxsize=None)
def classification_data(name):
    loader = {"breast_cancer": load_breast_cancer, "iris": load_iris, "wine": load_wine}[name]
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X.setflags(write=False)
    return X, y


def lipschitz(X, sample_weight=None, curvature=1.0):
    """Largest eigenvalue of ``curvature * [X, 1]' diag(s) [X, 1] / sum(s)``."""
    s = np.ones(len(X)) if sample_weight is None else sample_weight
    Xa = np.column_stack([X, np.ones(len(X))])
    gram = (Xa * s[:, None]).T @ Xa / s.sum()
    return curvature * np.linalg.eigvalsh(gram).max()


def seeded_weights(n, seed=0):
    return np.random.default_rng(seed).integers(1, 4, size=n).astype(float)


# --------------------------------------------------------------------------- #
# Optimizer table: (learning_rate, eta0 rule, epochs)
# --------------------------------------------------------------------------- #

#: eta0 rule: ("L", c) -> c / L ; ("step", c) -> c * the dataset's step scale
OPTIMIZER_SETTINGS = {
    "sgd": ("constant", ("L", 1.0), 6000),
    "momentum": ("constant", ("L", 0.5), 1500),
    "nesterov": ("constant", ("L", 1.0), 1500),
    "adagrad": ("constant", ("step", 5.0), 3000),
    "rmsprop": ("cosine", ("step", 0.3), 3000),
    "adam": ("cosine", ("step", 1.0), 3000),
    "amsgrad": ("cosine", ("step", 1.0), 3000),
    "adamax": ("cosine", ("step", 1.0), 3000),
    "nadam": ("cosine", ("step", 1.0), 3000),
}


def gd_params(optimizer, L, step, **overrides):
    """Constructor kwargs for a full-batch run of ``optimizer`` to convergence."""
    learning_rate, (kind, c), epochs = OPTIMIZER_SETTINGS[optimizer]
    eta0 = c / L if kind == "L" else c * step
    params = dict(optimizer=optimizer, learning_rate=learning_rate, eta0=eta0,
                  max_iter=epochs, **FULL_BATCH)
    params.update(overrides)
    return params


def rel_err(a, b):
    return np.linalg.norm(np.ravel(a) - np.ravel(b)) / np.linalg.norm(np.ravel(b))


def assert_same_support(coef, ref_coef):
    """Exact zeros exactly where the exact solver has them (and nowhere else)."""
    assert_array_equal(np.asarray(coef) == 0, np.asarray(ref_coef) == 0)


def assert_lasso_well_posed(X, y, ref, l1, sample_weight=None):
    """The reference's zero pattern is not a knife-edge: a fair target to match.

    Every nonzero is clearly nonzero and every zero coordinate's gradient is
    clearly inside the subdifferential ``[-l1, l1]`` (KKT with a margin).
    """
    s = np.ones(len(X)) if sample_weight is None else sample_weight
    residual = (y - ref.predict(X)).reshape(len(X), -1)
    grad = np.abs(X.T @ (s[:, None] * residual) / s.sum()).T.reshape(ref.coef_.shape)
    zero = ref.coef_ == 0
    assert zero.any() and (~zero).any()
    assert np.abs(ref.coef_[~zero]).min() > 1e-3 * np.abs(ref.coef_).max()
    assert grad[zero].max() < 0.99 * l1


# --------------------------------------------------------------------------- #
# Least squares: LinearRegression and Ridge
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam"])
@pytest.mark.parametrize("dataset", ["diabetes", "wine", "linnerud"])
def test_linear_regression(dataset, optimizer):
    X, y, step = regression_data(dataset)
    ref = LinearRegression().fit(X, y)
    est = SGDLinearRegressor(penalty=None, **gd_params(optimizer, lipschitz(X), step))
    est.fit(X, y)
    assert np.shape(est.coef_) == np.shape(ref.coef_)
    assert rel_err(est.coef_, ref.coef_) < 1e-3
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-4)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dataset, alpha", [("diabetes", 0.1), ("diabetes", 1.0),
                                            ("wine", 0.05), ("linnerud", 0.5)])
def test_ridge(dataset, alpha, optimizer, weighted):
    """``Ridge(a)`` minimises ``sum s r^2 + a ||w||^2``, i.e. ``alpha = a / sum(s)``."""
    X, y, step = regression_data(dataset)
    s = seeded_weights(len(X)) if weighted else np.ones(len(X))
    ref = Ridge(alpha=alpha * s.sum(), solver="cholesky").fit(X, y, sample_weight=s)
    L = lipschitz(X, s) + alpha
    est = SGDLinearRegressor(penalty="l2", alpha=alpha, **gd_params(optimizer, L, step))
    est.fit(X, y, sample_weight=s if weighted else None)
    assert rel_err(est.coef_, ref.coef_) < 1e-4
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-5)


def test_ridge_alpha_mapping_is_not_vacuous():
    """The Ridge test would catch a mapping off by the factor n (or 2)."""
    X, y, _ = regression_data("diabetes")
    n = len(X)
    right = Ridge(alpha=1.0 * n).fit(X, y).coef_
    for wrong in (Ridge(alpha=1.0).fit(X, y).coef_, Ridge(alpha=2.0 * n).fit(X, y).coef_):
        assert rel_err(wrong, right) > 1e-2


# --------------------------------------------------------------------------- #
# L1: Lasso and ElasticNet, for every optimizer
# --------------------------------------------------------------------------- #

LASSO_CASES = [("diabetes", 2.0), ("wine", 0.04)]


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZER_SETTINGS))
@pytest.mark.parametrize("dataset, alpha", LASSO_CASES)
def test_lasso_fixed_point_of_every_optimizer(dataset, alpha, optimizer):
    X, y, step = regression_data(dataset)
    ref = Lasso(alpha=alpha, **EXACT).fit(X, y)
    assert_lasso_well_posed(X, y, ref, alpha)
    est = SGDLinearRegressor(penalty="l1", alpha=alpha,
                             **gd_params(optimizer, lipschitz(X), step)).fit(X, y)
    assert_same_support(est.coef_, ref.coef_)
    assert rel_err(est.coef_, ref.coef_) < 1e-4
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-4)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_weighted_lasso(optimizer):
    """sklearn rescales weights to sum to n: ``sum s r^2 / (2 sum s) + a ||w||_1``."""
    X, y, step = regression_data("diabetes")
    s, alpha = seeded_weights(len(X), seed=1), 2.0
    ref = Lasso(alpha=alpha, **EXACT).fit(X, y, sample_weight=s)
    assert_lasso_well_posed(X, y, ref, alpha, sample_weight=s)
    est = SGDLinearRegressor(penalty="l1", alpha=alpha,
                             **gd_params(optimizer, lipschitz(X, s), step))
    est.fit(X, y, sample_weight=s)
    assert_same_support(est.coef_, ref.coef_)
    assert rel_err(est.coef_, ref.coef_) < 1e-4


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_multi_output_lasso(optimizer):
    """2-D y: sklearn's ``Lasso`` is one Lasso per target (||W||_11), as ours."""
    X, Y, step = regression_data("linnerud")
    alpha = 1.0
    ref = Lasso(alpha=alpha, **EXACT).fit(X, Y)
    assert_lasso_well_posed(X, Y, ref, alpha)
    est = SGDLinearRegressor(penalty="l1", alpha=alpha,
                             **gd_params(optimizer, lipschitz(X), step)).fit(X, Y)
    assert_same_support(est.coef_, ref.coef_)
    assert rel_err(est.coef_, ref.coef_) < 1e-4
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-5)


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam"])
@pytest.mark.parametrize("dataset, alpha, l1_ratio", [("diabetes", 4.0, 0.5),
                                                      ("wine", 0.03, 0.5)])
def test_elastic_net(dataset, alpha, l1_ratio, optimizer):
    """``ElasticNet(a, r)``: ``... + a r ||w||_1 + a (1 - r) ||w||^2 / 2``, same as ours."""
    X, y, step = regression_data(dataset)
    ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, **EXACT).fit(X, y)
    # on a zero coordinate the L2 gradient vanishes: KKT is |data gradient| <= alpha r
    assert_lasso_well_posed(X, y, ref, alpha * l1_ratio)
    L = lipschitz(X) + alpha * (1.0 - l1_ratio)  # the L2 part adds curvature
    est = SGDLinearRegressor(penalty="elasticnet", alpha=alpha, l1_ratio=l1_ratio,
                             **gd_params(optimizer, L, step)).fit(X, y)
    assert_same_support(est.coef_, ref.coef_)
    assert rel_err(est.coef_, ref.coef_) < 1e-4
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-4)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dataset, alpha", LASSO_CASES)
def test_averaged_lasso_keeps_exact_zeros(dataset, alpha, optimizer):
    """``average=True`` averages from the first update, so the early iterates bias
    the values a little (loose tolerance) -- but the zeros must stay exact."""
    X, y, step = regression_data(dataset)
    ref = Lasso(alpha=alpha, **EXACT).fit(X, y)
    est = SGDLinearRegressor(penalty="l1", alpha=alpha, average=True,
                             **gd_params(optimizer, lipschitz(X), step)).fit(X, y)
    assert_same_support(est.coef_, ref.coef_)
    assert rel_err(est.coef_, ref.coef_) < 2e-2


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_averaging_started_late_is_exact(optimizer):
    """``average=int`` starts after that many samples: averaging converged iterates."""
    X, y, step = regression_data("diabetes")
    params = gd_params(optimizer, lipschitz(X), step)
    params["average"] = len(X) * (params["max_iter"] // 2)
    ref = Lasso(alpha=2.0, **EXACT).fit(X, y)
    est = SGDLinearRegressor(penalty="l1", alpha=2.0, **params).fit(X, y)
    assert_same_support(est.coef_, ref.coef_)
    assert rel_err(est.coef_, ref.coef_) < 1e-6


def test_sklearn_averaged_sgd_loses_lasso_zeros_ours_keeps_them():
    """Contrast with ``SGDRegressor(penalty="l1", average=True)``.

    Measured with scikit-learn 1.9.1 on standardized diabetes, alpha=2
    (Lasso has 3 exact zeros, at features 0, 5 and 7):

    * ``SGDRegressor(penalty="l1", alpha=2, average=True, random_state=0)``:
      0 exact zeros, relative coefficient error 0.66 -- the average of
      truncated-gradient iterates is dense;
    * same with ``max_iter=5000, tol=None``: 0 zeros, coefficients of
      magnitude ~650 (relative error ~48);
    * without averaging: 2 of the 3 zeros, relative error 0.086.

    Ours (full batch, ``average=True``) masks the average by the L1 support of
    the iterate, so its zeros are Lasso's.
    """
    X, y, step = regression_data("diabetes")
    alpha = 2.0
    ref = Lasso(alpha=alpha, **EXACT).fit(X, y)
    ours = SGDLinearRegressor(penalty="l1", alpha=alpha, average=True,
                              **gd_params("sgd", lipschitz(X), step)).fit(X, y)
    assert_same_support(ours.coef_, ref.coef_)
    assert rel_err(ours.coef_, ref.coef_) < 2e-2

    theirs = SGDRegressor(penalty="l1", alpha=alpha, average=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
    # Deliberately loose: the averaged sklearn solution has fewer exact zeros.
    assert (theirs.coef_ == 0).sum() < (ref.coef_ == 0).sum()


# --------------------------------------------------------------------------- #
# Logistic regression: binary sigmoid and multinomial softmax
# --------------------------------------------------------------------------- #

LOGISTIC_SETTINGS = {  # curvature of the log loss: <= 1/4 (sigmoid), <= 1/2 (softmax)
    "sgd": ("constant", "L", 1.0, 3000),
    "nesterov": ("constant", "L", 1.0, 1500),
    "adam": ("cosine", "fixed", 0.1, 3000),
}


def logistic_params(optimizer, X, n_classes):
    learning_rate, kind, c, epochs = LOGISTIC_SETTINGS[optimizer]
    L = lipschitz(X, curvature=0.25 if n_classes == 2 else 0.5)
    eta0 = c / L if kind == "L" else c
    return dict(optimizer=optimizer, learning_rate=learning_rate, eta0=eta0,
                max_iter=epochs, **FULL_BATCH)


def assert_logistic_matches(est, ref, X, atol_proba=2e-3):
    assert_array_equal(est.classes_, ref.classes_)
    assert est.coef_.shape == ref.coef_.shape
    assert_allclose(est.predict_proba(X), ref.predict_proba(X), rtol=0, atol=atol_proba)
    assert_allclose(est.coef_, ref.coef_, rtol=0, atol=1e-2 * np.abs(ref.coef_).max())


@pytest.mark.parametrize("optimizer, C", [("sgd", 0.1), ("nesterov", 0.1), ("adam", 0.1),
                                          ("adam", 1.0)])
def test_binary_logistic_regression(optimizer, C):
    X, y = classification_data("breast_cancer")
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    est = SGDLogisticClassifier(penalty="l2", alpha=1.0 / (C * len(X)),
                                **logistic_params(optimizer, X, 2)).fit(X, y)
    assert_logistic_matches(est, ref, X)


@pytest.mark.parametrize("optimizer", ["nesterov", "adam"])
@pytest.mark.parametrize("dataset", ["iris", "wine"])
def test_multinomial_logistic_regression(dataset, optimizer):
    X, y = classification_data(dataset)
    C = 1.0
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y)
    est = SGDLogisticClassifier(penalty="l2", alpha=1.0 / (C * len(X)),
                                **logistic_params(optimizer, X, 3)).fit(X, y)
    assert_logistic_matches(est, ref, X)


def test_weighted_logistic_regression():
    """Weighted mean loss: ``alpha = 1 / (C sum s)``."""
    X, y = classification_data("breast_cancer")
    s, C = seeded_weights(len(X), seed=2), 0.1
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y, sample_weight=s)
    est = SGDLogisticClassifier(penalty="l2", alpha=1.0 / (C * s.sum()),
                                **logistic_params("nesterov", X, 2))
    est.fit(X, y, sample_weight=s)
    assert_logistic_matches(est, ref, X)


@pytest.mark.parametrize("optimizer", ["nesterov", "adam"])
def test_l1_logistic_regression(optimizer):
    """``LogisticRegression(l1_ratio=1, solver="saga")``: same zeros, same probabilities."""
    X, y = classification_data("breast_cancer")
    C = 0.05
    ref = LogisticRegression(C=C, l1_ratio=1.0, solver="saga", tol=1e-10,
                             max_iter=100_000).fit(X, y)
    assert (ref.coef_ == 0).any()
    est = SGDLogisticClassifier(penalty="l1", alpha=1.0 / (C * len(X)),
                                **logistic_params(optimizer, X, 2)).fit(X, y)
    assert_same_support(est.coef_, ref.coef_)
    assert_logistic_matches(est, ref, X, atol_proba=1e-4)
