"""The real-data panel measures what it says: its numpy objective, its exact optima and
its J0 are checked against scikit-learn's losses and solvers, its loaders return clean
raw tables, and one small data set x one optimizer yields a complete cell.

Whether our estimators pass the panel is not asserted here (that is the panel's
report, ``python -m benchmarks.panel``); these tests make sure the numbers it reports
are about the right quantities.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.linear_model import (
    ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge,
)
from sklearn.metrics import log_loss, mean_squared_error

from benchmarks import panel, panel_data

ROOT = Path(__file__).resolve().parents[1]
ALPHA = 1e-3


def spec(loss="squared", penalty="l2", alpha=ALPHA, l1_ratio=0.15, fit_intercept=True):
    return panel.Spec(loss, penalty, alpha, l1_ratio, fit_intercept)


@pytest.fixture(scope="module")
def well_conditioned():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((200, 5))
    y = X @ rng.standard_normal(5) + 0.5 + 0.3 * rng.standard_normal(200)
    return X, y


@pytest.fixture(scope="module")
def longley():
    return panel_data.load("longley")


def _grad_squared(s, X, y, coef, intercept):
    """Gradient of J (squared loss, l2) with respect to w, and to b."""
    r = y - panel.decision(X, coef, intercept)[:, 0]
    return -X.T @ r / len(y) + s.alpha * np.ravel(coef), -r.mean()


# ---- the objective -----------------------------------------------------------------------
def test_squared_objective_is_half_mse_plus_penalty(well_conditioned):
    X, y = well_conditioned
    w, b = np.linspace(-1, 1, 5), 0.3
    pred = X @ w + b
    half_mse = mean_squared_error(y, pred) / 2
    assert panel.objective(spec(penalty=None), X, y, w, b) == pytest.approx(half_mse, rel=1e-12)
    expected = {"l2": 0.5 * w @ w, "l1": np.abs(w).sum(),
                "elasticnet": 0.15 * np.abs(w).sum() + 0.85 * 0.5 * w @ w}
    for penalty, value in expected.items():
        got = panel.objective(spec(penalty=penalty), X, y, w, b)
        assert got == pytest.approx(half_mse + ALPHA * value, rel=1e-12)


def test_multi_output_squared_loss_sums_over_outputs(well_conditioned):
    X, y = well_conditioned
    Y = np.column_stack([y, 2 * y - 1])
    W, b = np.ones((2, 5)), np.array([0.1, -0.2])
    each = [panel.objective(spec(penalty=None), X, Y[:, j], W[j], b[j]) for j in range(2)]
    assert panel.objective(spec(penalty=None), X, Y, W, b) == pytest.approx(sum(each))


def test_log_objective_is_sklearn_log_loss(well_conditioned):
    X, _ = well_conditioned
    rng = np.random.default_rng(1)
    y2, y3 = rng.integers(0, 2, len(X)), rng.integers(0, 3, len(X))
    w, b = rng.standard_normal((1, 5)), np.array([0.2])
    p = expit(X @ w[0] + b[0])
    s = spec("log", None)
    assert panel.objective(s, X, y2, w, b) == pytest.approx(log_loss(y2, p), rel=1e-10)
    W, c = rng.standard_normal((3, 5)), rng.standard_normal(3)
    P = softmax(X @ W.T + c, axis=1)
    assert panel.objective(s, X, y3, W, c) == pytest.approx(log_loss(y3, P), rel=1e-10)
    l2 = panel.objective(spec("log", "l2"), X, y3, W, c)
    assert l2 == pytest.approx(log_loss(y3, P) + ALPHA * 0.5 * np.sum(W * W), rel=1e-10)


def test_non_finite_parameters_give_nan(well_conditioned):
    X, y = well_conditioned
    assert np.isnan(panel.objective(spec(), X, y, np.full(5, np.nan), 0.0))


# ---- the conventions the exact solvers rely on -------------------------------------------
def test_ridge_alpha_n_is_our_l2_optimum(well_conditioned):
    X, y = well_conditioned
    s = spec()
    ridge = Ridge(alpha=ALPHA * len(y)).fit(X, y)
    gw, gb = _grad_squared(s, X, y, ridge.coef_, ridge.intercept_)
    assert np.max(np.abs(gw)) < 1e-10 and abs(gb) < 1e-10


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_lasso_and_elasticnet_alpha_is_our_optimum(well_conditioned, penalty):
    """KKT conditions of our J at scikit-learn's solution."""
    X, y = well_conditioned
    alpha = 0.05  # strong enough to zero a coefficient or two
    est = (Lasso(alpha=alpha, tol=1e-12, max_iter=100_000) if penalty == "l1" else
           ElasticNet(alpha=alpha, l1_ratio=0.15, tol=1e-12, max_iter=100_000)).fit(X, y)
    rho = 1.0 if penalty == "l1" else 0.15
    r = y - X @ est.coef_ - est.intercept_
    g = -X.T @ r / len(y) + alpha * (1 - rho) * est.coef_
    nonzero = est.coef_ != 0
    np.testing.assert_allclose(g[nonzero], -alpha * rho * np.sign(est.coef_[nonzero]),
                               atol=1e-8)
    assert np.all(np.abs(g[~nonzero]) <= alpha * rho + 1e-8)


def test_logistic_c_is_our_l2_optimum(well_conditioned):
    X, y = well_conditioned
    labels = (y > np.median(y)).astype(int)
    s = spec("log", "l2", alpha=1e-2)
    est = LogisticRegression(C=1 / (s.alpha * len(y)), tol=1e-12, max_iter=10_000,
                             solver="newton-cholesky").fit(X, labels)
    coef, intercept, rel = panel.logistic_optimum(s, X, labels, 2)
    assert rel < 1e-9
    np.testing.assert_allclose(coef, est.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(intercept, est.intercept_, rtol=1e-6, atol=1e-9)


def test_exact_solver_follows_the_spec():
    est, what = panel.exact_solver(spec(), panel_data.REGRESSION, 100)
    assert isinstance(est, Ridge) and est.alpha == pytest.approx(ALPHA * 100)
    est, _ = panel.exact_solver(spec(penalty=None), panel_data.REGRESSION, 100)
    assert isinstance(est, LinearRegression)
    est, _ = panel.exact_solver(spec("log"), panel_data.CLASSIFICATION, 100)
    assert est.C == pytest.approx(1 / (ALPHA * 100))
    est, _ = panel.exact_solver(spec("log", None), panel_data.CLASSIFICATION, 100)
    assert est.C == np.inf


def test_spec_is_read_from_the_estimators_defaults():
    est = panel.ours(panel_data.REGRESSION, "sgd")
    p, s = est.get_params(), panel.spec_of(est)
    assert (s.alpha, s.penalty, s.fit_intercept) == (p["alpha"], p["penalty"],
                                                     p["fit_intercept"])
    assert panel.spec_of(panel.ours(panel_data.CLASSIFICATION, "sgd")).loss == "log"


# ---- J* and J0 ---------------------------------------------------------------------------
def test_j_star_is_linear_regressions_objective(well_conditioned):
    X, y = well_conditioned
    s = spec(penalty=None)
    coef, intercept = panel.squared_optimum(s, X, y)
    lr = LinearRegression().fit(X, y)
    np.testing.assert_allclose(coef[0], lr.coef_, rtol=1e-10)
    assert panel.objective(s, X, y, coef, intercept) == pytest.approx(
        panel.objective(s, X, y, lr.coef_, lr.intercept_), rel=1e-13)


def test_j_star_is_ridges_objective(well_conditioned):
    X, y = well_conditioned
    coef, intercept = panel.squared_optimum(spec(), X, y)
    ridge = Ridge(alpha=ALPHA * len(y)).fit(X, y)
    np.testing.assert_allclose(coef[0], ridge.coef_, rtol=1e-9)
    np.testing.assert_allclose(intercept, ridge.intercept_, rtol=1e-9)


@pytest.mark.parametrize("penalty", [None, "l2"])
def test_j_star_on_raw_longley_beats_sklearn(longley, penalty):
    """Condition number ~5e9: our J* is at most scikit-learn's, and a stationary point."""
    X, y = longley.X, longley.y
    s = spec(penalty=penalty, alpha=1e-4)
    coef, intercept = panel.squared_optimum(s, X, y)
    j_star = panel.objective(s, X, y, coef, intercept)
    ref = LinearRegression() if penalty is None else Ridge(alpha=s.alpha * len(y))
    ref.fit(X, y)
    j_sklearn = panel.objective(s, X, y, ref.coef_, ref.intercept_)
    j_zero = panel.j_zero(s, X, y, 0)
    assert j_star <= j_sklearn + 1e-12 * j_zero
    # stationary in the standardized parametrization (relative to the gradient at zero)
    sc = panel.Scaling.of(X, True)
    gw, gb = _grad_squared(s, X, y, coef, intercept)
    g0, _ = _grad_squared(s, X, y, np.zeros(X.shape[1]), y.mean())
    assert np.linalg.norm(gw * sc.scale) <= 1e-8 * np.linalg.norm(g0 * sc.scale)


def test_j_star_log_loss_on_raw_breast_cancer_beats_sklearn():
    ds = panel_data.load("breast_cancer")
    s = spec("log", "l2", alpha=1e-4)
    est = LogisticRegression(C=1 / (s.alpha * len(ds.y)), max_iter=200)
    with pytest.warns(Warning):  # lbfgs does not converge on the raw table
        est.fit(ds.X, ds.y)
    coef, intercept, rel = panel.logistic_optimum(s, ds.X, ds.y, 2,
                                                  (est.coef_, est.intercept_))
    assert rel <= 1e-9
    j_star = panel.objective(s, ds.X, ds.y, coef, intercept)
    assert j_star <= panel.objective(s, ds.X, ds.y, est.coef_, est.intercept_)


def test_multinomial_j_star_matches_newton_cholesky():
    ds = panel_data.load("iris")
    s = spec("log", "l2", alpha=1e-3)
    est = LogisticRegression(C=1 / (s.alpha * len(ds.y)), solver="newton-cholesky",
                             tol=1e-12, max_iter=1000).fit(ds.X, ds.y)
    coef, intercept, rel = panel.logistic_optimum(s, ds.X, ds.y, 3)
    assert rel <= 1e-9
    j_star = panel.objective(s, ds.X, ds.y, coef, intercept)
    j_sklearn = panel.objective(s, ds.X, ds.y, est.coef_, est.intercept_)
    assert j_star <= j_sklearn + 1e-13 and j_star == pytest.approx(j_sklearn, rel=1e-9)
    np.testing.assert_allclose(panel.decision(ds.X, coef, intercept).argmax(1),
                               est.predict(ds.X))


def test_j_zero_is_half_the_variance(well_conditioned):
    X, y = well_conditioned
    assert panel.j_zero(spec(), X, y, 0) == pytest.approx(0.5 * np.var(y), rel=1e-12)
    Y = np.column_stack([y, 3 * y])
    assert panel.j_zero(spec(), X, Y, 0) == pytest.approx(0.5 * np.var(Y, axis=0).sum())


def test_j_zero_log_loss_is_the_label_entropy(well_conditioned):
    X, _ = well_conditioned
    y = np.repeat([0, 1, 2], [100, 60, 40])
    p = np.bincount(y) / len(y)
    entropy = -np.sum(p * np.log(p))
    assert panel.j_zero(spec("log"), X, y, 3) == pytest.approx(entropy, rel=1e-12)
    y2 = (y > 0).astype(int)
    q = y2.mean()
    assert panel.j_zero(spec("log"), X, y2, 2) == pytest.approx(
        -(q * np.log(q) + (1 - q) * np.log(1 - q)), rel=1e-12)


# ---- loaders -----------------------------------------------------------------------------
def test_loaders_return_clean_raw_tables():
    sets, skipped = panel_data.load_all()
    assert len(sets) >= 25 and not skipped
    tasks = [ds.task for ds in sets]
    assert tasks.count(panel_data.REGRESSION) >= 20
    assert tasks.count(panel_data.CLASSIFICATION) >= 8
    assert len({ds.name for ds in sets}) == len(sets)
    for ds in sets:
        assert ds.X.dtype == np.float64 and ds.X.ndim == 2, ds.name
        assert np.all(np.isfinite(ds.X)) and np.all(np.isfinite(ds.y)), ds.name
        assert len(ds.y) == len(ds.X) and ds.source, ds.name
        if ds.task == panel_data.CLASSIFICATION:
            assert ds.y.dtype.kind == "i"
            np.testing.assert_array_equal(np.unique(ds.y), np.arange(ds.y.max() + 1))
        else:
            assert ds.y.dtype == np.float64 and np.ptp(ds.y) > 0


def test_loaders_are_raw():
    """Nothing rescaled: diabetes is the unscaled table, longley keeps its years."""
    assert panel_data.load("diabetes").X[:, 0].max() > 50  # age in years
    assert panel_data.load("longley").X[:, -1].min() >= 1947
    assert set(panel_data.QUICK) <= set(panel_data.SETS)


def test_usable_skips_constant_targets():
    ds = panel_data.RealSet("flat", panel_data.REGRESSION, np.ones((20, 2)), np.ones(20))
    assert panel_data.usable(ds) == "constant target"


# ---- the panel's machinery ---------------------------------------------------------------
def test_fit_quietly_records_errors_and_warnings():
    class Broken:
        def fit(self, X, y):
            import warnings

            from sklearn.exceptions import ConvergenceWarning
            warnings.warn("slow", ConvergenceWarning)
            raise ValueError("diverged\nbadly")

    est, seconds, error, counts = panel.fit_quietly(Broken(), None, None)
    assert est is None and error == "ValueError: diverged badly"
    assert counts == {"convergence": 1} and seconds >= 0


def test_verdict_thresholds_and_nan():
    base = dict(task=panel_data.REGRESSION, r2_gap=0.005, gap_max=5e-4, errors=[])
    assert panel.verdict(base, 0, 5) == []
    assert panel.verdict({**base, "r2_gap": -0.02}, 0, 5)
    assert panel.verdict({**base, "gap_max": np.nan}, 0, 5)
    cls = dict(task=panel_data.CLASSIFICATION, accuracy_gap=0.05, log_loss_gap=-0.1,
               gap_max=0.0, errors=[])
    assert panel.verdict(cls, 0, 5) == []
    assert len(panel.verdict({**cls, "accuracy_gap": -0.02, "log_loss_gap": 0.03}, 0, 5)) == 2
    failed = panel.verdict({**base, "errors": ["ValueError: x"], "r2_gap": np.nan}, 5, 5)
    assert failed == ["fit raised on 5 of 5 folds: ValueError: x"]


FIELDS = {"dataset", "task", "optimizer", "reference", "errors", "gap_folds", "gap_max",
          "seconds", "exact_seconds", "sgd_seconds", "vs_sgd", "vs_exact", "warnings",
          "epochs", "reasons", "passed"}


@pytest.mark.parametrize("name, keys", [
    ("stackloss", {"r2", "r2_ref", "r2_gap"}),
    ("anes96", {"accuracy", "accuracy_ref", "accuracy_gap", "log_loss", "log_loss_ref",
                 "log_loss_gap"}),
])
def test_one_data_set_one_optimizer_end_to_end(name, keys, tmp_path):
    from skopt_gd.optimizers import OPTIMIZERS

    optimizer = next(iter(OPTIMIZERS))
    ds = panel_data.load(name)
    lines = []
    info, cells = panel.run_dataset(ds, [optimizer], n_splits=2, log=lines.append)
    (cell,) = cells
    assert FIELDS | keys <= set(cell) and len(lines) == 1
    assert len(cell["gap_folds"]) == 2 and cell["passed"] == (not cell["reasons"])
    assert np.isfinite(cell["exact_seconds"]) and np.isfinite(cell["sgd_seconds"])
    key = "r2" if ds.task == panel_data.REGRESSION else "accuracy"
    assert np.isfinite(cell[f"{key}_ref"])
    assert info["name"] == name and len(info["j_star"]) == 2
    assert all(js < jz for js, jz in zip(info["j_star"], info["j_zero"]))
    meta = dict(title_suffix=" (test)", date="today", machine="here", load_start="0",
                load_end="0", seconds=1.0, warm_up_seconds=0.0, command="python -m x",
                folds=2, optimizers=[optimizer], specs={}, skipped={})
    run = dict(meta=meta, datasets=[info], cells=cells)
    path = panel.write(run, tmp_path, "panel-test")
    text = path.read_text(encoding="utf-8")
    assert f"## `{optimizer}`" in text and f"| {name} |" in text
    json.loads((tmp_path / "panel-test.json").read_text(), parse_constant=pytest.fail)
    assert panel.markdown(panel.load_run(tmp_path / "panel-test.json")) == text  # --render
    assert "cells pass" in panel.summary(cells, [optimizer])


@pytest.mark.slow
def test_command_line_writes_the_report(tmp_path):
    from skopt_gd.optimizers import OPTIMIZERS

    optimizer = next(iter(OPTIMIZERS))
    out = subprocess.run([sys.executable, "-m", "benchmarks.panel", "--only", "stackloss",
                          "iris", "--optimizers", optimizer, "--folds", "2", "--out",
                          str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert "cells pass" in out.stdout
    data = json.loads((tmp_path / "panel-subset.json").read_text())
    assert len(data["cells"]) == 2 and data["meta"]["folds"] == 2
