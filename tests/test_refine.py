"""A converged log-loss fit goes on in a parametrization whitened at its own point
(``BaseSGD._refine``).

References: the exact optimum of the documented objective from scikit-learn's
``LogisticRegression`` (``C = 1 / (alpha n)``, Newton, tight tolerance), evaluated by the
objective written out here, and the same fit with the refinement switched off
(``_base.REFINEMENTS = 0``, which continues the first stage to ``tol`` instead).
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.special import log_softmax
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression

from skopt_gd import SGDLogisticClassifier, _base

ALPHA = 1e-4


def objective(X, y, coef, intercept, classes):
    """``J = mean log loss + alpha / 2 ||w||^2`` (binary: sigmoid; else softmax)."""
    Z = X @ np.atleast_2d(coef).T + intercept
    if Z.shape[1] == 1:
        z, t = Z[:, 0], (y == classes[1]).astype(float)
        data = np.mean(np.logaddexp(0.0, z) - t * z)
    else:
        idx = np.searchsorted(classes, y)
        data = -np.mean(log_softmax(Z, axis=1)[np.arange(len(y)), idx])
    return data + ALPHA / 2 * np.sum(np.asarray(coef) ** 2)


def exact(X, y):
    ref = LogisticRegression(C=1.0 / (ALPHA * len(y)), solver="newton-cholesky", tol=1e-12,
                             max_iter=1000).fit(X, y)
    return objective(X, y, ref.coef_, ref.intercept_, ref.classes_)


def zero_model(y, classes):
    """The best intercept-only model's objective (the gap's unit)."""
    p = np.array([np.mean(y == c) for c in classes])
    return -np.sum(p * np.log(p))


def gap(est, X, y, j_star):
    j = objective(X, y, est.coef_, est.intercept_, est.classes_)
    return (j - j_star) / (zero_model(y, est.classes_) - j_star)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)  # raw columns: areas next to ratios
    return X, y, exact(X, y)


@pytest.fixture
def unrefined(monkeypatch):
    def fit(est, X, y):
        with monkeypatch.context() as m:
            m.setattr(_base, "REFINEMENTS", 0)
            return est.fit(X, y)
    return fit


def test_binary_default_fit_reaches_the_exact_optimum(cancer, unrefined):
    X, y, j_star = cancer
    est = SGDLogisticClassifier(random_state=0).fit(X, y)
    assert gap(est, X, y, j_star) < 1e-4
    plain = unrefined(SGDLogisticClassifier(random_state=0), X, y)
    # the whitening at the fitted point is what gets there: without it the same
    # stopping rule ends far above the optimum, after more epochs
    assert gap(plain, X, y, j_star) > 10 * gap(est, X, y, j_star)
    assert est.n_iter_ < plain.n_iter_


@pytest.mark.parametrize("optimizer", ["adam", "radam", "nesterov", "schedulefree_sgd"])
def test_restarted_rules_end_no_worse(cancer, unrefined, optimizer):
    X, y, j_star = cancer
    est = SGDLogisticClassifier(optimizer=optimizer, random_state=0).fit(X, y)
    plain = unrefined(SGDLogisticClassifier(optimizer=optimizer, random_state=0), X, y)
    assert -1e-12 <= gap(est, X, y, j_star) <= gap(plain, X, y, j_star)
    assert gap(est, X, y, j_star) < 1e-3


def test_multinomial_gets_closer(unrefined):
    X, y = load_iris(return_X_y=True)
    j_star = exact(X, y)
    est = SGDLogisticClassifier(random_state=0).fit(X, y)
    plain = unrefined(SGDLogisticClassifier(random_state=0), X, y)
    assert gap(est, X, y, j_star) < gap(plain, X, y, j_star)


def test_epochs_counted_once(cancer, capsys):
    X, y, _ = cancer
    est = SGDLogisticClassifier(random_state=0, verbose=1).fit(X, y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("-- Epoch")]
    numbers = [int(ln.split()[2].rstrip(":")) for ln in lines]
    assert numbers == list(range(1, est.n_iter_ + 1))  # no stage restarts the count
    assert len(est.loss_curve_) == est.n_iter_ == est.t_  # one full-batch update each
    quiet = SGDLogisticClassifier(random_state=0).fit(X, y)  # the compiled whole fit
    assert_array_equal(quiet.coef_, est.coef_)
    assert quiet.n_iter_ == est.n_iter_


@pytest.mark.parametrize("params", [dict(eta0=0.5), dict(learning_rate="constant"),
                                    dict(preconditioning=None, max_iter=50),
                                    dict(optimizer="rprop"), dict(average=True),
                                    dict(tol=None, max_iter=30), dict(batch_size=64)])
def test_only_at_the_package_settings(cancer, unrefined, params):
    """A rate, schedule or parametrization of the user's own, a rule that opts out,
    averaging, no stopping rule or mini-batches: the fit is the plain one."""
    X, y, _ = cancer
    est = SGDLogisticClassifier(random_state=0, **params).fit(X, y)
    plain = unrefined(SGDLogisticClassifier(random_state=0, **params), X, y)
    assert_array_equal(est.coef_, plain.coef_)
    assert est.n_iter_ == plain.n_iter_


def test_regression_is_untouched(unrefined):
    from sklearn.datasets import load_diabetes

    from skopt_gd import SGDLinearRegressor

    X, y = load_diabetes(return_X_y=True, scaled=False)
    est = SGDLinearRegressor(random_state=0).fit(X, y)
    plain = unrefined(SGDLinearRegressor(random_state=0), X, y)
    assert_array_equal(est.coef_, plain.coef_)


def test_inputs_unchanged_and_weights_respected(cancer):
    X, y, _ = cancer
    Xc, yc = X.copy(), y.copy()
    sw = np.where(y == 1, 2.0, 1.0)
    est = SGDLogisticClassifier(random_state=0).fit(X, y, sample_weight=sw)
    assert_array_equal(X, Xc)
    assert_array_equal(y, yc)
    # integer weights are repeated rows: the same optimum
    rows = np.repeat(np.arange(len(y)), sw.astype(int))
    j_star = exact(X[rows], y[rows])
    assert gap(est, X[rows], y[rows], j_star) < 1e-3  # the panel's bar
