"""End-to-end tests of ``skopt-gd compare`` (via ``main([...])`` and one subprocess).

References are computed here independently: scikit-learn's exact solvers under
``cross_val_score`` / ``cross_val_predict`` on the same folds, design matrices
one-hot encoded by hand, and properties that must hold for any correct
comparison (no model beats the exact minimiser on its own objective).
"""

import csv
import io
import json
import subprocess
import sys
from functools import partial

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import (
    LassoCV, LinearRegression, LogisticRegression, SGDRegressor,
)
from sklearn.metrics import r2_score
from sklearn.model_selection import (
    KFold, LeaveOneOut, ShuffleSplit, StratifiedKFold, cross_val_predict, cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skopt_gd._compare as compare_module
from skopt_gd import SGDLinearRegressor
from skopt_gd.__main__ import main
from skopt_gd._cli import build_parser, load_csv, render
from skopt_gd.optimizers import OPTIMIZERS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CV_REGRESSION = ["LassoCV", "SGDLinearRegressorCV l1", "RidgeCV", "SGDLinearRegressorCV l2"]
CV_CLASSIFIER = ["LogisticRegressionCV", "SGDLogisticClassifierCV"]
FAST = ["--optimizers", "sgd,adam", "--cv", "kfold:3"]


def run(capsys, *argv):
    """``main`` on ``argv``; return (status, stdout, stderr)."""
    status = main(["compare", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def rows_of(report, dataset):
    (result,) = [r for r in report["results"] if r["dataset"] == dataset]
    return result, {row["model"]: row for row in result["models"]}


def table_rows(text):
    """Model -> cells of every row of the plain-text tables, cut at the dashed rule."""
    rows, spans = {}, None
    for line in text.splitlines():
        if line.startswith("---"):
            edges = [0] + [i + 2 for i, c in enumerate(line) if line[i:i + 2] == "  "]
            spans = list(zip(edges, edges[1:] + [None]))
        elif not line or line.startswith("* ") or ":" in line.split("  ")[0]:
            spans = None  # title, blank line or note
        elif spans:
            cells = [line[a:b].strip() for a, b in spans]
            rows[cells[0]] = cells
    return rows


def write_csv(path, header, rows, delimiter=","):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


@pytest.fixture
def mixed_csv(tmp_path):
    """Regression data with a text column: y = 2 x1 - x2 + 1.5 [red] + noise."""
    rng = np.random.default_rng(0)
    n = 60
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = np.array(["red", "green", "blue"] * (n // 3))
    y = 2 * x1 - x2 + 1.5 * (color == "red") + 0.1 * rng.normal(size=n)
    rows = [[f"{a:.6f}", f"{b:.6f}", c, f"{t:.6f}"] for a, b, c, t in zip(x1, x2, color, y)]
    path = write_csv(tmp_path / "mixed.csv", ["x1", "x2", "color", "y"], rows)
    # the values exactly as written, one-hot encoded by hand
    X = np.array([[float(r[0]), float(r[1])] for r in rows])
    design = np.column_stack([X] + [(color == c).astype(float) for c in ("red", "green")])
    return path, design, np.array([float(r[3]) for r in rows])


# ---- the default run -------------------------------------------------------------
def test_default_run_prints_both_bundled_datasets_with_real_scores(capsys):
    status, out, err = run(capsys)
    assert status == 0 and err == ""  # stderr is not a TTY here: no progress bar
    regression, classification = out.split("\n\n")
    assert regression.startswith("diabetes: regression, 442 samples x 10 features, CV kfold:5")
    assert classification.startswith("breast_cancer: classification, 569 samples x 30")
    reg, clf = table_rows(regression), table_rows(classification)
    assert list(reg) == ["LinearRegression", *OPTIMIZERS, "SGDRegressor", *CV_REGRESSION]
    assert list(clf) == ["LogisticRegression", *OPTIMIZERS, "SGDClassifier", *CV_CLASSIFIER]
    # the exact rows against scikit-learn on the same (stratified) folds
    X, y = load_diabetes(return_X_y=True)
    r2 = cross_val_score(LinearRegression(), X, y, cv=KFold(5, shuffle=True, random_state=0))
    assert reg["LinearRegression"][1] == f"{r2.mean():.4f} ± {r2.std():.4f}"
    X, y = load_breast_cancer(return_X_y=True)
    acc = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y,
                          cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert clf["LogisticRegression"][1] == f"{acc.mean():.4f} ± {acc.std():.4f}"
    # real results: default-setting optimizers come close to the exact solvers
    for name in ("sgd", "momentum", "nesterov", "adam"):
        assert abs(float(reg[name][4])) < 0.01 and abs(float(clf[name][4])) < 0.02
        # never below the exact minimum, beyond round-off (sgd reaches it to ~1e-17)
        assert float(reg[name][5]) > -1e-12


# ---- formats ---------------------------------------------------------------------
def test_json_matches_independent_references(capsys):
    status, out, _ = run(capsys, "--task", "regression", *FAST, "--format", "json")
    assert status == 0
    report = json.loads(out)
    result, rows = rows_of(report, "diabetes")
    assert (result["task"], result["cv"], result["scoring"]) == ("regression", "kfold:3", "r2")
    assert list(rows) == ["LinearRegression", "sgd", "adam", "SGDRegressor"]
    X, y = load_diabetes(return_X_y=True)
    r2 = cross_val_score(LinearRegression(), X, y, cv=KFold(3, shuffle=True, random_state=0))
    exact = rows["LinearRegression"]
    assert exact["score_mean"] == pytest.approx(r2.mean(), abs=1e-10)
    assert exact["score_std"] == pytest.approx(r2.std(), abs=1e-10)
    assert exact["epochs"] is None and exact["score_gap"] == 0 and exact["coef_gap"] == 0
    for name in ("sgd", "adam", "SGDRegressor"):
        row = rows[name]
        assert row["score_gap"] == pytest.approx(row["score_mean"] - r2.mean(), abs=1e-10)
        assert row["objective_gap"] >= -1e-9  # least squares is the minimiser
        assert 1 <= row["epochs"] <= 1000 and row["fit_time_s"] > 0 and row["error"] is None


def test_cv_rows_choose_alpha_like_the_exact_cv_estimators(capsys):
    """The ``...CV`` rows: the anchors' choices are scikit-learn's own on the same folds
    and preprocessing (recomputed here); ours is within 1e-3 of the anchor's best score
    by the anchor's own CV curve (LassoCV), or the same grid value (the others)."""
    status, out, _ = run(capsys, *FAST, "--format", "json")
    assert status == 0
    report = json.loads(out)
    reg, clf = (rows_of(report, name)[0]["cv_models"] for name in ("diabetes",
                                                                   "breast_cancer"))
    assert [r["model"] for r in reg] == CV_REGRESSION
    assert [r["model"] for r in clf] == CV_CLASSIFIER
    assert all(r["error"] is None and r["fit_time"] > 0 for r in reg + clf)
    X, y = load_diabetes(return_X_y=True)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    lasso = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), LassoCV(alphas=20, cv=folds)),
        transformer=StandardScaler()).fit(X, y).regressor_[-1]
    assert reg[0]["alpha"] == pytest.approx(lasso.alpha_, rel=1e-12)
    curve = lasso.mse_path_.mean(axis=1)
    k = int(np.argmin(np.abs(np.log(lasso.alphas_) - np.log(reg[1]["alpha"]))))
    assert np.isclose(lasso.alphas_[k], reg[1]["alpha"], rtol=1e-9)  # a grid value
    assert curve[k] - curve.min() <= 1e-3 * curve.min()
    assert reg[3]["alpha"] == pytest.approx(reg[2]["alpha"], rel=1e-9)  # RidgeCV's choice
    assert clf[1]["alpha"] == pytest.approx(clf[0]["alpha"], rel=1e-9)
    assert abs(clf[1]["score"] - clf[0]["score"]) < 0.02
    assert reg[1]["ratio"] == pytest.approx(reg[1]["fit_time"] / reg[0]["fit_time"])


def test_csv_and_table_agree_with_json(capsys):
    args = ["--task", "classification", "--optimizers", "adam", "--cv", "kfold:3"]
    outputs = {fmt: run(capsys, *args, "--format", fmt)[1]
               for fmt in ("json", "csv", "table", "markdown")}
    _, rows = rows_of(json.loads(outputs["json"]), "breast_cancer")
    records = list(csv.DictReader(io.StringIO(outputs["csv"])))
    assert [r["model"] for r in records] == list(rows)
    table, markdown = table_rows(outputs["table"]), outputs["markdown"].splitlines()
    assert markdown[0].startswith("### breast_cancer: classification")
    md_rows = {line.split("|")[1].strip(): line for line in markdown if line.startswith("| ")}
    for record in records:
        row = rows[record["model"]]
        assert record["dataset"] == "breast_cancer" and record["scoring"] == "accuracy"
        assert float(record["score_mean"]) == pytest.approx(row["score_mean"], rel=1e-12)
        shown = f"{row['score_mean']:.4f} ± {row['score_std']:.4f}"
        assert table[record["model"]][1] == shown and f"| {shown} |" in md_rows[record["model"]]


# ---- user CSV files ----------------------------------------------------------------
def test_csv_file_with_text_column_is_one_hot_encoded(capsys, mixed_csv):
    path, design, y = mixed_csv
    status, out, err = run(capsys, "--data", path, "--target", "y", "--optimizers", "adam",
                           "--format", "json")
    assert status == 0
    assert err == ("skopt-gd: note: column 'color' is not numeric (e.g. 'red'): one-hot "
                   "encoded (3 values)\n")
    result, rows = rows_of(json.loads(out), "mixed")
    assert (result["task"], result["n_samples"], result["n_features"]) == ("regression", 60, 3)
    r2 = cross_val_score(LinearRegression(), design, y,
                         cv=KFold(5, shuffle=True, random_state=0))
    assert rows["LinearRegression"]["score_mean"] == pytest.approx(r2.mean(), abs=1e-10)
    assert rows["adam"]["score_mean"] > 0.95  # the red effect is learned from one-hot


@pytest.mark.parametrize("target, values, expected", [
    ("label", ["yes", "no"], "classification"),   # text target
    ("label", ["1", "2", "3"], "classification"),  # few distinct integers
    ("label", ["0.5", "1.5", "2.5"], "regression"),  # not integers
])
def test_task_auto_rule(capsys, tmp_path, target, values, expected):
    rng = np.random.default_rng(1)
    rows = [[f"{rng.normal():.4f}", values[i % len(values)]] for i in range(30)]
    path = write_csv(tmp_path / "t.csv", ["x", target], rows, delimiter=";")
    status, out, _ = run(capsys, "--data", path, "--target", target, "--optimizers", "sgd",
                         "--cv", "kfold:3", "--format", "json")
    assert status == 0 and json.loads(out)["results"][0]["task"] == expected


@pytest.mark.parametrize("cv, splitter", [
    ("loo", LeaveOneOut()),
    ("split:0.25", ShuffleSplit(n_splits=1, test_size=0.25, random_state=0)),
])
def test_loo_and_split_score_like_sklearn(capsys, mixed_csv, cv, splitter):
    path, design, y = mixed_csv
    status, out, _ = run(capsys, "--data", path, "--target", "y", "--optimizers", "nesterov",
                         "--cv", cv, "--format", "json")
    assert status == 0
    result, rows = rows_of(json.loads(out), "mixed")
    assert result["cv"] == cv
    train, test = next(splitter.split(design))
    expected = (r2_score(y, cross_val_predict(LinearRegression(), design, y, cv=splitter))
                if cv == "loo" else
                LinearRegression().fit(design[train], y[train]).score(design[test], y[test]))
    exact = rows["LinearRegression"]
    assert exact["score_mean"] == pytest.approx(expected, abs=1e-10)
    assert exact["score_std"] is None  # one score: pooled LOO predictions, or one split


def test_search_reports_a_grid_cell_at_least_as_good_as_the_default(capsys, mixed_csv):
    path = mixed_csv[0]
    args = ["--data", path, "--target", "y", "--optimizers", "sgd", "--cv", "kfold:3",
            "--format", "json"]
    plain = rows_of(json.loads(run(capsys, *args)[1]), "mixed")[1]["sgd"]
    status, out, _ = run(capsys, *args, "--search")
    searched = rows_of(json.loads(out), "mixed")[1]["sgd"]
    assert status == 0 and plain["params"] == {}
    grid = compare_module.SEARCH_GRID
    assert set(searched["params"]) == set(grid)
    assert all(searched["params"][key] in grid[key] for key in grid)
    # the default settings (eta0=0.01, adaptive, no penalty) are one of the cells
    assert searched["score_mean"] >= plain["score_mean"] - 1e-12


def test_seed_and_jobs(capsys, mixed_csv):
    args = ["--data", mixed_csv[0], "--target", "y", "--optimizers", "adam", "--format", "csv"]
    one = run(capsys, *args)[1]
    again = run(capsys, *args, "--jobs", "2")[1]
    other = run(capsys, *args, "--seed", "1")[1]

    def scores(text):
        return [r["score_mean"] for r in csv.DictReader(io.StringIO(text))]
    assert scores(one) == scores(again)  # parallel folds give the same numbers
    assert scores(one) != scores(other)  # another seed, other folds


def test_failed_model_is_reported_in_its_row(capsys, monkeypatch):
    diverging = partial(SGDLinearRegressor, eta0=100.0, learning_rate="constant")
    monkeypatch.setattr(compare_module, "SGDLinearRegressor",
                        lambda **kw: diverging(**{**kw, "penalty": None}))
    status, out, _ = run(capsys, "--task", "regression", *FAST)
    assert status == 0
    rows = table_rows(out)
    assert rows["sgd"][1] == "failed" and "LinearRegression" in rows
    assert "sgd: failed in 3/3 folds: Training diverged" in out


# ---- --raw: no scaling anywhere ------------------------------------------------------
RAW_FAST = ["--raw", "--optimizers", "sgd", "--cv", "kfold:2", "--max-iter", "20"]


@pytest.fixture
def scales_csv(tmp_path):
    """Regression on features of scales 1, 1e3 and 1e5: y = a + 2e-3 b + 3e-5 c + noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) * [1.0, 1e3, 1e5]
    y = X @ [1.0, 2e-3, 3e-5] + 0.1 * rng.normal(size=40)
    rows = [[f"{v:.6g}" for v in features] + [f"{t:.6f}"] for features, t in zip(X, y)]
    return write_csv(tmp_path / "scales.csv", ["a", "b", "c", "y"], rows)


def _scalers(estimator):
    """Every StandardScaler / target transformer anywhere inside ``estimator``."""
    found = [value for value in estimator.get_params(deep=True).values()
             if isinstance(value, (StandardScaler, TransformedTargetRegressor))]
    return found + ([estimator] if isinstance(estimator, TransformedTargetRegressor) else [])


def test_raw_flag_parses():
    parser = build_parser()
    assert parser.parse_args(["compare", "--raw"]).raw is True
    assert parser.parse_args(["compare"]).raw is False
    assert compare_module.Options(("sgd",), raw=True).mode == "raw"
    assert compare_module.Options(("sgd",)).mode == "standardized"


def test_raw_builds_no_scaler_in_any_model(mixed_csv):
    datasets = compare_module.builtin_datasets() + [load_csv(mixed_csv[0], "y")]
    for dataset in datasets:
        raw = compare_module.model_specs(dataset, compare_module.Options(OPTIMIZERS, raw=True))
        scaled = compare_module.model_specs(dataset, compare_module.Options(OPTIMIZERS))
        assert [s.kind for s in raw] == ["exact", *["skopt_gd"] * len(OPTIMIZERS), "sklearn"]
        assert [s.name for s in raw] == [s.name for s in scaled]
        for spec, control in zip(raw, scaled):
            assert _scalers(control.estimator), control  # the default does standardize
            assert not _scalers(spec.estimator), spec
            # the model's parameters are reachable under the spec's prefix (--search, alpha)
            assert spec.prefix + "fit_intercept" in spec.estimator.get_params()
            prep = spec.estimator.named_steps["prep"]
            if dataset.categorical:  # text columns are still one-hot encoded, numbers pass
                assert [t[1] for t in prep.transformers][0] == "passthrough"
            else:
                assert prep == "passthrough"


def test_raw_report_names_the_mode_in_every_format(capsys, scales_csv):
    args = ["--data", scales_csv, "--target", "y", *RAW_FAST]
    outputs = {fmt: run(capsys, *args, "--format", fmt) for fmt in
               ("table", "markdown", "json", "csv")}
    assert all(status == 0 and err == "" for status, _, err in outputs.values())
    table, markdown = outputs["table"][1], outputs["markdown"][1]
    assert table.startswith("scales: regression, 40 samples x 3 features, CV kfold:2, "
                            "raw features (no scaling), score = R^2")
    assert markdown.startswith("### scales: regression") and "raw features" in markdown
    report = json.loads(outputs["json"][1])
    assert report["mode"] == "raw" and report["results"][0]["mode"] == "raw"
    records = list(csv.DictReader(io.StringIO(outputs["csv"][1])))
    assert {r["mode"] for r in records} == {"raw"}
    assert [r["model"] for r in records] == ["LinearRegression", "sgd", "SGDRegressor"]
    # the exact solver on raw features is the exact solver: same R^2 as sklearn's
    _, rows = rows_of(report, "scales")
    X, y = load_csv(scales_csv, "y").X, load_csv(scales_csv, "y").y
    r2 = cross_val_score(LinearRegression(), X, y, cv=KFold(2, shuffle=True, random_state=0))
    assert rows["LinearRegression"]["score_mean"] == pytest.approx(r2.mean(), abs=1e-10)
    # sklearn's SGD on features of scale 1e5: a huge, meaningless score, reported as is
    theirs = rows["SGDRegressor"]
    assert theirs["error"] is None and theirs["score_mean"] < -1e3
    cells = table_rows(table)["SGDRegressor"]
    assert "e+" in cells[1] and float(cells[1].split()[0]) == pytest.approx(
        theirs["score_mean"], rel=1e-3)
    # whatever our optimizer does on raw data (the core decides), it is a score or an error
    ours = rows["sgd"]
    assert (ours["error"] is None) != (ours["score_mean"] is None)


def test_default_report_says_standardized(capsys, scales_csv):
    args = ["--data", scales_csv, "--target", "y", "--optimizers", "sgd", "--cv", "kfold:2",
            "--max-iter", "20"]
    status, out, _ = run(capsys, *args, "--format", "json")
    assert status == 0
    report = json.loads(out)
    assert report["mode"] == "standardized" and report["results"][0]["mode"] == "standardized"
    assert "CV kfold:2, standardized features, score" in run(capsys, *args)[1]


class _Broken(SGDRegressor):
    def fit(self, X, y, **kw):
        raise RuntimeError("boom")


class _Overflowing(LinearRegression):
    def predict(self, X):
        return np.full(len(X), np.inf)


def test_raw_error_in_one_model_is_in_its_row_and_the_others_run(capsys, monkeypatch,
                                                                  scales_csv):
    monkeypatch.setattr(compare_module, "SGDRegressor", _Broken)
    status, out, err = run(capsys, "--data", scales_csv, "--target", "y", *RAW_FAST,
                           "--format", "json")
    assert status == 0 and err == ""
    _, rows = rows_of(json.loads(out), "scales")
    assert list(rows) == ["LinearRegression", "sgd", "SGDRegressor"]
    broken = rows["SGDRegressor"]
    assert broken["error"] == "failed in 2/2 folds: RuntimeError: boom"
    assert broken["score_mean"] is None and broken["score_gap"] is None
    exact = rows["LinearRegression"]
    assert exact["error"] is None and exact["score_mean"] > 0.99 and exact["score_gap"] == 0
    status, out, _ = run(capsys, "--data", scales_csv, "--target", "y", *RAW_FAST)
    assert status == 0 and table_rows(out)["SGDRegressor"][1] == "failed"
    assert "SGDRegressor: failed in 2/2 folds: RuntimeError: boom" in out


def test_non_finite_predictions_are_an_error_row(capsys, monkeypatch, scales_csv):
    monkeypatch.setattr(compare_module, "LinearRegression", _Overflowing)
    status, out, err = run(capsys, "--data", scales_csv, "--target", "y", *RAW_FAST,
                           "--format", "json")
    assert status == 0 and err == ""
    _, rows = rows_of(json.loads(out), "scales")
    assert rows["LinearRegression"]["error"].endswith("non-finite predictions (the fit "
                                                      "overflowed)")
    # without a reference, the others keep their scores but have no gaps
    assert rows["SGDRegressor"]["score_mean"] is not None
    assert rows["SGDRegressor"]["score_gap"] is None


def _result(rows, mode="raw"):
    base = {"kind": "sklearn", "score_std": np.nan, "fit_time": 1e-3, "epochs": 5.0,
            "converged": True, "score_gap": np.nan, "objective_gap": np.nan,
            "coef_gap": np.nan, "params": {}, "error": None}
    rows = [{**base, **row} for row in rows]
    return compare_module.Result("toy", "regression", 10, 2, 2, "kfold:2", "r2", rows, {},
                                 mode)


def test_huge_and_infinite_scores_render_in_every_format():
    result = _result([
        {"model": "LinearRegression", "kind": "exact", "score_mean": 0.5, "score_std": 0.1,
         "epochs": None, "score_gap": 0.0, "objective_gap": 0.0, "coef_gap": 0.0},
        {"model": "SGDRegressor", "score_mean": -1e33, "score_std": 2e33,
         "score_gap": -1e33, "objective_gap": 1e40, "coef_gap": 1e12},
        {"model": "sgd", "kind": "skopt_gd", "score_mean": -np.inf, "score_gap": -np.inf,
         "objective_gap": np.inf},
    ])
    table = render([result], "table")
    assert table.startswith("toy: regression, 10 samples x 2 features, CV kfold:2, raw")
    cells = table_rows(table)
    assert cells["SGDRegressor"][1:5] == ["-1.000e+33 ± 2.000e+33", "1.0 ms", "5",
                                          "-1.000e+33"]
    assert cells["SGDRegressor"][5:] == ["+1.0e+40", "1.0e+12"]
    assert cells["sgd"][1] == "-inf" and cells["sgd"][4:6] == ["-inf", "+inf"]
    assert cells["LinearRegression"][1] == "0.5000 ± 0.1000"
    assert "| -1.000e+33 ± 2.000e+33 |" in render([result], "markdown")
    report = json.loads(render([result], "json"))  # strict JSON: no Infinity / NaN
    models = {m["model"]: m for m in report["results"][0]["models"]}
    assert models["SGDRegressor"]["score_mean"] == -1e33
    assert models["sgd"]["score_mean"] is None and report["mode"] == "raw"
    records = {r["model"]: r for r in csv.DictReader(io.StringIO(render([result], "csv")))}
    assert float(records["SGDRegressor"]["score_mean"]) == -1e33
    assert records["sgd"]["score_mean"] == "-inf" and records["sgd"]["coef_gap"] == ""


# ---- plot and progress -------------------------------------------------------------
def test_plot_writes_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "curves.png"
    status, _, err = run(capsys, *FAST, "--plot", str(target))
    assert status == 0 and f"loss curves written to {target}" in err
    data = target.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 10_000


def test_plot_without_matplotlib_is_a_usage_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    status, out, err = run(capsys, *FAST, "--plot", str(tmp_path / "x.png"))
    assert status == 2 and out == "" and "pip install skopt_gd[plot]" in err


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_only_on_a_terminal_and_not_quiet(capsys, monkeypatch, quiet):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    status = main(["compare", "--task", "regression", *FAST] + (["--quiet"] if quiet else []))
    out = capsys.readouterr().out
    assert status == 0 and out.startswith("diabetes")
    drawn = terminal.getvalue()
    if quiet:
        assert drawn == ""
    else:  # 4 models x 3 folds, redrawn in place, erased at the end
        assert "\r" in drawn and "12/12" in drawn and drawn.endswith("\r")
        assert "...CV rows" in drawn


def test_progress_shows_epochs_through_sklearn_callbacks(capsys, monkeypatch):
    """With scikit-learn >= 1.9 the line follows each fold fit's epochs through the
    callbacks API (a FitCallback on our models); the counts are those of the fits."""
    if not compare_module._callbacks.SUPPORTED:
        pytest.skip("scikit-learn < 1.9: no sklearn.callback")
    notes = []
    monkeypatch.setattr(compare_module.EpochProgress, "on_fit_task_end",
                        lambda self, est, ctx, **kw: notes.append((ctx.task_name, self.text))
                        or setattr(self, "epochs", self.epochs + (ctx.task_name == "epoch")))
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    status, out, _ = run(capsys, "--task", "regression", "--optimizers", "sgd", "--cv",
                         "kfold:2", "--format", "json")
    assert status == 0
    _, rows = rows_of(json.loads(out), "diabetes")
    epochs = [name for name, _ in notes].count("epoch")
    assert epochs == 2 * rows["sgd"]["epochs"]  # one task per epoch run, both folds
    assert {text for _, text in notes} == {"diabetes: sgd fold 1", "diabetes: sgd fold 2"}
    # without a terminal (or with --jobs 2) no callback is attached
    notes.clear()
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert run(capsys, "--task", "regression", "--optimizers", "sgd", "--cv", "kfold:2")[0] == 0
    assert notes == []


# ---- errors: one line on stderr, exit status 2 ------------------------------------
BAD_FILES = {
    "missing.csv": None,
    "empty.csv": "",
    "ragged.csv": "a,b,y\n1,2,3\n4,5\n",
    "hole.csv": "a,b,y\n1,2,3\n4,NA,6\n7,8,9\n",
    "infinite.csv": "a,y\n1,2\ninf,3\n4,5\n",
    "dupe.csv": "a,a,y\n1,2,3\n4,5,6\n",
    "oneclass.csv": "a,y\n1,x\n2,x\n3,x\n",
    "textual.csv": "a,y\n1,1.5\n2,2.5\n3,oops\n",
    "onlytarget.csv": "y\n1\n2\n3\n",
    "onerow.csv": "a,y\n1,2\n",
    "ids.csv": "a,y\n" + "".join(f"id{i},{i}.5\n" for i in range(60)),
}

BAD_ARGUMENTS = [
    (["--cv", "kfold:1"], "expected kfold:K"),
    (["--cv", "split:1.5"], "expected kfold:K"),
    (["--cv", "bootstrap"], "expected kfold:K"),
    (["--optimizers", "adamw"], "unknown optimizer 'adamw'"),
    (["--optimizers", ","], "no optimizer"),
    (["--jobs", "0"], "--jobs"),
    (["--max-iter", "0"], "--max-iter"),
    (["--seed", "-1"], "--seed"),
    (["--format", "xml"], "invalid choice"),
    (["--task", "ranking"], "invalid choice"),
    (["--bogus"], "unrecognized arguments"),
    (["--target", "y"], "--target needs --data"),
    (["--data", "{mixed}"], "--data needs --target"),
    (["--data", "{mixed}", "--target", "price"], "no column 'price'; columns are x1, x2"),
    (["--data", "{mixed}", "--target", "y", "--task", "classification"], "non-integer"),
    (["--data", "{mixed}", "--target", "color", "--task", "regression"], "not numeric"),
    (["--data", "{mixed}", "--target", "y", "--cv", "kfold:100"], "at least 100 samples"),
    (["--plot", "{tmp}/no/such/folder/x.png"], "does not exist"),
    (["--plot", "{tmp}/x.unknown"], "unknown image type"),
    (["--data", "{missing.csv}", "--target", "y"], "cannot read"),
    (["--data", "{empty.csv}", "--target", "y"], "is empty"),
    (["--data", "{ragged.csv}", "--target", "y"], "line 3: 2 fields, the header has 3"),
    (["--data", "{hole.csv}", "--target", "y"], "line 3, column 'b': missing value 'NA'"),
    (["--data", "{infinite.csv}", "--target", "y"], "'inf' is not finite"),
    (["--data", "{dupe.csv}", "--target", "y"], "distinct, non-empty column names"),
    (["--data", "{oneclass.csv}", "--target", "y"], "single class"),
    (["--data", "{textual.csv}", "--target", "y", "--task", "regression"], "not numeric"),
    (["--data", "{onlytarget.csv}", "--target", "y"], "no feature column"),
    (["--data", "{onerow.csv}", "--target", "y"], "at least 2 data rows"),
    (["--data", "{ids.csv}", "--target", "y"], "60 distinct non-numeric values"),
]


@pytest.mark.parametrize("argv, message", BAD_ARGUMENTS,
                         ids=[" ".join(a) for a, _ in BAD_ARGUMENTS])
def test_bad_argument_is_one_line_and_status_2(capsys, tmp_path, mixed_csv, argv, message):
    for name, text in BAD_FILES.items():
        if text is not None:
            (tmp_path / name).write_text(text)
    names = {f"{{{name}}}": str(tmp_path / name) for name in BAD_FILES}
    names.update({"{mixed}": mixed_csv[0], "{tmp}": str(tmp_path)})
    argv = [next((a.replace(k, v) for k, v in names.items() if k in a), a) for a in argv]
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err  # exactly one line
    assert err.startswith("skopt-gd") and message in err and "Traceback" not in err


def test_help_version_and_missing_command(capsys):
    assert main(["compare", "--help"]) == 0
    assert "--data FILE.csv" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("skopt_gd ")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "required: {compare,warmup}" in err


# ---- as a process ------------------------------------------------------------------
def test_python_dash_m_runs_and_fails_cleanly():
    base = [sys.executable, "-m", "skopt_gd", "compare"]
    done = subprocess.run(base + ["--task", "classification", "--optimizers", "adam",
                                  "--cv", "split:0.25", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    _, rows = rows_of(json.loads(done.stdout), "breast_cancer")
    assert list(rows) == ["LogisticRegression", "adam", "SGDClassifier"]
    assert done.stderr == ""  # not a terminal: no progress bar, and no warnings leak
    bad = subprocess.run(base + ["--data", "nope.csv", "--target", "y"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "cannot read nope.csv" in bad.stderr
