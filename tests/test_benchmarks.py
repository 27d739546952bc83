"""The benchmark suite measures what it says: its objective, its exact optima and its
bookkeeping are checked against scikit-learn's solvers and metrics, and the whole
quick run writes its table and figure (``-m slow``).

Speed itself is not asserted here (timings belong to ``python -m benchmarks``);
these tests make sure the numbers it reports are about the right quantities.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, r2_score

from benchmarks import data, report, suite, timing

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def regression():
    return data.dense("regression", 600, 7, alpha=1e-3, seed=3)


def test_ridge_optimum_is_sklearns_ridge(regression):
    ds = regression
    coef, intercept = data.ridge_optimum(ds)
    ridge = Ridge(alpha=ds.alpha * ds.X.shape[0], tol=1e-12).fit(ds.X, ds.y)
    np.testing.assert_allclose(coef, ridge.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(intercept, ridge.intercept_, rtol=1e-9)


def test_regression_objective_and_scores_written_out(regression):
    ds = regression
    rng = np.random.default_rng(0)
    coef, intercept = rng.normal(size=7), 0.4
    z = ds.X @ coef + intercept
    expected = 0.5 * np.mean((ds.y - z) ** 2) + 0.5 * ds.alpha * coef @ coef
    assert data.objective(ds, coef, intercept, block=128) == pytest.approx(expected, rel=1e-12)
    assert data.train_r2(ds, coef, intercept) == pytest.approx(r2_score(ds.y, z), rel=1e-12)
    z_test = ds.X_test @ coef + intercept
    assert data.test_score(ds, coef, intercept) == pytest.approx(r2_score(ds.y_test, z_test))


def test_optimum_is_a_minimum(regression):
    ds = regression
    coef, intercept = data.ridge_optimum(ds)
    j_star = data.objective(ds, coef, intercept)
    rng = np.random.default_rng(1)
    for _ in range(5):
        step = 1e-3 * rng.normal(size=coef.shape)
        assert data.objective(ds, coef + step, intercept) > j_star
    assert data.objective(ds, coef, intercept + 1e-3) > j_star


@pytest.mark.parametrize("task, classes", [("binary", 2), ("multinomial", 4)])
def test_logistic_objective_is_log_loss_plus_penalty(task, classes):
    ds = data.dense(task, 800, 6, alpha=1e-3, seed=2, classes=classes)
    assert set(np.unique(ds.y)) == set(range(classes))
    coef, intercept = data.logistic_optimum(ds)
    est = LogisticRegression(C=1 / (ds.alpha * 800), tol=1e-12, max_iter=10000).fit(ds.X, ds.y)
    expected = log_loss(ds.y, est.predict_proba(ds.X)) + 0.5 * ds.alpha * np.sum(est.coef_ ** 2)
    assert data.objective(ds, coef, intercept) == pytest.approx(expected, rel=1e-8)
    accuracy = (est.predict(ds.X_test) == ds.y_test).mean()
    assert data.test_score(ds, coef, intercept) == pytest.approx(accuracy)


def test_text_like_rows_are_unit_norm_csr():
    ds = data.text_like(400, 3000, alpha=1e-5, nnz_per_row=20)
    assert sp.issparse(ds.X) and ds.X.format == "csr" and ds.X.has_sorted_indices
    norms = np.sqrt(ds.X.multiply(ds.X).sum(axis=1)).A1
    np.testing.assert_allclose(norms, 1.0, rtol=1e-12)
    assert 10 < ds.X.nnz / ds.X.shape[0] < 30
    assert ds.nbytes == ds.X.data.nbytes + ds.X.indices.nbytes + ds.X.indptr.nbytes


def test_correlated_gaussian_has_the_stated_correlation():
    X = data.correlated_gaussian(np.random.default_rng(0), 20000, 4, rho=0.5)
    corr = np.corrcoef(X.T)
    np.testing.assert_allclose(X.std(axis=0), 1.0, atol=0.02)
    for lag in (1, 2, 3):
        np.testing.assert_allclose(np.diag(corr, lag), 0.5 ** lag, atol=0.02)


def test_epoch_grid_grows_geometrically():
    grid = [k for _, k in zip(range(14), timing.epochs())]
    assert grid[:6] == [1, 2, 3, 4, 6, 8]
    ratios = np.diff(grid) / np.array(grid[:-1])
    assert np.all(ratios > 0.3) and np.all(ratios <= 1.0)


def test_time_to_reads_the_first_fit_below_the_target():
    res = timing.Result("x", points=[timing.Point(0.1, 2.0, 1), timing.Point(0.2, 1.01, 2),
                                     timing.Point(0.4, 1.0005, 4)])
    assert res.time_to(1.02) == 0.2 and res.time_to(1.001) == 0.4
    assert np.isnan(res.time_to(1.0))


def test_one_data_set_end_to_end(tmp_path):
    """Every contender runs, our trajectory reaches 0.1 %, the report names them all."""
    ds = data.dense("regression", 3000, 8, alpha=1e-4, seed=0)
    m = suite.measure(ds, budget=2.0, log=lambda *_: None)  # seconds of fits per contender
    names = [r.name for r in m["results"]]
    assert names[:4] == ["ours: defaults", "ours: best", "sklearn SGD: defaults",
                         "sklearn SGD: best-tuned"]
    best = report.by_name(m)["ours: best"]
    assert best.points[-1].objective <= m["j_star"] * (1 + suite.TARGET_01)
    exact = report.by_name(m)["Ridge (exact optimum)"].final.objective
    assert exact == pytest.approx(m["j_star"], rel=1e-9)
    table = report.dataset_table(m)
    assert all(f"| {name} |" in table for name in names)
    checks = report.targets([m])
    assert checks.count("| 3 epoch |") == 4 and "| 2 best |" in checks
    report.figure([m], tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_quick_run_writes_table_json_and_figure(tmp_path):
    subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)
    text = (tmp_path / "benchmarks-quick.md").read_text()
    assert "## Targets (issue 3)" in text and "objective_vs_time-quick.png" in text
    assert (tmp_path / "objective_vs_time-quick.png").stat().st_size > 10_000
    assert (tmp_path / "benchmarks-quick.json").stat().st_size > 1_000


def test_small_table_benchmark_reports_the_ratio(capsys):
    """``python -m benchmarks.small`` runs and prints the ratio it exists for."""
    from benchmarks import small

    small.main(["--repeat", "1"])
    out = capsys.readouterr().out
    ratio = float(out.split("ratio ours / SGDRegressor:")[1].split()[0])
    assert ratio > 0 and "fixed cost" in out


def test_epochs_benchmark_has_a_row_per_optimizer(capsys):
    """``python -m benchmarks.epochs`` times every registered optimizer at each batch size,
    with plain SGD as the 1.00x of its own column."""
    from benchmarks import epochs
    from skopt_gd.optimizers import OPTIMIZERS

    epochs.main(["--rows", "2000", "--features", "10", "--batch-sizes", "16",
                 "--floor", "0"])
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()
            if line.startswith("|    16 |")]
    assert [r[1].strip() for r in rows] == list(OPTIMIZERS)
    assert rows[0][3].strip() in ("1.00x", "—")  # "—": sgd's own epoch read 0
    assert all(float(r[2]) >= 0 for r in rows)
