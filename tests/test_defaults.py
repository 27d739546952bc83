"""Out of the box, the estimators score like scikit-learn's exact solvers.

No tuning: the default constructor (plus ``optimizer="sgd"``), after a
``StandardScaler`` in a ``Pipeline``, with a fixed ``random_state``. Both
models are cross-validated on the very same folds, and the mean test and
train scores must agree within 0.01 R^2 (regressor vs ``LinearRegression``
on diabetes) and 0.02 accuracy (classifier vs ``LogisticRegression`` on
breast_cancer).

This file never states what the defaults are, so it keeps testing whatever
defaults the package ships.
"""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

#: the default constructor, and the defaults with plain SGD
CONFIGS = [pytest.param({}, id="defaults"), pytest.param({"optimizer": "sgd"}, id="sgd")]


def cv_scores(estimator, X, y, cv):
    """Mean test and train score of ``StandardScaler -> estimator`` over ``cv``."""
    result = cross_validate(make_pipeline(StandardScaler(), estimator), X, y, cv=cv,
                            return_train_score=True)
    return result["test_score"].mean(), result["train_score"].mean()


@pytest.mark.parametrize("params", CONFIGS)
def test_regressor_defaults_match_linear_regression(params):
    # scikit-learn 1.9.1, defaults as of commit 61eef2a: mean test R^2 differs
    # by -0.0011 and train R^2 by -0.0040 (LinearRegression: 0.489 / 0.519).
    X, y = load_diabetes(return_X_y=True)
    cv = KFold(n_splits=5, shuffle=True, random_state=0)
    ours = cv_scores(SGDLinearRegressor(random_state=0, **params), X, y, cv)
    exact = cv_scores(LinearRegression(), X, y, cv)
    np.testing.assert_allclose(ours, exact, rtol=0, atol=0.01)


@pytest.mark.parametrize("params", CONFIGS)
def test_classifier_defaults_match_logistic_regression(params):
    # scikit-learn 1.9.1, defaults as of commit 61eef2a: mean test accuracy
    # differs by -0.00002, train accuracy by -0.006 (LogisticRegression: 0.979 / 0.988).
    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    ours = cv_scores(SGDLogisticClassifier(random_state=0, **params), X, y, cv)
    exact = cv_scores(LogisticRegression(), X, y, cv)
    np.testing.assert_allclose(ours, exact, rtol=0, atol=0.02)


@pytest.mark.parametrize("params", CONFIGS)
def test_regressor_defaults_on_raw_columns_match_linear_regression(params):
    # issue 10: no scaler at all, raw diabetes (age in years, bmi, blood pressure, ...)
    X, y = load_diabetes(return_X_y=True, scaled=False)
    cv = KFold(n_splits=5, shuffle=True, random_state=0)
    ours = cross_validate(SGDLinearRegressor(random_state=0, **params), X, y, cv=cv,
                          return_train_score=True)
    exact = cross_validate(LinearRegression(), X, y, cv=cv, return_train_score=True)
    for key in ("test_score", "train_score"):
        np.testing.assert_allclose(ours[key], exact[key], rtol=0, atol=0.01)


@pytest.mark.parametrize("params", CONFIGS)
def test_classifier_defaults_on_raw_columns_match_logistic_regression(params):
    # raw breast_cancer (areas in the thousands next to ratios of 0.05), no scaler; the
    # reference is LogisticRegression where it converges: behind a StandardScaler. (This
    # was 0.023 below before the fit whitened again at its fitted point, _base._refine.)
    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    ours = cross_validate(SGDLogisticClassifier(random_state=0, **params), X, y, cv=cv)
    exact = cv_scores(LogisticRegression(), X, y, cv)
    assert abs(ours["test_score"].mean() - exact[0]) <= 0.02
