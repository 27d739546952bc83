"""``SGDLinearRegressorCV`` / ``SGDLogisticClassifierCV`` against scikit-learn's ``...CV``.

Every expected value comes from an independent reference: scikit-learn's ``LassoCV``,
``ElasticNetCV``, ``RidgeCV`` and ``LogisticRegressionCV`` (exact solvers, run to
``tol=1e-10``) on the *same folds* (one ``KFold`` object passed to both) and the *same
grid*, mapped through the documented objective (``docs/guide/objective.md``):

* ``Lasso(a)``, ``ElasticNet(a, rho)``: ``alpha = a`` (same ``l1_ratio``);
* ``Ridge(a)``: ``alpha = a / n_train``;
* ``LogisticRegression(C)``: ``alpha = 1 / (C n_train)``.

``n_train`` is the training-fold size, so the Ridge and logistic data sets have a
number of rows divisible by the number of folds (every fold trains on the same ``n``).

"Picks the same alpha" means: the same grid value, or one whose *anchor* CV score is
within 1e-3 of the anchor's best -- relative for mean squared errors (they carry the
units of ``y**2``), absolute for accuracy and log-loss. Gradient descent stops at
``tol``, so near-ties on a flat CV curve may resolve either way; the anchor's own curve
says whether that costs anything.

Other references: ``sklearn.svm.l1_min_c`` (the smallest ``C`` with a non-empty L1
logistic model), repeated rows for integer sample weights, a known sparse truth, and
scikit-learn's estimator checks. The slower comparisons (tighter tolerances on raw,
ill-conditioned data) are marked ``slow``.
"""

import inspect
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer, load_diabetes, load_iris, make_classification, make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    ElasticNetCV, Lasso, LassoCV, LogisticRegression, LogisticRegressionCV, Ridge, RidgeCV,
)
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import l1_min_c
from sklearn.utils.estimator_checks import parametrize_with_checks

from skopt_gd import (
    SGDLinearRegressor, SGDLinearRegressorCV, SGDLogisticClassifier, SGDLogisticClassifierCV,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EXACT = dict(tol=1e-10, max_iter=100_000)  # coordinate descent to round-off
FOLDS = KFold(5, shuffle=True, random_state=0)
FULL_BATCH = dict(batch_size=None, random_state=0)
#: accuracy moves by whole held-out rows: fits close to the minimiser (Adam, tight tol)
TIGHT = dict(optimizer="adam", tol=1e-8, **FULL_BATCH)
CV_PARAMS = {"alphas", "eps", "cv", "scoring", "n_jobs", "refit"}


# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #


def diabetes(n=None):
    X, y = load_diabetes(return_X_y=True, scaled=False)  # raw units: age, bmi, ...
    return X[:n], y[:n]


def longley():
    datasets = pytest.importorskip("statsmodels.api").datasets
    data = datasets.longley.load_pandas()  # 16 x 6, condition number ~1e9
    return data.exog.to_numpy(dtype=float), data.endog.to_numpy(dtype=float)


def sparse_truth(n=200, p=30, k=5, seed=0):
    """``y = X w + noise`` with ``k`` of ``p`` coefficients nonzero."""
    X, y, w = make_regression(n, p, n_informative=k, noise=5.0, coef=True, random_state=seed)
    return X, y, w


def cancer(n=565, standardize=False):
    X, y = load_breast_cancer(return_X_y=True)  # raw units (areas ~1e3, ratios ~1e-3)
    X, y = X[:n], y[:n]  # 565 = 5 * 113: every fold trains on 452 rows
    return (StandardScaler().fit_transform(X) if standardize else X), y


def n_train(n_samples, folds=FOLDS):
    sizes = {len(train) for train, _ in folds.split(np.zeros((n_samples, 1)))}
    assert len(sizes) == 1, "the mapping needs equal training folds"
    return sizes.pop()


# --------------------------------------------------------------------------- #
# "The same choice"
# --------------------------------------------------------------------------- #


def assert_same_choice(anchor_curve, grid, ours, *, rel=None, atol=None):
    """``ours`` is a value of ``grid`` whose anchor score is within the tolerance of the
    anchor's best; ``anchor_curve`` is a mean CV *error* (``rel``) or a *score* (``atol``)."""
    k = int(np.argmin(np.abs(np.log(grid) - np.log(ours))))
    assert np.isclose(grid[k], ours, rtol=1e-9), (ours, grid)
    if rel is not None:
        best = anchor_curve.min()
        assert anchor_curve[k] - best <= rel * best, (k, anchor_curve)
    else:
        assert anchor_curve.max() - anchor_curve[k] <= atol, (k, anchor_curve)


# --------------------------------------------------------------------------- #
# Regression anchors: LassoCV, ElasticNetCV, RidgeCV
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", ["diabetes", "longley", "sparse"])
def test_lasso_cv(name):
    X, y = {"diabetes": diabetes, "longley": longley,
            "sparse": lambda: sparse_truth()[:2]}[name]()
    folds = KFold(4, shuffle=True, random_state=0) if name == "longley" else FOLDS
    anchor = LassoCV(alphas=12, eps=1e-4, cv=folds, **EXACT).fit(X, y)
    ours = SGDLinearRegressorCV(penalty="l1", alphas=12, eps=1e-4, cv=folds,
                                random_state=0).fit(X, y)
    assert_allclose(ours.alphas_, anchor.alphas_, rtol=1e-10)  # the same alpha_max and grid
    assert_same_choice(anchor.mse_path_.mean(axis=1), anchor.alphas_, ours.alpha_, rel=1e-3)
    assert ours.scores_.shape == (1, 12, folds.get_n_splits())


def test_elastic_net_cv_chooses_l1_ratio_too():
    X, y, _ = sparse_truth(seed=1)
    ratios = [0.2, 0.7, 1.0]
    anchor = ElasticNetCV(l1_ratio=ratios, alphas=8, cv=FOLDS, **EXACT).fit(X, y)
    ours = SGDLinearRegressorCV(penalty="elasticnet", l1_ratio=ratios, alphas=8, cv=FOLDS,
                                **FULL_BATCH).fit(X, y)
    assert_allclose(ours.alphas_, anchor.alphas_, rtol=1e-10)  # (n_l1_ratio, n_alphas)
    i = ratios.index(ours.l1_ratio_)
    curve = anchor.mse_path_.mean(axis=2)  # (n_l1_ratio, n_alphas)
    k = int(np.argmin(np.abs(anchor.alphas_[i] - ours.alpha_)))
    assert curve[i, k] - curve.min() <= 1e-3 * curve.min()
    assert ours.scores_.shape == (3, 8, 5)


def test_lasso_cv_with_sample_weight():
    """Weights go to every fit and to the held-out MSE, as in ``LassoCV``."""
    X, y, _ = sparse_truth(seed=2)
    sw = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    anchor = LassoCV(alphas=10, cv=FOLDS, **EXACT).fit(X, y, sample_weight=sw)
    ours = SGDLinearRegressorCV(penalty="l1", alphas=10, cv=FOLDS,
                                **FULL_BATCH).fit(X, y, sample_weight=sw)
    assert_allclose(ours.alphas_, anchor.alphas_, rtol=1e-10)
    assert_same_choice(anchor.mse_path_.mean(axis=1), anchor.alphas_, ours.alpha_, rel=1e-3)
    # the held-out MSE of each (alpha, fold) is the weighted one: close to the anchor's
    assert_allclose(-ours.scores_[0], anchor.mse_path_, rtol=0.05)


@pytest.mark.parametrize("name", ["diabetes", "sparse"])
def test_ridge_cv(name):
    X, y = diabetes(440) if name == "diabetes" else sparse_truth(p=10, k=3)[:2]
    m = n_train(len(y))
    ridge_alphas = np.logspace(-3, 3, 9)
    reference = np.array([cross_val_score(Ridge(alpha=a), X, y, cv=FOLDS,
                                          scoring="neg_mean_squared_error").mean()
                          for a in ridge_alphas])
    anchor = RidgeCV(alphas=ridge_alphas, cv=FOLDS, scoring="neg_mean_squared_error").fit(X, y)
    assert anchor.alpha_ == ridge_alphas[np.argmax(reference)]  # the reference is RidgeCV's
    ours = SGDLinearRegressorCV(penalty="l2", alphas=ridge_alphas / m, cv=FOLDS,
                                random_state=0).fit(X, y)
    assert_same_choice(-reference[::-1], ridge_alphas[::-1] / m, ours.alpha_, rel=1e-3)


def test_known_sparsity_is_recovered():
    """On data with 5 of 30 coefficients nonzero, the chosen model keeps all 5 and has
    the zeros of the LassoCV model (coordinate descent) refitted at the same alpha."""
    X, y, w = sparse_truth(seed=3)
    ours = SGDLinearRegressorCV(penalty="l1", alphas=10, cv=FOLDS, **FULL_BATCH).fit(X, y)
    assert np.all(ours.coef_[w != 0] != 0)
    exact = Lasso(alpha=ours.alpha_, **EXACT).fit(X, y)
    assert_array_equal(ours.coef_ == 0, exact.coef_ == 0)
    assert_allclose(ours.coef_, exact.coef_, atol=1e-3 * np.abs(exact.coef_).max())


# --------------------------------------------------------------------------- #
# Classification anchor: LogisticRegressionCV
# --------------------------------------------------------------------------- #


def logistic_anchor(X, y, alphas, scoring, folds=FOLDS):
    """``(mean CV score per alpha, decreasing alpha order)``, from LogisticRegressionCV."""
    Cs = 1.0 / (alphas * n_train(len(y), folds))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lr = LogisticRegressionCV(Cs=Cs, cv=folds, scoring=scoring, solver="newton-cholesky",
                                  l1_ratios=(0,), use_legacy_attributes=False,
                                  **EXACT).fit(X, y)
    curve = lr.scores_.mean(axis=0)[0]  # (n_cs,) in increasing C: decreasing alpha
    assert np.isclose(lr.C_, np.sort(Cs)[np.argmax(curve)])
    return curve, np.sort(alphas)[::-1]


CLASSIFIER_CASES = {
    # name: (data, alphas, scoring, our settings beyond the defaults)
    "cancer_raw_log_loss": (cancer, np.logspace(-2, -7, 6), "neg_log_loss", {}),
    "cancer_std_accuracy": (lambda: cancer(standardize=True), np.logspace(-1, -4, 6),
                            "accuracy", TIGHT),
    "iris_accuracy": (lambda: load_iris(return_X_y=True), np.logspace(0, -5, 6), "accuracy",
                      FULL_BATCH),
    "synthetic_log_loss": (
        lambda: make_classification(300, 20, n_informative=4, random_state=0),
        np.logspace(0, -4, 6), "neg_log_loss", FULL_BATCH),
}


@pytest.mark.parametrize("case", sorted(CLASSIFIER_CASES))
def test_logistic_regression_cv(case):
    data, alphas, scoring, params = CLASSIFIER_CASES[case]
    X, y = data()
    curve, grid = logistic_anchor(X, y, alphas, scoring)
    ours = SGDLogisticClassifierCV(alphas=alphas, cv=FOLDS, scoring=scoring,
                                   **params).fit(X, y)
    assert_allclose(ours.alphas_, grid)
    assert_same_choice(curve, grid, ours.alpha_, atol=1e-3)
    assert ours.scores_.shape == (1, len(alphas), 5)
    assert_array_equal(ours.classes_, np.unique(y))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["cancer_raw_accuracy", "iris_log_loss"])
def test_logistic_regression_cv_near_separable(case):
    """Raw breast cancer by accuracy and iris by log-loss: at the smallest alphas the
    exact minimiser is far out (near-separable data), which the defaults' 1000 epochs do
    not reach; Adam with a tight ``tol`` does, and then picks LogisticRegressionCV's C."""
    if case == "cancer_raw_accuracy":
        X, y, alphas, scoring = *cancer(), np.logspace(-2, -8, 10), "accuracy"
    else:
        X, y = load_iris(return_X_y=True)
        alphas, scoring = np.logspace(0, -6, 10), "neg_log_loss"
    curve, grid = logistic_anchor(X, y, alphas, scoring)
    ours = SGDLogisticClassifierCV(alphas=alphas, cv=FOLDS, scoring=scoring, **TIGHT).fit(X, y)
    assert_same_choice(curve, grid, ours.alpha_, atol=1e-3)


def test_default_l2_grid_is_logistic_regression_cv_cs():
    """``alphas=10`` with an L2 penalty is LogisticRegressionCV(Cs=10)'s grid."""
    X, y = cancer(standardize=True)
    ours = SGDLogisticClassifierCV(cv=FOLDS, max_iter=5, tol=None, **FULL_BATCH).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, FutureWarning))
        lr = LogisticRegressionCV(Cs=10, cv=FOLDS, max_iter=5, l1_ratios=(0,),
                                  use_legacy_attributes=False).fit(X, y)
    assert_allclose(np.sort(1.0 / (ours.alphas_ * n_train(len(y)))), lr.Cs_, rtol=1e-12)


# --------------------------------------------------------------------------- #
# alpha_max: all zeros at it, not below
# --------------------------------------------------------------------------- #

SOLVE = dict(batch_size=None, tol=1e-10, max_iter=3000, random_state=0)


def assert_zero_exactly_from(est, alpha_max, X, y):
    """All coefficients exactly zero just above ``alpha_max``, zero to round-off at it
    (the KKT bound holds with equality there), and not all zero 2 % below it."""
    above, at, below = (clone(est).set_params(alpha=f * alpha_max).fit(X, y).coef_
                        for f in (1 + 1e-6, 1.0, 0.98))
    assert not np.any(above)
    assert np.any(below)
    assert np.abs(at).max() <= 1e-9 * np.abs(below).max()


@pytest.mark.parametrize("case", ["lasso", "enet", "multi_output", "huber", "no_intercept"])
def test_alpha_max_regressor(case):
    X, y, _ = sparse_truth(n=120, p=8, k=3, seed=4)
    params = {"penalty": "l1"}
    if case == "enet":
        params = {"penalty": "elasticnet", "l1_ratio": 0.3}
    elif case == "multi_output":
        y = np.column_stack([y, X[:, 0] - 2 * y])
    elif case == "huber":
        params["loss"] = "huber"
        params["epsilon"] = 20.0
    elif case == "no_intercept":
        params["fit_intercept"] = False
        y = y + 30.0
    alpha_max = SGDLinearRegressorCV(alphas=3, cv=3, max_iter=1, tol=None,
                                     **params).fit(X, y).alphas_[0]
    if case in ("lasso", "enet", "no_intercept"):  # scikit-learn's grid as the reference
        ratio = params.get("l1_ratio", 1.0)
        fit_intercept = params.get("fit_intercept", True)
        anchor = ElasticNetCV(l1_ratio=ratio, alphas=3, cv=3, fit_intercept=fit_intercept,
                              max_iter=1).fit(X, y)
        assert np.isclose(alpha_max, anchor.alphas_[0], rtol=1e-10)
    assert_zero_exactly_from(SGDLinearRegressor(**params, **SOLVE), alpha_max, X, y)


@pytest.mark.parametrize("case", ["binary", "binary_no_intercept", "multinomial"])
def test_alpha_max_classifier(case):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    fit_intercept = case != "binary_no_intercept"
    if case != "multinomial":
        y = (y == 2).astype(int)
    alpha_max = SGDLogisticClassifierCV(penalty="l1", alphas=3, cv=3, max_iter=1, tol=None,
                                        fit_intercept=fit_intercept).fit(X, y).alphas_[0]
    if case == "binary_no_intercept":  # l1_min_c is the smallest C with a nonzero w
        assert np.isclose(alpha_max, 1.0 / (l1_min_c(X, y, loss="log", fit_intercept=False)
                                            * len(y)), rtol=1e-10)
    if case == "binary":  # saga's L1 logistic regression, intercept unpenalised
        n = len(y)
        for factor, empty in ((1.001, True), (0.95, False)):
            lr = LogisticRegression(C=1 / (factor * alpha_max * n), l1_ratio=1.0, solver="saga",
                                    tol=1e-10, max_iter=100_000).fit(X, y)
            assert (not np.any(np.abs(lr.coef_) > 1e-8)) == empty
    est = SGDLogisticClassifier(penalty="l1", fit_intercept=fit_intercept, **SOLVE)
    assert_zero_exactly_from(est, alpha_max, X, y)


# --------------------------------------------------------------------------- #
# Parameters, sample weights, parallelism, refit
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("cv_cls, base", [(SGDLinearRegressorCV, SGDLinearRegressor),
                                          (SGDLogisticClassifierCV, SGDLogisticClassifier)])
def test_parameters_are_the_base_estimators(cv_cls, base):
    base_params = base().get_params()
    ours = cv_cls().get_params()
    assert set(ours) == (set(base_params) - {"alpha"}) | CV_PARAMS
    changed = {k: ours[k] for k in set(base_params) & set(ours) if ours[k] != base_params[k]}
    path_defaults = {"batch_size": None, "learning_rate": "constant",  # documented changes
                     "n_iter_no_change": 2}
    if base is SGDLinearRegressor:
        path_defaults["penalty"] = "l2"  # the base's None has no alpha to choose
    assert changed == path_defaults
    table = cv_cls._parameter_constraints
    assert set(table) == set(ours)
    assert all(p.kind is p.KEYWORD_ONLY
               for p in list(inspect.signature(cv_cls).parameters.values()))


BAD_PARAMS = [
    ("alphas", 0), ("alphas", [-1.0, 1.0]), ("alphas", [[1.0]]), ("alphas", []),
    ("l1_ratio", 1.5), ("l1_ratio", [0.5, 2.0]), ("penalty", None), ("penalty", "l3"),
    ("eps", 0.0), ("cv", "five"), ("scoring", "no_such_score"), ("n_jobs", "two"),
    ("refit", "yes"), ("max_iter", 0), ("optimizer", "nope"),
]


@pytest.mark.parametrize("name, value", BAD_PARAMS)
def test_bad_parameters_raise_naming_them(name, value):
    X, y, _ = sparse_truth(n=40, p=3, k=2)
    est = SGDLinearRegressorCV(penalty="elasticnet", alphas=2, cv=2, max_iter=2)
    with pytest.raises(ValueError, match=re.escape(f"'{name}'")):
        est.set_params(**{name: value}).fit(X, y)
    assert not hasattr(est, "alpha_")


def test_unknown_keyword_and_no_partial_fit():
    with pytest.raises(TypeError, match="alpha"):
        SGDLinearRegressorCV(alpha=0.1)
    assert not hasattr(SGDLinearRegressorCV(), "partial_fit")
    assert not hasattr(SGDLogisticClassifierCV(), "partial_fit")


def test_integer_weights_equal_repeated_rows():
    """``sample_weight`` reaches the fits and the scorer: integer weights on folds that
    keep a row's copies together give the repeated data's CV scores and choice."""
    X, y, _ = sparse_truth(n=60, p=5, k=3, seed=5)
    w = np.random.default_rng(1).integers(1, 4, len(y))
    origin = np.repeat(np.arange(len(y)), w)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    rep_folds = [(np.flatnonzero(np.isin(origin, tr)), np.flatnonzero(np.isin(origin, te)))
                 for tr, te in folds]
    params = dict(penalty="l1", alphas=5, shuffle=False, learning_rate="constant", tol=None,
                  max_iter=300, **FULL_BATCH)
    weighted = SGDLinearRegressorCV(cv=folds, **params).fit(X, y, sample_weight=w)
    repeated = SGDLinearRegressorCV(cv=rep_folds, **params).fit(X[origin], y[origin])
    assert_allclose(weighted.alphas_, repeated.alphas_, rtol=1e-12)
    assert_allclose(weighted.scores_, repeated.scores_, rtol=1e-6)
    assert weighted.alpha_ == pytest.approx(repeated.alpha_, rel=1e-12)
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6, atol=1e-8)


def test_parallel_folds_equal_serial():
    X, y = make_classification(120, 6, random_state=1)
    params = dict(alphas=4, cv=3, random_state=0, max_iter=50)
    serial = SGDLogisticClassifierCV(n_jobs=1, **params).fit(X, y)
    parallel = SGDLogisticClassifierCV(n_jobs=2, **params).fit(X, y)
    assert_array_equal(serial.scores_, parallel.scores_)
    assert_array_equal(serial.coef_, parallel.coef_)


def test_refit_false_averages_the_fold_models():
    X, y, _ = sparse_truth(n=90, p=4, k=2, seed=6)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    params = dict(penalty="l1", alphas=[1.0, 0.1], **FULL_BATCH)
    cv = SGDLinearRegressorCV(cv=folds, refit=False, **params).fit(X, y)
    assert not hasattr(cv, "best_estimator_")
    fold_coefs = [Lasso(alpha=cv.alpha_, **EXACT).fit(X[tr], y[tr]).coef_ for tr, _ in folds]
    assert_allclose(cv.coef_, np.mean(fold_coefs, axis=0), rtol=1e-3)
    assert cv.predict(X).shape == y.shape


def test_refit_true_is_the_base_estimator_at_the_choice():
    X, y = make_classification(150, 5, n_classes=3, n_informative=3, random_state=2)
    cv = SGDLogisticClassifierCV(alphas=3, cv=3, **FULL_BATCH).fit(X, y)
    best = cv.best_estimator_
    assert isinstance(best, SGDLogisticClassifier) and best.alpha == cv.alpha_
    assert_array_equal(cv.coef_, best.coef_)
    assert cv.coef_.shape == (3, 5) and cv.n_iter_ == best.n_iter_
    assert_allclose(cv.predict_proba(X), best.predict_proba(X))
    assert cv.best_score_ == pytest.approx(cv.scores_.mean(axis=2).max())


def test_feature_names():
    pd = pytest.importorskip("pandas")
    X, y, _ = sparse_truth(n=60, p=3, k=2)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    cv = SGDLinearRegressorCV(alphas=2, cv=2, max_iter=5, tol=None).fit(df, y)
    assert_array_equal(cv.feature_names_in_, ["a", "b", "c"])
    assert_array_equal(cv.best_estimator_.feature_names_in_, ["a", "b", "c"])


# --------------------------------------------------------------------------- #
# scikit-learn integration
# --------------------------------------------------------------------------- #

CHECKED = dict(alphas=3, cv=3, max_iter=50, batch_size=None, random_state=0)


@parametrize_with_checks([SGDLinearRegressorCV(**CHECKED), SGDLogisticClassifierCV(**CHECKED)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls, data", [
    (SGDLinearRegressorCV, lambda: sparse_truth(n=60, p=4, k=2)[:2]),
    (SGDLogisticClassifierCV, lambda: make_classification(60, 4, random_state=0)),
])
def test_clone_pickle_pipeline_grid_search(cls, data):
    X, y = data()
    est = cls(alphas=3, cv=3, **FULL_BATCH, max_iter=30)
    fitted = clone(est).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    assert_array_equal(restored.predict(X), fitted.predict(X))
    assert clone(est).get_params() == est.get_params()
    pipe = make_pipeline(StandardScaler(), clone(est)).fit(X, y)
    assert pipe.predict(X).shape == (len(y),)
    search = GridSearchCV(clone(est), {"penalty": ["l1", "l2"]}, cv=2).fit(X, y)
    assert search.best_estimator_.alpha_ in np.ravel(search.best_estimator_.alphas_)


def test_guide_page_runs():
    """The code blocks of docs/guide/model_selection.md run, in order, in one namespace."""
    page = Path(__file__).parents[1] / "docs" / "guide" / "model_selection.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    assert blocks
    namespace = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)


def test_least_squares_rows_are_c_contiguous_for_the_compiled_engine():
    """The rows a squared-error path trains on are C-contiguous: the compiled epochs read
    X that way, and a strided slice sent every fit of the path to the numpy loop."""
    from skopt_gd._cv_path import _least_squares_rows

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
    Z, T, _, _ = _least_squares_rows(X, y, None, np.arange(50), True)
    assert Z.flags.c_contiguous and T.flags.c_contiguous


class _HalfTrain:
    """Splits whose training rows are not the complement of the held-out rows."""

    def split(self, X, y=None, groups=None):
        order = np.random.default_rng(0).permutation(len(X))
        for f in range(3):
            yield np.sort(order[f::3][: len(X) // 4]), np.sort(order[(f + 1) % 3::3])


@pytest.mark.parametrize("cv", [KFold(5, shuffle=True, random_state=0),
                                ShuffleSplit(3, test_size=0.3, random_state=0), _HalfTrain()],
                         ids=["kfold", "overlapping", "not-complement"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_folds_share_the_least_squares_pass_and_keep_each_folds_moments(cv, weighted,
                                                                       fit_intercept):
    """``fold_least_squares`` (the folds' moments from one pass: all rows less each fold's
    held-out rows) gives every fold the least-squares rows of its own training rows: the
    weighted, centred Gram matrix of ``[X, y]`` and the means, computed here directly,
    on raw columns far from zero (years, dollars)."""
    from skopt_gd._cv_path import fold_least_squares

    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 5)) * [1, 10, 1e3, 1, 0.1] + [0, 2000, 1e5, 0, -3]
    y = X @ rng.normal(size=5) + 5e4 + rng.normal(size=400)
    sw = rng.uniform(0.5, 2.0, 400) if weighted else None
    folds = list(cv.split(X))
    for (train, _), (Z, T, x_mean, y_mean) in zip(folds, fold_least_squares(
            X, y, sw, folds, fit_intercept)):
        s = np.ones(len(train)) if sw is None else sw[train]
        A = np.column_stack([X[train], y[train]])
        mean = s @ A / s.sum() if fit_intercept else np.zeros(6)
        gram = (A - mean).T @ ((A - mean) * s[:, None]) / s.sum()  # weighted, centred
        R = np.column_stack([Z, T])
        assert_allclose(R.T @ R / len(R), gram, rtol=1e-9, atol=1e-9 * np.abs(gram).max())
        if fit_intercept:
            assert_allclose(np.append(x_mean, y_mean), mean, rtol=1e-12)


@pytest.mark.parametrize("est, data", [
    (SGDLinearRegressorCV(alphas=6, cv=FOLDS, **FULL_BATCH), diabetes),
    (SGDLinearRegressorCV(alphas=4, cv=FOLDS, batch_size=32, random_state=0),
     lambda: (diabetes()[0], np.column_stack([diabetes()[1], -diabetes()[1]]))),
    (SGDLogisticClassifierCV(alphas=5, cv=FOLDS, **FULL_BATCH), cancer),
    (SGDLogisticClassifierCV(alphas=4, cv=FOLDS, **FULL_BATCH),
     lambda: load_iris(return_X_y=True)),
])
@pytest.mark.parametrize("block", [1, 1 << 25])
def test_scores_from_shared_held_out_products_equal_per_model_predictions(est, data, block,
                                                                          monkeypatch):
    """The path scores several alphas' models from one product with the held-out rows
    (``_cv_path._scores``, in groups of ``block`` bytes); a scorer that predicts on a
    copy of the rows goes through each model's own ``predict`` / ``predict_proba`` and
    must see the same scores."""
    from sklearn.metrics import get_scorer

    from skopt_gd import _cv_path

    monkeypatch.setattr(_cv_path, "SCORE_BLOCK_BYTES", block)
    X, y = data()
    name = "neg_log_loss" if isinstance(est, SGDLogisticClassifierCV) else "neg_mean_squared_error"
    scorer = get_scorer(name)
    shared = clone(est).set_params(scoring=name, refit=False).fit(X, y)
    own = clone(est).set_params(
        scoring=lambda m, X_, y_: scorer(m, X_.copy(), y_), refit=False).fit(X, y)
    assert_allclose(shared.scores_, own.scores_, rtol=1e-10, atol=1e-12)
    assert_array_equal(shared.coef_, own.coef_)
