"""Command line of ``skopt-gd``: arguments, CSV input and the output formats.

The comparison itself lives in ``_compare.py`` and the entry point ``main`` in
``__main__.py``. Every user error (argument, file, column, target) becomes a
:class:`UsageError` or an argparse error: one line on stderr, exit status 2.
"""

import argparse
import csv
import io
import json
from pathlib import Path

import numpy as np

from . import __version__
from ._compare import Dataset
from .optimizers import OPTIMIZERS

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MAX_CATEGORIES = 50
MAX_CLASSES = 10

DESCRIPTION = """\
Cross-validate every chosen skopt_gd optimizer side by side with the exact solver
(LinearRegression / LogisticRegression) and scikit-learn's SGDRegressor /
SGDClassifier, all on the same folds, the same preprocessing and the same objective.

Without --data it runs on scikit-learn's bundled diabetes (regression) and breast
cancer (classification) datasets. Regression models minimise the mean squared error
(no penalty: LinearRegression); classifiers the mean log loss + l2 with
alpha = 1/n_train (LogisticRegression(C=1)).

Columns, means over the CV folds: score +/- std (R^2 or accuracy; LOO pools the
predictions instead), fit time, epochs (* = stopped at --max-iter in some fold),
and the gaps to the exact solver: score gap (score - exact score), obj gap (that
objective on the training fold, (J - J_exact) / J_exact) and coef gap
(||w - w_exact|| / ||w_exact||, standardized features, intercept left out).

--raw fits every model on the unscaled features (and target) instead, with no
StandardScaler anywhere: LinearRegression's predictions do not depend on feature
scales, skopt_gd's defaults are meant not to, scikit-learn's SGD's do (huge
garbage scores are reported as they are, failures in their row). The title of
each table says which mode ran: standardized features or raw features."""

EPILOG = """\
CSV input (--data): comma, semicolon, tab or pipe separated, header row required,
UTF-8. Numeric columns are standardized (left as they are with --raw); a column
with any non-numeric value is one-hot encoded (at most 50 distinct values, learned
on each training fold; unseen ones encode as zeros; a note on stderr names each
such column). Missing values (empty, NA, NaN, null, ?) are an error: drop or
impute them first. --task auto picks classification when the target is non-numeric
or holds at most 10 distinct integer values, regression otherwise.

examples:
  skopt-gd compare
  skopt-gd compare --optimizers adam,nesterov --cv kfold:10 --format markdown
  skopt-gd compare --raw --task classification
  skopt-gd compare --data houses.csv --target price --search --plot curves.png"""


class UsageError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit with status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _cv(text):
    kind, _, value = text.strip().lower().partition(":")
    try:
        if kind == "loo" and not value:
            return ("loo", None)
        if kind == "kfold":
            k = int(value) if value else 5
            if k >= 2:
                return ("kfold", k)
        if kind == "split":
            fraction = float(value)
            if 0 < fraction < 1:
                return ("split", fraction)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"{text!r}: expected kfold:K (K >= 2), loo or split:FRACTION (0 < FRACTION < 1)")


def _optimizers(text):
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return tuple(OPTIMIZERS)
    unknown = [n for n in names if n not in OPTIMIZERS]
    if unknown or not names:
        what = f"unknown optimizer {', '.join(map(repr, unknown))}" if unknown else "no optimizer"
        raise argparse.ArgumentTypeError(
            f"{what}; choose from {', '.join(OPTIMIZERS)} or all")
    return tuple(dict.fromkeys(names))


def _int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"{text!r}: expected an integer >= {low}")
        return value
    return parse


def _jobs(text):
    value = _int_at_least(-1)(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0: expected a number of processes >= 1, or -1 (all)")
    return value


def build_parser():
    """The ``skopt-gd`` argument parser (sub-commands ``compare`` and ``warmup``)."""
    parser = _Parser(prog="skopt-gd", description="skopt_gd command line.")
    parser.add_argument("--version", action="version", version=f"skopt_gd {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{compare,warmup}")
    sub.add_parser("warmup", help="compile every kernel into numba's on-disk cache, so "
                   "the first fit of a new process starts in about a second",
                   description="Compile (or load) every compiled kernel of skopt_gd once. "
                   "Worth running once after installing; takes about a minute.")
    cmd = sub.add_parser("compare", help="side-by-side comparison with the exact solvers",
                         description=DESCRIPTION, epilog=EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("--data", metavar="FILE.csv", help="your own CSV file (needs --target)")
    cmd.add_argument("--target", metavar="COLUMN", help="name of the target column of --data")
    cmd.add_argument("--task", choices=("auto", "regression", "classification"),
                     default="auto", help="the task of --data (auto: see below); without "
                     "--data, runs only that bundled dataset (default: auto)")
    cmd.add_argument("--cv", type=_cv, default=("kfold", 5), metavar="SPEC",
                     help="kfold:K (stratified for classification), loo, or split:FRACTION "
                     "(one shuffled hold-out of that test fraction) (default: kfold:5)")
    cmd.add_argument("--optimizers", type=_optimizers, default=tuple(OPTIMIZERS),
                     metavar="LIST", help="comma-separated names out of "
                     f"{', '.join(OPTIMIZERS)}; or all (default: all)")
    cmd.add_argument("--search", action="store_true",
                     help="per optimizer, a GridSearchCV on the same folds over "
                     "learning_rate in {adaptive, constant}, eta0 in {0.01, 0.1, 0.001} and "
                     "penalty in {none, l2, l1} (alpha = 1/n_train); the best cell (ties: "
                     "the earliest in that order) is then cross-validated and reported")
    cmd.add_argument("--raw", action="store_true",
                     help="no scaling: every model (exact solver, skopt_gd, scikit-learn's "
                     "SGD) on the features and target as they are; text columns are still "
                     "one-hot encoded (default: features and regression target "
                     "standardized in each fold)")
    cmd.add_argument("--max-iter", type=_int_at_least(1), default=1000, metavar="N",
                     help="epoch limit of every SGD model (default: 1000)")
    cmd.add_argument("--seed", type=_int_at_least(0), default=0,
                     help="seeds the folds and every model's shuffling (default: 0)")
    cmd.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                     help="parallel processes, -1 = all cores (default: 1)")
    cmd.add_argument("--format", choices=("table", "markdown", "json", "csv"),
                     default="table", help="output on stdout (default: table)")
    cmd.add_argument("--plot", metavar="FILE.png", help="write training-loss curves "
                     "(objective vs epoch, log scale; first fold) of every optimizer "
                     "(needs matplotlib: pip install skopt_gd[plot])")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    return parser


# ---- CSV input ---------------------------------------------------------------
def _read_rows(path):
    """Header and (line number, cells) of every non-blank row."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    if not text.strip():
        raise UsageError(f"{path} is empty")
    try:
        delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise UsageError(f"{path} line {reader.line_num}: {exc}") from None
    header = [name.strip() for name in rows[0][1]]
    if len(set(header)) < len(header) or "" in header:
        raise UsageError(f"{path}: the header row needs distinct, non-empty column names")
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise UsageError(f"{path} line {line}: {len(row)} fields, the header has "
                             f"{len(header)}")
    return header, rows[1:]


def _column(path, name, cells, lines):
    """A column as float64 when every cell is a number, else as an array of str."""
    values, numeric = [], True
    for cell, line in zip(cells, lines):
        cell = cell.strip()
        if cell.lower() in MISSING:
            raise UsageError(f"{path} line {line}, column {name!r}: missing value {cell!r}; "
                             "drop or impute missing values first")
        try:
            number = float(cell)
        except ValueError:
            numeric = False
            number = None
        if number is not None and not np.isfinite(number):
            raise UsageError(f"{path} line {line}, column {name!r}: {cell!r} is not finite")
        values.append(cell if number is None else number)
    if numeric:
        return np.asarray(values, dtype=np.float64)
    return np.asarray([cell.strip() for cell in cells], dtype=object)


def _target_task(path, name, y, task):
    """Infer or check the task; return it with the encoded target."""
    numeric = y.dtype != object
    if task == "auto":
        few = numeric and np.all(y == np.round(y)) and len(np.unique(y)) <= MAX_CLASSES
        task = "classification" if (not numeric or few) else "regression"
    if task == "regression" and not numeric:
        raise UsageError(f"{path}: target {name!r} is not numeric; use --task classification")
    if task == "classification":
        if numeric and not np.all(y == np.round(y)):
            raise UsageError(f"{path}: target {name!r} holds non-integer numbers; use "
                             "--task regression")
        y = y.astype(np.int64) if numeric else y.astype(str)
        if len(np.unique(y)) < 2:
            raise UsageError(f"{path}: target {name!r} has a single class")
    return task, y


def load_csv(path, target, task="auto"):
    """Read ``path`` into a :class:`Dataset` (numbers, one-hot text columns, target)."""
    header, rows = _read_rows(path)
    if target not in header:
        raise UsageError(f"{path}: no column {target!r}; columns are {', '.join(header)}")
    if len(header) < 2:
        raise UsageError(f"{path}: no feature column besides the target {target!r}")
    if len(rows) < 2:
        raise UsageError(f"{path}: needs at least 2 data rows, found {len(rows)}")
    lines = [line for line, _ in rows]
    columns = {name: _column(path, name, cells, lines)
               for name, cells in zip(header, zip(*(row for _, row in rows)))}
    task, y = _target_task(path, target, columns.pop(target), task)
    categorical, notes = [], []
    for j, (name, col) in enumerate(columns.items()):
        if col.dtype == object:
            distinct = len(set(col))
            if distinct > MAX_CATEGORIES:
                raise UsageError(f"{path}: column {name!r} has {distinct} distinct "
                                 f"non-numeric values (at most {MAX_CATEGORIES} are one-hot "
                                 "encoded); fix or drop it")
            example = next(v for v in col if not _is_number(v))
            notes.append(f"column {name!r} is not numeric (e.g. {example!r}): one-hot "
                         f"encoded ({distinct} values)")
            categorical.append(j)
    dtype = object if categorical else np.float64
    X = np.empty((len(rows), len(columns)), dtype=dtype)
    for j, col in enumerate(columns.values()):
        X[:, j] = col
    return Dataset(Path(path).stem, X, y, task, tuple(categorical), tuple(notes))


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---- output ------------------------------------------------------------------
HEADERS = ("model", "score", "fit time", "epochs", "score gap", "obj gap", "coef gap")
CSV_FIELDS = ("dataset", "task", "mode", "cv", "scoring", "model", "kind", "score_mean",
              "score_std", "fit_time_s", "epochs", "converged", "score_gap", "objective_gap",
              "coef_gap", "params", "error")
_SCORE_NAMES = {"r2": "R^2", "accuracy": "accuracy"}
_MODE_TITLES = {"standardized": "standardized features", "raw": "raw features (no scaling)"}


def _title(result):
    width = (f" ({result.n_encoded} after one-hot encoding)"
             if result.n_encoded != result.n_features else "")
    return (f"{result.dataset}: {result.task}, {result.n_samples} samples x "
            f"{result.n_features} features{width}, CV {result.cv}, "
            f"{_MODE_TITLES[result.mode]}, "
            f"score = {_SCORE_NAMES[result.scoring]} (higher is better)")


def _params_text(params):
    return " ".join(f"{key}={value}" for key, value in params.items())


def _fixed(value, sign=""):
    """4 decimals; scientific beyond 1e4 (e.g. -1.016e+31, sklearn's SGD on raw data)."""
    return f"{value:{sign}.3e}" if abs(value) >= 1e4 and np.isfinite(value) else \
        f"{value:{sign}.4f}"


def _cells(row, plus_minus, search):
    """The table cells of one row, as text."""
    exact = row["kind"] == "exact"
    if row["error"]:
        cells = [row["model"], "failed", "", "", "", "", ""]
    else:
        std = "" if np.isnan(row["score_std"]) else f" {plus_minus} {_fixed(row['score_std'])}"
        epochs = "-" if row["epochs"] is None else f"{row['epochs']:.0f}"

        def gap(key, text):
            return "ref" if exact else "n/a" if np.isnan(row[key]) else text(row[key])
        cells = [row["model"], f"{_fixed(row['score_mean'])}{std}",
                 f"{row['fit_time'] * 1e3:.1f} ms", epochs + ("" if row["converged"] else "*"),
                 gap("score_gap", lambda v: _fixed(v, "+")),
                 gap("objective_gap", lambda v: f"{v:+.1e}"),
                 gap("coef_gap", lambda v: f"{v:.1e}")]
    return cells + ([_params_text(row["params"])] if search else [])


def _notes(result):
    notes = [f"{row['model']}: {row['error']}" for row in result.rows if row["error"]]
    if any(not row["converged"] for row in result.rows if not row["error"]):
        notes.append("* stopped at its iteration limit in at least one fold (not converged)")
    return notes


def _table(result, plus_minus, markdown):
    search = any(row["params"] for row in result.rows)
    headers = list(HEADERS) + (["best --search cell"] if search else [])
    body = [_cells(row, plus_minus, search) for row in result.rows]
    if markdown:
        lines = [f"### {_title(result)}", "", "| " + " | ".join(headers) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        lines += [""] + [f"- {note}" for note in _notes(result)]
        return "\n".join([*lines, *_cv_table(result, True)]).rstrip()
    widths = [max(len(r[j]) for r in [headers] + body) for j in range(len(headers))]
    def line(cells):
        return "  ".join(c.ljust(w) if j in (0, 7) else c.rjust(w)
                         for j, (c, w) in enumerate(zip(cells, widths))).rstrip()
    lines = [_title(result), line(headers), line(["-" * w for w in widths])]
    return "\n".join(lines + [line(cells) for cells in body] + _notes(result)
                     + _cv_table(result, False))


CV_HEADERS = ("...CV model", "alpha_", "CV score", "fit time", "time ratio")


def _cv_cells(row):
    """Cells of one ``...CV`` row (``_compare.cv_rows``)."""
    if row["error"]:
        return [row["model"], "failed", "", "", ""]
    return [row["model"], f"{row['alpha']:.4g}", _fixed(row["score"]),
            f"{row['fit_time'] * 1e3:.1f} ms", f"{row['ratio']:.2f}"]


def _cv_table(result, markdown):
    """The ``...CV`` rows as a table under the models' (empty without rows)."""
    if not result.cv_rows:
        return []
    score = "-MSE of the model's target" if result.task == "regression" else "accuracy"
    title = (f"alpha chosen by CV on all the data (same folds, same grid; alpha_ in "
             f"skopt_gd's units; CV score = {score} at alpha_)")
    body = [_cv_cells(row) for row in result.cv_rows]
    notes = [f"{row['model']}: {row['error']}" for row in result.cv_rows if row["error"]]
    if markdown:
        return (["", f"{title}:", "", "| " + " | ".join(CV_HEADERS) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(CV_HEADERS) - 1)) + "|"]
                + ["| " + " | ".join(cells) + " |" for cells in body]
                + [f"- {note}" for note in notes])
    widths = [max(len(r[j]) for r in [list(CV_HEADERS)] + body) for j in range(len(CV_HEADERS))]

    def line(cells):
        return "  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                         for j, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return ([f"{title}:", line(CV_HEADERS), line(["-" * w for w in widths])]
            + [line(cells) for cells in body] + notes)


def _plain(value):
    """JSON-safe scalar: NaN and +-inf (a fit that overflowed) become None (null)."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _csv_cell(value):
    """CSV text: NaN and None empty; +-inf written as inf / -inf."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return value


_RUN_KEYS = ("dataset", "task", "mode", "cv", "scoring")


def _records(result):
    for row in result.rows:
        yield {"dataset": result.dataset, "task": result.task, "mode": result.mode,
               "cv": result.cv, "scoring": result.scoring, "model": row["model"],
               "kind": row["kind"], "score_mean": row["score_mean"],
               "score_std": row["score_std"], "fit_time_s": row["fit_time"],
               "epochs": row["epochs"], "converged": row["converged"],
               "score_gap": row["score_gap"], "objective_gap": row["objective_gap"],
               "coef_gap": row["coef_gap"], "params": row["params"], "error": row["error"]}


def render(results, fmt, stream=None):
    """The report of ``results`` as text in format ``fmt`` (table, markdown, json, csv)."""
    if fmt == "json":
        out = [{"dataset": r.dataset, "task": r.task, "mode": r.mode,
                "n_samples": r.n_samples, "n_features": r.n_features, "cv": r.cv,
                "scoring": r.scoring,
                "models": [{k: _plain(v) for k, v in rec.items() if k not in _RUN_KEYS}
                           for rec in _records(r)],
                "cv_models": [{k: _plain(v) for k, v in row.items()} for row in r.cv_rows]}
               for r in results]
        modes = {r.mode for r in results}  # one per run; each result names its own too
        report = {"skopt_gd": __version__, "mode": modes.pop() if len(modes) == 1 else None,
                  "results": out}
        return json.dumps(report, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for result in results:
            for rec in _records(result):
                rec["params"] = _params_text(rec["params"])
                writer.writerow({k: _csv_cell(v) for k, v in rec.items()})
        return buffer.getvalue()
    plus_minus = "±"
    try:
        plus_minus.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        plus_minus = "+/-"
    return "\n\n".join(_table(r, plus_minus, fmt == "markdown") for r in results) + "\n"


def write_plot(results, path):
    """One panel per dataset: the training-loss curves of every skopt_gd optimizer."""
    from matplotlib.figure import Figure

    from ._plotting import LossCurveDisplay

    panels = [r for r in results if r.fitted]
    figure = Figure(figsize=(6.4 * max(len(panels), 1), 4.8), layout="constrained")
    for ax, result in zip(figure.subplots(1, max(len(panels), 1), squeeze=False)[0], panels):
        LossCurveDisplay.from_estimators(list(result.fitted.values()),
                                         names=list(result.fitted), ax=ax)
        ax.set_title(f"{result.dataset} ({result.task}, first CV fold)")
    figure.savefig(path)
