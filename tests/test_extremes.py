"""Numerical extremes: the estimators stay finite and right at the edges of float64.

Each case is checked against a reference derived independently of the code:
closed forms (minimum-norm least squares, exact gradients that vanish),
scikit-learn's exact solvers, or stable formulas written out here.

* feature scales 1e-150 and 1e150;
* constant, all-zero and duplicated columns;
* n_features >> n_samples;
* one sample per class;
* 1:10,000 class imbalance with ``class_weight="balanced"``;
* logits of +-1e4 (log loss, sigmoid and softmax must not overflow);
* all-zero sample weights (a clear error) and zero weights on some rows (no
  effect: the same fit as with those rows removed).
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd.optimizers import OPTIMIZERS as ALL_OPTIMIZERS

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
              "amsgrad", "adamax", "nadam", "radam", "rprop", "lion", "schedulefree_sgd",
              "schedulefree_adam", "prodigy"]
MODELS = ["regressor", "binary", "multinomial"]


def _with_l1(optimizer, penalty):
    """``penalty``, or ``"l2"`` in place of one with an L1 part for a rule that refuses
    it (sign-based and schedule-free: tests/test_optimizers_issue12.py, _lrfree.py)."""
    if penalty in ("l1", "elasticnet") and not ALL_OPTIMIZERS[optimizer]().l1_prox:
        return "l2"
    return penalty
DIVERGED = r"^Training diverged at epoch \d+: .*smaller eta0.*scale the features"


@pytest.fixture(autouse=True)
def _quiet_single_threaded():
    """No ConvergenceWarning noise; one BLAS thread (tall-skinny products on a shared
    2-core runner are 5-20x slower with OpenBLAS threads spinning)."""
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="With batch_size=1")  # weights act as 0/1
        yield


def data(model, n=40, d=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    score = X @ np.linspace(1.0, -1.0, d) + 0.3 * rng.randn(n)
    if model == "regressor":
        return X, score + 1.0
    if model == "binary":
        return X, (score > 0).astype(int)
    return X, np.digitize(score, [-0.5, 0.5])


def make(model, **params):
    """The estimator in the original coordinates (``preconditioning=None``): the step
    sizes here are stated in them; ``test_scale_free.py`` has the ``"auto"`` extremes."""
    cls = SGDLinearRegressor if model == "regressor" else SGDLogisticClassifier
    return cls(**{"random_state": 0, "preconditioning": None, **params})


def objective(est, X, y, zero=False):
    """API.md's J without penalty (every fit using it has ``penalty=None``)."""
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    b = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
    if zero:
        coef, b = np.zeros_like(coef), np.zeros_like(b)
    Z = np.asarray(X, dtype=np.float64) @ coef.T + b
    if isinstance(est, SGDLinearRegressor):
        return float(np.mean(0.5 * (Z[:, 0] - y) ** 2))
    idx = np.searchsorted(est.classes_, y)
    if Z.shape[1] == 1:
        return float(np.mean(np.logaddexp(0.0, Z[:, 0]) - idx * Z[:, 0]))
    return float(np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), idx]))


# --------------------------------------------------------------------------- #
# Feature scales 1e-150 and 1e150
# --------------------------------------------------------------------------- #


def _fit_or_diverged(est, X, y, allowed=True):
    """Fit ``est``; ``False`` if it raised the documented divergence error (only where
    ``allowed``) and was left unfitted, ``True`` if it fitted."""
    try:
        est.fit(X, y)
    except ValueError as exc:
        if not allowed:
            raise
        assert re.match(DIVERGED, str(exc)), exc
        assert not hasattr(est, "coef_")
        return False
    return True


@pytest.mark.parametrize("batch_size", [None, 8])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("scale", [1e-150, 1e150])
def test_extreme_feature_scales_fit_or_raise_the_documented_error(scale, model, batch_size):
    """Every optimizer: finite and no worse than the zero model, or the divergence error."""
    X, y = data(model)
    Xs = X * scale
    for optimizer in OPTIMIZERS:
        est = make(model, optimizer=optimizer, batch_size=batch_size, max_iter=30,
                   penalty=None)
        if not _fit_or_diverged(est, Xs, y):
            continue
        assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
        assert np.all(np.isfinite(est.predict(Xs)))
        if model != "regressor":
            proba = est.predict_proba(Xs)
            assert np.all(np.isfinite(proba))
            assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
        # training started at zero: the result must not be worse than that start
        assert objective(est, Xs, y) <= objective(est, Xs, y, zero=True) * (1 + 1e-9), optimizer


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("scale", [1e-150, 1e150])
def test_scaling_makes_extreme_features_fit_like_ordinary_ones(scale, model):
    """With StandardScaler in front, X * 1e+-150 fits exactly as X does."""
    X, y = data(model)
    params = dict(optimizer="sgd", learning_rate="constant", eta0=0.1, batch_size=None,
                  max_iter=50, tol=None, penalty=None)
    plain = make_pipeline(StandardScaler(), make(model, **params)).fit(X, y)
    extreme = make_pipeline(StandardScaler(), make(model, **params)).fit(X * scale, y)
    method = "predict" if model == "regressor" else "predict_proba"
    assert_allclose(getattr(extreme, method)(X * scale), getattr(plain, method)(X),
                    rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- #
# Constant, all-zero and duplicated columns
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("penalty", [None, "l2", "l1"])
@pytest.mark.parametrize("model", MODELS)
def test_all_zero_column_keeps_a_zero_coefficient(model, penalty):
    """Its gradient is exactly 0 at every step, so every optimizer leaves it at 0."""
    X, y = data(model)
    X = np.column_stack([X[:, :1], np.zeros(len(X)), X[:, 1:]])
    for optimizer in OPTIMIZERS:
        for batch_size in (None, 7):
            est = make(model, optimizer=optimizer, penalty=_with_l1(optimizer, penalty),
                       alpha=1e-3,
                       batch_size=batch_size, max_iter=10, tol=None).fit(X, y)
            coef = np.atleast_2d(est.coef_)
            assert np.all(coef[:, 1] == 0.0), (optimizer, batch_size)
            assert np.all(np.isfinite(coef))


def minimum_norm_lstsq(A, y):
    return np.linalg.lstsq(A, y, rcond=None)[0]


def gd_settings(A):
    """Full-batch GD with step 1 / L, L the largest eigenvalue of A^T A / n."""
    L = np.linalg.eigvalsh(A.T @ A / len(A)).max()
    return dict(optimizer="sgd", learning_rate="constant", eta0=1.0 / L, batch_size=None,
                penalty=None, tol=None, shuffle=False)


def test_constant_column_collinear_with_the_intercept_predicts_like_least_squares():
    """A constant column duplicates the intercept; predictions are still least squares."""
    X, y = data("regressor")
    X = np.column_stack([X, np.full(len(X), 5.0)])
    A = np.column_stack([X, np.ones(len(X))])
    est = SGDLinearRegressor(max_iter=3000, **gd_settings(A)).fit(X, y)
    assert_allclose(est.predict(X), A @ minimum_norm_lstsq(A, y), rtol=1e-8)
    # gradient descent from zero stays in the row space: the minimum-norm split
    w = minimum_norm_lstsq(A, y)
    assert_allclose(np.r_[est.coef_, est.intercept_], w, rtol=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
def test_duplicated_columns_share_the_coefficient_equally(sparse):
    """Duplicates get identical gradients, so equal halves of the least-squares weight."""
    X, y = data("regressor")
    Xd = np.column_stack([X, X[:, 0]])
    A = np.column_stack([X, np.ones(len(X))])
    est = SGDLinearRegressor(max_iter=3000, **gd_settings(np.column_stack([Xd, A[:, -1]])))
    est.fit(sp.csr_matrix(Xd) if sparse else Xd, y)
    w = minimum_norm_lstsq(A, y)
    assert_allclose(est.coef_[0], est.coef_[-1], rtol=1e-12)
    assert_allclose(est.coef_[0] + est.coef_[-1], w[0], rtol=1e-7)
    assert_allclose(est.coef_[1:-1], w[1:-1], rtol=1e-7)


@pytest.mark.parametrize("model", ["binary", "multinomial"])
def test_duplicated_columns_in_the_classifier_get_equal_coefficients(model):
    X, y = data(model)
    Xd = np.column_stack([X, X[:, 1]])
    for optimizer in OPTIMIZERS:
        est = make(model, optimizer=optimizer, batch_size=None, max_iter=20, tol=None,
                   penalty="l2").fit(Xd, y)
        coef = np.atleast_2d(est.coef_)
        assert_allclose(coef[:, 1], coef[:, -1], rtol=1e-12, atol=1e-300, err_msg=optimizer)


# --------------------------------------------------------------------------- #
# n_features >> n_samples, one sample per class
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("sparse", [False, True])
def test_many_more_features_than_samples_reaches_the_minimum_norm_solution(sparse):
    """GD from zero on an underdetermined system converges to pinv(X) @ y."""
    rng = np.random.RandomState(1)
    X, y = rng.randn(10, 400), rng.randn(10)
    est = SGDLinearRegressor(max_iter=2000, fit_intercept=False, **gd_settings(X))
    est.fit(sp.csr_matrix(X) if sparse else X, y)
    assert_allclose(est.coef_, np.linalg.pinv(X) @ y, rtol=1e-6, atol=1e-9)
    assert_allclose(est.predict(X), y, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("model", ["binary", "multinomial"])
def test_many_more_features_than_samples_classifier_separates_the_training_set(model):
    rng = np.random.RandomState(2)
    X = rng.randn(12, 500)
    y = np.arange(12) % (2 if model == "binary" else 3)
    for optimizer in OPTIMIZERS:
        est = make(model, optimizer=optimizer, batch_size=None, max_iter=200, tol=None,
                   penalty=None, eta0=0.05).fit(X, y)
        assert np.all(np.isfinite(est.coef_))
        assert_array_equal(est.predict(X), y, err_msg=optimizer)
        assert np.all(np.isfinite(est.predict_proba(X)))


@pytest.mark.parametrize("labels", [["no", "yes"], ["a", "b", "c"], [10, 20, 30, 40]])
def test_one_sample_per_class_is_learned(labels):
    k = len(labels)
    X = np.eye(k) * 2.0 - 1.0
    y = np.array(labels)
    est = SGDLogisticClassifier(optimizer="sgd", learning_rate="constant", eta0=0.5,
                                batch_size=None, penalty=None, max_iter=300, tol=None,
                                random_state=0).fit(X, y)
    assert_array_equal(est.classes_, np.sort(y))
    assert_array_equal(est.predict(X), y)
    proba = est.predict_proba(X)
    assert np.all(proba[np.arange(k), np.searchsorted(est.classes_, y)] > 0.5)
    # streaming, one sample per call, classes given up front
    stream = SGDLogisticClassifier(random_state=0, eta0=2.0, learning_rate="constant",
                                   penalty=None)
    for _ in range(40):
        for i in range(k):
            stream.partial_fit(X[i:i + 1], y[i:i + 1], classes=y)
    assert_array_equal(stream.predict(X), y)


def test_one_sample_per_class_with_early_stopping_is_a_clear_error():
    X, y = np.eye(3), np.array([0, 1, 2])
    with pytest.raises(ValueError, match="early_stopping"):
        SGDLogisticClassifier(early_stopping=True).fit(X, y)


# --------------------------------------------------------------------------- #
# 1:10,000 imbalance with class_weight="balanced"
# --------------------------------------------------------------------------- #


def imbalanced(n_major=10_000):
    rng = np.random.RandomState(3)
    X = np.vstack([rng.randn(n_major, 2), [[3.0, 3.0]]])
    y = np.r_[np.zeros(n_major, dtype=int), 1]
    return X, y


def test_balanced_class_weight_matches_logistic_regression_at_1_to_10000():
    """Same objective as LogisticRegression(class_weight="balanced"): same solution.

    Balanced weights sum to n, so ``alpha = 1 / (C n)``.
    """
    X, y = imbalanced()
    alpha = 3e-2
    ref = LogisticRegression(class_weight="balanced", C=1.0 / (alpha * len(y)),
                             tol=1e-12, max_iter=10_000).fit(X, y)
    est = SGDLogisticClassifier(class_weight="balanced", alpha=alpha, penalty="l2",
                                optimizer="nesterov", learning_rate="constant", eta0=0.5,
                                batch_size=None, max_iter=400, tol=None).fit(X, y)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-6)
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-6)
    assert est.predict(X[-1:])[0] == 1


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_balanced_class_weight_minibatches_stay_finite_and_find_the_minority(optimizer):
    """A weight of 5000 on one sample in a mini-batch neither overflows nor is ignored."""
    X, y = imbalanced()
    # torch's Adadelta lr is 1, and Prodigy's (its rate multiplies the estimated distance)
    params = dict(optimizer=optimizer, batch_size=128, max_iter=3, tol=None, random_state=0,
                  eta0=1.0 if optimizer in ("adadelta", "prodigy") else 0.01)
    est = SGDLogisticClassifier(class_weight="balanced", **params)
    # Rprop is a full-batch rule: on mini-batches the weighted sample's consistent sign
    # grows its step sizes towards step_max=50, and the guard may report the blow-up
    if not _fit_or_diverged(est, X, y, allowed=optimizer == "rprop"):
        return
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.loss_curve_))
    unweighted = SGDLogisticClassifier(**params).fit(X, y)
    # the balanced model ranks the minority sample above the unweighted one
    assert est.decision_function(X[-1:])[0] > unweighted.decision_function(X[-1:])[0]


# --------------------------------------------------------------------------- #
# Logits of +-1e4
# --------------------------------------------------------------------------- #


def fitted_without_intercept(model):
    X, y = data(model)
    return make(model, fit_intercept=False, penalty=None, max_iter=20).fit(X, y)


def inputs_with_logits(est, magnitude, n=40, seed=0):
    """Rows whose decision values are +-magnitude (one class pair at a time).

    Multinomial coefficients trained from zero sum to zero over the classes, so
    the reachable logits are the sum-zero vectors: ``+m`` for one class, ``-m``
    for another.
    """
    rng = np.random.RandomState(seed)
    coef = np.atleast_2d(est.coef_)
    k = coef.shape[0]
    directions = np.linalg.pinv(coef)  # coef @ directions projects onto reachable logits
    rows = []
    for i in range(n):
        e = np.zeros(k)
        sign = rng.choice([-1.0, 1.0])
        e[i % k] = sign * magnitude
        if k > 1:
            e[(i + 1) % k] = -sign * magnitude
        rows.append(directions @ e)
    return np.array(rows)


@pytest.mark.parametrize("model", ["binary", "multinomial"])
def test_probabilities_at_logits_of_1e4_are_exact_and_finite(model):
    est = fitted_without_intercept(model)
    X = inputs_with_logits(est, 1e4)
    Z = np.atleast_2d(est.decision_function(X).T).T
    assert np.abs(Z).max() == pytest.approx(1e4, rel=1e-6)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        proba = est.predict_proba(X)
        log_proba = est.predict_log_proba(X)
    if model == "binary":
        z = Z[:, 0]  # log sigmoid(z) = -log(1 + e^-z), written stably
        expected = np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
    else:
        expected = Z - logsumexp(Z, axis=1, keepdims=True)
    assert np.all(np.isfinite(proba)) and np.all(np.isfinite(log_proba))
    assert_allclose(log_proba, expected, rtol=1e-12)
    assert_allclose(proba, np.exp(expected), rtol=1e-12, atol=0)
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-15)


def mislabelled_at_logits_of_1e4(model, bad_row):
    """A fitted model, rows with logits +-1e4 and labels all right except ``bad_row``.

    Returns ``(est, X, y, J)`` with ``J`` the mean log loss, written out here.
    """
    est = fitted_without_intercept(model)
    X = inputs_with_logits(est, 1e4)
    Z = X @ np.atleast_2d(est.coef_).T
    if Z.shape[1] == 1:
        idx = (Z[:, 0] > 0).astype(int)
        idx[bad_row] = 1 - idx[bad_row]
        J = np.mean(np.logaddexp(0.0, Z[:, 0]) - idx * Z[:, 0])
    else:
        idx = Z.argmax(axis=1)
        idx[bad_row] = Z[bad_row].argmin()
        J = np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(idx)), idx])
    return est, X, est.classes_[idx], J


def warm_step(est, batch_size):
    """One warm-started epoch with a negligible step: loss_curve_[0] is J at the old fit."""
    return est.set_params(warm_start=True, max_iter=1, eta0=1e-30, learning_rate="constant",
                          batch_size=batch_size, shuffle=False)


@pytest.mark.parametrize("batch_size", [None, 1])
@pytest.mark.parametrize("model", ["binary", "multinomial"])
def test_training_objective_at_logits_of_1e4_is_finite_and_exact(model, batch_size):
    """Warm-started on rows with logits +-1e4, one of 40 mislabelled: J ~ 1e4 / 40."""
    est, X, y, expected = mislabelled_at_logits_of_1e4(model, bad_row=5)
    assert 200 < expected < 600
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        warm_step(est, batch_size).fit(X, y)
    assert np.isfinite(est.loss_curve_[0])
    assert_allclose(est.loss_curve_[0], expected, rtol=1e-12)
    assert np.all(np.isfinite(est.coef_))


def test_one_badly_fit_first_row_is_not_mistaken_for_divergence():
    """Same as above, per sample, with the mislabelled row first: J = 250, no blow-up."""
    est, X, y, expected = mislabelled_at_logits_of_1e4("binary", bad_row=0)
    warm_step(est, batch_size=1).fit(X, y)
    assert_allclose(est.loss_curve_[0], expected, rtol=1e-12)


# --------------------------------------------------------------------------- #
# Sample weights: all zero, and zero on some rows
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("model", MODELS)
def test_all_zero_sample_weights_are_a_clear_error(model, partial, sparse):
    X, y = data(model)
    X = sp.csr_matrix(X) if sparse else X
    est = make(model)
    kwargs = {"classes": np.unique(y)} if partial and model != "regressor" else {}
    fit = est.partial_fit if partial else est.fit
    with pytest.raises(ValueError, match=r"(?i)sample.?weight.*(non-zero|sums? to zero)"):
        fit(X, y, sample_weight=np.zeros(len(y)), **kwargs)
    assert not hasattr(est, "coef_")


def test_class_weight_zeroing_every_present_class_is_a_clear_error():
    X, y = data("binary")
    with pytest.raises(ValueError, match=r"sums to zero"):
        SGDLogisticClassifier(class_weight={0: 0.0, 1: 0.0}).fit(X, y)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("model", ["regressor", "binary"])
def test_early_stopping_split_without_weight_on_one_side_is_a_clear_error(model, seed):
    """One weighted sample: one side of the split has zero total weight, whichever it is."""
    X, y = data(model, n=20)
    sw = np.zeros(len(y))
    sw[seed] = 1.0
    est = make(model, early_stopping=True, validation_fraction=0.5, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=r"(?i)early_stopping|validation"):
            est.fit(X, y, sample_weight=sw)


def weights_with_zeros(n, seed=0):
    rng = np.random.RandomState(seed)
    sw = rng.uniform(0.5, 2.0, n)
    sw[rng.rand(n) < 0.3] = 0.0
    sw[0] = 0.0  # a zero first row, and
    sw[-1] = 0.0  # a zero last row
    return sw


@pytest.mark.parametrize("fmt", ["dense", "csr", "float32"])
@pytest.mark.parametrize("model", MODELS)
def test_zero_weight_rows_have_no_effect_full_batch(model, fmt):
    """Full batch: the same fit as without those rows, up to summation round-off.

    Bitwise equality is not promised: a weighted sum over more terms may
    associate differently, so we allow a few ulps (1e-12 relative in float64).
    """
    X, y = data(model, n=37)
    sw = weights_with_zeros(len(y))
    keep = sw > 0
    if fmt == "float32":
        X = X.astype(np.float32)
    conv = sp.csr_matrix if fmt == "csr" else np.asarray
    rtol = 1e-5 if fmt == "float32" else 1e-12
    for optimizer in OPTIMIZERS:
        params = dict(optimizer=optimizer, batch_size=None, max_iter=15, tol=None,
                      penalty=_with_l1(optimizer, "elasticnet"), alpha=1e-2, average=3)
        a = make(model, **params).fit(conv(X), y, sample_weight=sw)
        b = make(model, **params).fit(conv(X[keep]), y[keep], sample_weight=sw[keep])
        assert a.t_ == b.t_ and a.n_iter_ == b.n_iter_
        assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=rtol * 1e-3, err_msg=optimizer)
        assert_allclose(a.intercept_, b.intercept_, rtol=rtol, atol=rtol * 1e-3)
        assert_allclose(a.loss_curve_, b.loss_curve_, rtol=rtol)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("model", MODELS)
def test_zero_weight_rows_have_no_effect_per_sample(model, fmt):
    """batch_size=1, in order: a zero-weight row makes no update, so the fit is identical."""
    X, y = data(model, n=37)
    sw = weights_with_zeros(len(y), seed=1)
    keep = sw > 0
    conv = sp.csr_matrix if fmt == "csr" else np.asarray
    for optimizer in OPTIMIZERS:
        params = dict(optimizer=optimizer, batch_size=1, shuffle=False, max_iter=5, tol=None,
                      penalty="l2", alpha=1e-3, learning_rate="invscaling", eta0=0.05)
        a = make(model, **params).fit(conv(X), y, sample_weight=sw)
        b = make(model, **params).fit(conv(X[keep]), y[keep], sample_weight=sw[keep])
        assert a.t_ == b.t_ == 5 * keep.sum()
        assert_array_equal(a.coef_, b.coef_, err_msg=optimizer)
        assert_array_equal(a.intercept_, b.intercept_, err_msg=optimizer)
        assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-14)
