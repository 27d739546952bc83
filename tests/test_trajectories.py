"""Fitted coefficients equal a reference run of the documented objective.

With ``shuffle=False, tol=None`` training is deterministic: epochs of consecutive
row slices, one optimizer update per slice, ``t`` counting updates.  The expected
``(coef_, intercept_)`` is :func:`_reference.reference_run` over ``theta = (w, b)``
with the gradient of the weighted-mean loss (plus ``alpha * w`` for l2).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from _reference import (
    OPTIMIZER_ALIASES,
    batch_slices,
    make_grad_fn,
    reference_rate,
    reference_run,
)

skopt_gd = pytest.importorskip("skopt_gd")
schedules = pytest.importorskip("skopt_gd.schedules")

RTOL, ATOL = 1e-10, 1e-12
N_SAMPLES, N_FEATURES, N_EPOCHS = 23, 4, 3
BATCH_SIZES = [None, 1, 7]  # 7 -> slices of 7, 7, 7, 2

#: base rate per alias: large enough to move, small enough not to diverge
ETA0 = {
    "sgd": 0.1,
    "momentum": 0.03,
    "nesterov": 0.03,
    "adagrad": 0.2,
    "rmsprop": 0.01,
    "adadelta": 1.0,
    "adam": 0.05,
    "amsgrad": 0.05,
    "adamax": 0.05,
    "nadam": 0.05,
}
ALIASES = sorted(OPTIMIZER_ALIASES)
assert set(ETA0) == set(ALIASES)

MODELS = ["regressor", "binary", "multinomial"]


# --------------------------------------------------------------------------- #
# Data and the expected trajectory
# --------------------------------------------------------------------------- #


def make_data(model, seed=0, n=N_SAMPLES, d=N_FEATURES):
    """Seeded data; labels deliberately not {0, 1} to exercise classes_."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    if model == "regressor":
        y = X @ w + 0.7 + 0.1 * rng.normal(size=n)
        return X, y
    if model == "binary":
        labels = np.array([-3, 5])
        y = labels[(X @ w + 0.3 * rng.normal(size=n) > 0).astype(int)]
        y[:2] = labels  # both classes present
        return X, y
    labels = np.array(["ant", "bee", "cat"])
    W = rng.normal(size=(3, d))
    y = labels[np.argmax(X @ W.T + 0.3 * rng.normal(size=(n, 3)), axis=1)]
    y[:3] = labels
    return X, y


def encode(model, y, classes):
    """Regression target, {0,1} for classes_[1], or one-hot in classes_ order."""
    if model == "regressor":
        return "squared_error", np.asarray(y, float), ()
    if model == "binary":
        return "binary", (y == classes[1]).astype(float), ()
    return "multinomial", (y[:, None] == classes[None, :]).astype(float), (len(classes),)


def expected_fit(model, optimizer, X, y, *, eta0, batch_size, n_epochs, alpha=0.0,
                 sample_weight=None, lrs=None, fit_intercept=True):
    """Reference (coef, intercept, n_batches) after ``n_epochs`` passes over X."""
    classes = np.unique(y)
    loss, target, lead = encode(model, y, classes)
    batches = batch_slices(X.shape[0], batch_size)
    grad_fn = make_grad_fn(loss, X, target, sample_weight, batches, alpha, fit_intercept)
    n_updates = n_epochs * len(batches)
    if lrs is None:
        lrs = [eta0] * n_updates
    theta0 = np.zeros(lead + (X.shape[1] + 1,))
    theta = reference_run(optimizer, {}, grad_fn, theta0, lrs)[-1]
    assert np.all(np.isfinite(theta))
    coef, intercept = theta[..., :-1], theta[..., -1]
    if model == "binary":
        coef, intercept = coef[None, :], np.array([intercept])
    return coef, intercept, len(batches)


def make_estimator(model, optimizer, **params):
    base = dict(
        optimizer=optimizer,
        learning_rate="constant",
        shuffle=False,
        tol=None,
        penalty=None,
        early_stopping=False,
        average=False,
        fit_intercept=True,
        random_state=0,
    )
    base.update(params)
    if model == "regressor":
        return skopt_gd.SGDLinearRegressor(loss="squared_error", **base)
    return skopt_gd.SGDLogisticClassifier(**base)


def assert_fitted(est, coef, intercept):
    assert est.coef_.shape == coef.shape
    assert np.shape(est.intercept_) == np.shape(intercept)
    assert_allclose(est.coef_, coef, rtol=RTOL, atol=ATOL)
    assert_allclose(est.intercept_, intercept, rtol=RTOL, atol=ATOL)
    # the trajectory went somewhere: the comparison is not between two zeros
    assert np.abs(coef).max() > 1e-3


# --------------------------------------------------------------------------- #
# fit: every alias x model x batch size x penalty
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("penalty", [None, "l2"])
@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "b1", "b7"])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("optimizer", ALIASES)
def test_fit_matches_reference_trajectory(optimizer, model, batch_size, penalty):
    X, y = make_data(model)
    alpha = 0.05 if penalty == "l2" else 0.0
    coef, intercept, n_batches = expected_fit(
        model, optimizer, X, y, eta0=ETA0[optimizer], batch_size=batch_size,
        n_epochs=N_EPOCHS, alpha=alpha,
    )
    extra = {"alpha": alpha} if penalty else {}
    est = make_estimator(
        model, optimizer, eta0=ETA0[optimizer], batch_size=batch_size,
        max_iter=N_EPOCHS, penalty=penalty, **extra,
    )
    X_in, y_in = X.copy(), y.copy()
    est.fit(X, y)
    assert_fitted(est, coef, intercept)
    assert est.n_iter_ == N_EPOCHS
    assert est.t_ == N_EPOCHS * n_batches
    assert len(est.loss_curve_) == N_EPOCHS
    if model != "regressor":
        assert list(est.classes_) == list(np.unique(y))
    np.testing.assert_array_equal(X, X_in)
    np.testing.assert_array_equal(y, y_in)


def test_l2_penalty_changes_the_trajectory():
    """Guards the l2 cases above against a penalty that is silently ignored."""
    X, y = make_data("regressor")
    plain = make_estimator("regressor", "sgd", eta0=0.1, max_iter=3).fit(X, y)
    ridge = make_estimator("regressor", "sgd", eta0=0.1, max_iter=3, penalty="l2",
                           alpha=0.05).fit(X, y)
    assert np.abs(plain.coef_ - ridge.coef_).max() > 1e-4


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adadelta", "nadam"])
def test_fit_without_intercept(optimizer, model):
    X, y = make_data(model, seed=4)
    coef, intercept, _ = expected_fit(
        model, optimizer, X, y, eta0=ETA0[optimizer], batch_size=7, n_epochs=N_EPOCHS,
        fit_intercept=False,
    )
    assert np.all(intercept == 0)
    est = make_estimator(model, optimizer, eta0=ETA0[optimizer], batch_size=7,
                         max_iter=N_EPOCHS, fit_intercept=False).fit(X, y)
    assert_allclose(est.coef_, coef, rtol=RTOL, atol=ATOL)
    assert_allclose(est.intercept_, 0.0, atol=0)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("optimizer", ALIASES)
def test_sparse_input_follows_the_same_trajectory(optimizer, model):
    X, y = make_data(model, seed=5)
    X[np.abs(X) < 0.5] = 0.0
    coef, intercept, _ = expected_fit(
        model, optimizer, X, y, eta0=ETA0[optimizer], batch_size=7, n_epochs=N_EPOCHS,
    )
    est = make_estimator(model, optimizer, eta0=ETA0[optimizer], batch_size=7,
                         max_iter=N_EPOCHS).fit(sp.csr_matrix(X), y)
    assert_fitted(est, coef, intercept)


# --------------------------------------------------------------------------- #
# sample_weight: the unbiased estimate sum_B s_i grad_i / (|B| s_bar) of each batch
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("batch_size", BATCH_SIZES, ids=["full", "b1", "b7"])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("optimizer", ALIASES)
def test_sample_weight_is_a_weighted_mean(optimizer, model, batch_size):
    X, y = make_data(model, seed=1)
    s = np.random.default_rng(11).uniform(0.2, 3.0, size=X.shape[0])
    coef, intercept, n_batches = expected_fit(
        model, optimizer, X, y, eta0=ETA0[optimizer], batch_size=batch_size,
        n_epochs=N_EPOCHS, sample_weight=s,
    )
    est = make_estimator(model, optimizer, eta0=ETA0[optimizer], batch_size=batch_size,
                         max_iter=N_EPOCHS)
    s_in = s.copy()
    est.fit(X, y, sample_weight=s)
    assert_fitted(est, coef, intercept)
    assert est.t_ == N_EPOCHS * n_batches
    np.testing.assert_array_equal(s, s_in)
    # scale-free: s_bar scales with the weights
    scaled = make_estimator(model, optimizer, eta0=ETA0[optimizer], batch_size=batch_size,
                            max_iter=N_EPOCHS).fit(X, y, sample_weight=10.0 * s)
    assert_allclose(scaled.coef_, coef, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("model", MODELS)
def test_sample_weight_ignored_direction_would_differ(model):
    """Guards the weighted-mean test: unit weights give a different fit."""
    X, y = make_data(model, seed=1)
    s = np.random.default_rng(11).uniform(0.2, 3.0, size=X.shape[0])
    coef_w, _, _ = expected_fit(model, "sgd", X, y, eta0=0.1, batch_size=None,
                                n_epochs=N_EPOCHS, sample_weight=s)
    est = make_estimator(model, "sgd", eta0=0.1, max_iter=N_EPOCHS).fit(X, y)
    assert np.abs(est.coef_ - coef_w).max() > 1e-4


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_integer_weight_equals_repeated_row_full_batch(optimizer, model):
    X, y = make_data(model, seed=2)
    s = np.ones(X.shape[0])
    s[[0, 5, 9]] = [2.0, 3.0, 2.0]
    rows = np.repeat(np.arange(X.shape[0]), s.astype(int))
    weighted = make_estimator(model, optimizer, eta0=ETA0[optimizer], max_iter=N_EPOCHS)
    repeated = make_estimator(model, optimizer, eta0=ETA0[optimizer], max_iter=N_EPOCHS)
    weighted.fit(X, y, sample_weight=s)
    repeated.fit(X[rows], y[rows])
    assert_allclose(weighted.coef_, repeated.coef_, rtol=RTOL, atol=ATOL)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- #
# partial_fit continues the same trajectory
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("batch_size", [None, 7], ids=["full", "b7"])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("optimizer", ALIASES)
def test_partial_fit_twice_continues_the_trajectory(optimizer, model, batch_size):
    X, y = make_data(model, seed=3)
    classes = np.unique(y)
    coef, intercept, n_batches = expected_fit(
        model, optimizer, X, y, eta0=ETA0[optimizer], batch_size=batch_size, n_epochs=2,
    )
    est = make_estimator(model, optimizer, eta0=ETA0[optimizer], batch_size=batch_size,
                         max_iter=N_EPOCHS)
    kwargs = {} if model == "regressor" else {"classes": classes}
    est.partial_fit(X, y, **kwargs)
    assert est.t_ == n_batches
    est.partial_fit(X, y, **kwargs)
    assert est.t_ == 2 * n_batches
    assert_fitted(est, coef, intercept)
    # and two epochs of fit land on the same point
    fitted = make_estimator(model, optimizer, eta0=ETA0[optimizer], batch_size=batch_size,
                            max_iter=2).fit(X, y)
    assert_allclose(fitted.coef_, est.coef_, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("optimizer", ALIASES)
def test_partial_fit_on_chunks_is_one_trajectory(optimizer, model):
    """Two different chunks: the second call resumes state and t from the first."""
    X, y = make_data(model, seed=6, n=30)
    classes = np.unique(y)
    first, second = slice(0, 17), slice(17, 30)
    loss, target, lead = encode(model, y, classes)
    batch_size = 5  # chunks of 17 -> 5,5,5,2 ; 13 -> 5,5,3
    batches = [
        slice(first.start + b.start, first.start + b.stop) for b in batch_slices(17, batch_size)
    ] + [slice(second.start + b.start, second.start + b.stop) for b in batch_slices(13, batch_size)]
    grad_fn = make_grad_fn(loss, X, target, None, batches)
    theta0 = np.zeros(lead + (X.shape[1] + 1,))
    theta = reference_run(optimizer, {}, grad_fn, theta0, [ETA0[optimizer]] * len(batches))[-1]
    coef, intercept = theta[..., :-1], theta[..., -1]
    if model == "binary":
        coef, intercept = coef[None, :], np.array([intercept])

    est = make_estimator(model, optimizer, eta0=ETA0[optimizer], batch_size=batch_size)
    kwargs = {} if model == "regressor" else {"classes": classes}
    est.partial_fit(X[first], y[first], **kwargs)
    est.partial_fit(X[second], y[second], **kwargs)
    assert est.t_ == len(batches)
    assert_fitted(est, coef, intercept)


# --------------------------------------------------------------------------- #
# Schedules inside the loop: eta_t at update t, applied once
# --------------------------------------------------------------------------- #

SCHEDULE_CASES = [
    ("invscaling", "invscaling", {"power_t": 0.5}, {"learning_rate": "invscaling",
                                                    "power_t": 0.5}),
    ("exponential", "exponential", {"gamma": 0.8, "decay_steps": 2}, None),
    ("step", "step", {"gamma": 0.5, "step_size": 3}, None),
    ("cosine", "cosine", {"T_max": 9, "eta_min": 0.01}, None),
    ("adaptive-no-tol", "adaptive", {}, None),
]
_CLASS = {"exponential": "Exponential", "step": "Step", "cosine": "Cosine",
          "adaptive": "Adaptive"}


@pytest.mark.parametrize("model", ["regressor", "multinomial"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adadelta"])
@pytest.mark.parametrize(
    "case_id, alias, kwargs, est_params", SCHEDULE_CASES, ids=[c[0] for c in SCHEDULE_CASES]
)
def test_scheduled_learning_rate_trajectory(case_id, alias, kwargs, est_params, optimizer,
                                            model):
    X, y = make_data(model, seed=8)
    eta0 = ETA0[optimizer] * 2
    batch_size = 7
    n_updates = N_EPOCHS * len(batch_slices(X.shape[0], batch_size))
    lrs = [reference_rate(alias, kwargs, t, eta0) for t in range(1, n_updates + 1)]
    assert len(set(lrs)) > 1 or alias == "adaptive"
    coef, intercept, _ = expected_fit(
        model, optimizer, X, y, eta0=eta0, batch_size=batch_size, n_epochs=N_EPOCHS, lrs=lrs,
    )
    if est_params is None:
        est_params = {"learning_rate": getattr(schedules, _CLASS[alias])(**kwargs)}
    est = make_estimator(model, optimizer, eta0=eta0, batch_size=batch_size,
                         max_iter=N_EPOCHS, **est_params).fit(X, y)
    assert_fitted(est, coef, intercept)
    assert est.t_ == n_updates
