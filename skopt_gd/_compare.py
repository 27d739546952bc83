"""The comparison behind ``skopt-gd compare``: models, cross-validation, grid search.

Every model of one comparison is fitted on the same folds, inside the same
preprocessing (numeric columns standardized, text columns one-hot encoded; the
regression target standardized too, predictions mapped back), and minimises
the same objective, so the gaps to the exact solver measure optimisation error:

- regression: mean squared error without penalty -- ``LinearRegression``;
- classification: mean log loss + ``alpha/2 ||w||^2`` with
  ``alpha = 1 / n_train`` -- ``LogisticRegression(C=1)``, its default.

Gaps, each a mean over folds: the CV score minus the exact solver's; the
relative excess of that objective on the training fold, ``(J - J*) / J*``;
and the relative coefficient distance ``||w - w*|| / ||w*||`` (standardized
features, intercept left out). On ill-conditioned data (diabetes) a model can
be within 1e-3 of ``J*`` and still far from ``w*``: early stopping at ``tol``
leaves the flat directions of the objective unresolved.

``--raw`` drops the scaling: every model -- the exact solver, ours and
scikit-learn's SGD -- is fitted on the features as they are (text columns are
still one-hot encoded) and the regression target is not standardized either.
``LinearRegression`` is invariant to feature scales (its predictions are) and
our estimators' defaults are meant to be; scikit-learn's SGD is not, and it
can return huge, meaningless scores without any error -- they are reported as
they are. The coefficient gap is then measured on the raw features.

Each report also has the ``...CV`` rows: alpha chosen by cross-validation on the whole
data set (inside the same preprocessing, on the same folds and the same grid) by
``SGDLinearRegressorCV`` against ``LassoCV`` (L1) and ``RidgeCV`` (L2), or by
``SGDLogisticClassifierCV`` against ``LogisticRegressionCV``: the chosen alpha (in our
units: ``Ridge``'s ``a / n_train``, ``1 / (C n_train)``), the mean held-out score at it
(negative MSE of the model's target, or accuracy), the wall time of the whole ``fit``
and its ratio to the anchor's. Not run with ``--cv loo``.

``--search`` replaces each optimizer's ``eta0`` / ``learning_rate`` /
``penalty`` by the best cell of :data:`SEARCH_GRID` (penalised cells keep
``alpha = 1 / n_train``) and then cross-validates that choice like the others.
"""

import itertools
import warnings
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    LassoCV, LinearRegression, LogisticRegression, LogisticRegressionCV, RidgeCV,
    SGDClassifier, SGDRegressor,
)
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import (
    GridSearchCV, KFold, LeaveOneOut, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.parallel import Parallel, delayed

from . import _callbacks
from ._classifier import SGDLogisticClassifier
from ._cv import SGDLinearRegressorCV, SGDLogisticClassifierCV
from ._regressor import SGDLinearRegressor

SEARCH_GRID = {
    "learning_rate": ["adaptive", "constant"],
    "eta0": ["auto", 1e-2, 1e-1],
    "penalty": [None, "l2", "l1"],
}
"""Grid searched per optimizer by ``--search`` (18 cells).

Ties go to the earliest cell in this order (the first value of each list
first): the estimator defaults before the alternatives, so small or easy data
where many cells score alike keeps the default settings.
"""

SCORING = {"regression": "r2", "classification": "accuracy"}
_METRICS = {"regression": r2_score, "classification": accuracy_score}


@dataclass
class Dataset:
    """A table to compare on: features, target, task and the text columns."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    categorical: tuple = ()
    notes: tuple = ()


@dataclass
class Options:
    """What to compare and how (parsed command-line options)."""

    optimizers: tuple
    cv: tuple = ("kfold", 5)
    search: bool = False
    seed: int = 0
    jobs: int = 1
    max_iter: int = 1000
    raw: bool = False

    @property
    def mode(self):
        """``"raw"`` (``--raw``: no scaling) or ``"standardized"`` (the default)."""
        return "raw" if self.raw else "standardized"


@dataclass
class Spec:
    """One row of the report: a name, an unfitted model and its kind."""

    name: str
    estimator: object
    kind: str  # "exact", "skopt_gd" or "sklearn"
    prefix: str
    params: dict = field(default_factory=dict)


@dataclass
class Result:
    """The rows of one dataset, and each skopt_gd model fitted on the first fold."""

    dataset: str
    task: str
    n_samples: int
    n_features: int
    n_encoded: int
    cv: str
    scoring: str
    rows: list
    fitted: dict
    mode: str = "standardized"
    cv_rows: list = field(default_factory=list)


def builtin_datasets(task="auto"):
    """scikit-learn's bundled diabetes (regression) and breast cancer (classification)."""
    found = []
    if task in ("auto", "regression"):
        X, y = load_diabetes(return_X_y=True)
        found.append(Dataset("diabetes", X, y, "regression"))
    if task in ("auto", "classification"):
        X, y = load_breast_cancer(return_X_y=True)
        found.append(Dataset("breast_cancer", X, y, "classification"))
    return found


def cv_splits(dataset, cv, seed):
    """Materialise the folds of ``cv`` = ``(kind, value)``; ValueError when impossible."""
    kind, value = cv
    n = len(dataset.y)
    stratify = dataset.task == "classification"
    if kind == "kfold":
        if value > n:
            raise ValueError(f"--cv kfold:{value} needs at least {value} samples, "
                             f"{dataset.name} has {n}")
        if stratify and np.unique(dataset.y, return_counts=True)[1].max() < value:
            stratify = False
        splitter = (StratifiedKFold if stratify else KFold)(value, shuffle=True,
                                                            random_state=seed)
    elif kind == "loo":
        splitter = LeaveOneOut()
    else:
        cls = StratifiedShuffleSplit if stratify else ShuffleSplit
        splitter = cls(n_splits=1, test_size=value, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class" notes
        try:
            folds = list(splitter.split(np.zeros((n, 1)), dataset.y))
        except ValueError as exc:
            raise ValueError(f"--cv {format_cv(cv)} on {dataset.name}: {exc}") from None
    if any(len(train) == 0 or len(test) == 0 for train, test in folds):
        raise ValueError(f"--cv {format_cv(cv)} leaves an empty train or test set "
                         f"on {dataset.name} ({n} samples)")
    return folds


def format_cv(cv):
    kind, value = cv
    return kind if value is None else f"{kind}:{value:g}"


def _wrap(model, dataset, raw=False):
    """Preprocessing + model (+ target scaling for regression), sklearn-style.

    ``raw``: no scaling at all -- numeric columns pass through, text columns are
    still one-hot encoded (``"passthrough"`` when there are none) and the
    target is left as it is. Returns the estimator and the prefix of the
    model's parameters inside it.
    """
    scaler = "passthrough" if raw else StandardScaler()
    if dataset.categorical:
        numeric = [j for j in range(dataset.X.shape[1]) if j not in dataset.categorical]
        prep = ColumnTransformer([
            ("numeric", scaler, numeric),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
             list(dataset.categorical)),
        ])
    else:
        prep = scaler
    pipe = Pipeline([("prep", prep), ("model", model)])
    if dataset.task == "regression" and not raw:
        return (TransformedTargetRegressor(regressor=pipe, transformer=StandardScaler()),
                "regressor__model__")
    return pipe, "model__"


def model_specs(dataset, options):
    """The exact solver, one skopt_gd model per optimizer, and scikit-learn's SGD.

    Each wrapped in the preprocessing of :func:`_wrap` (none with ``options.raw``).
    """
    seed, max_iter = options.seed, options.max_iter
    if dataset.task == "regression":
        exact = ("LinearRegression", LinearRegression())
        ours = [(name, SGDLinearRegressor(optimizer=name, penalty=None, max_iter=max_iter,
                                          random_state=seed)) for name in options.optimizers]
        theirs = ("SGDRegressor", SGDRegressor(penalty=None, max_iter=max_iter,
                                               random_state=seed))
    else:
        exact = ("LogisticRegression", LogisticRegression(C=1.0, max_iter=10_000))
        ours = [(name, SGDLogisticClassifier(optimizer=name, penalty="l2", max_iter=max_iter,
                                             random_state=seed))
                for name in options.optimizers]
        theirs = ("SGDClassifier", SGDClassifier(loss="log_loss", penalty="l2",
                                                 max_iter=max_iter, random_state=seed))
    kinds = [(exact, "exact")] + [(pair, "skopt_gd") for pair in ours] + [(theirs, "sklearn")]
    specs = []
    for (name, model), kind in kinds:
        estimator, prefix = _wrap(model, dataset, options.raw)
        specs.append(Spec(name, estimator, kind, prefix))
    return specs


class EpochProgress:
    """A scikit-learn callback (``sklearn.callback``, scikit-learn >= 1.9) that shows the
    epochs of one fold's fit on the progress line: ``progress.note`` as each epoch task
    ends (the line redraws at most 20 times a second). The line itself counts fits,
    as without callbacks (scikit-learn < 1.9, or ``--jobs`` > 1: a worker process's
    callbacks cannot reach this process's terminal). scikit-learn's own ``ProgressBar``
    draws with rich on stdout, where the report goes."""

    def __init__(self, progress, text):
        self.progress, self.text, self.epochs = progress, text, 0

    def setup(self, estimator, context):
        self.epochs = 0

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "epoch":
            self.epochs += 1
            self.progress.note(f"{self.text} epoch {self.epochs}")

    def teardown(self, estimator, context):
        pass


def _watch(model, callback):
    """``model`` (a clone) whose skopt_gd step reports its epochs to ``callback``."""
    if callback is not None:
        pipe = getattr(model, "regressor", model)  # clone() keeps callbacks (>= 1.9)
        pipe.steps[-1][1].set_callbacks(callback)
    return model


def _final(fitted):
    """The fitted linear model inside a (target-transformed) pipeline."""
    pipe = getattr(fitted, "regressor_", fitted)
    return pipe.steps[-1][1]


#: the kinds of data (type, sparse) this process has loaded the kernels for (``_warm``)
_WARM = set()


def _warm(spec, model, X, y):
    """Fit ``model`` once, untimed, if it is this process's first of ours on this kind of
    data: the first fit of a fresh process loads numba's compiled kernels from disk
    (~0.2 s), a cost of the process and not of that fit (the benchmarks do not time it
    either). The kernels serve every optimizer, schedule and loss alike."""
    key = (getattr(X, "dtype", None), sp.issparse(X))
    if spec.kind == "skopt_gd" and key not in _WARM:
        _WARM.add(key)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                clone(model).fit(X, y)
            except Exception:  # noqa: BLE001 - the timed fit reports it
                pass


def _fit_fold(spec, X, y, train, test, keep, callback=None):
    """Fit ``spec`` on one fold; report time, predictions, epochs and coefficients."""
    model = clone(spec.estimator)
    if spec.kind != "exact":
        model.set_params(**{spec.prefix + "alpha": 1.0 / len(train)})
    _warm(spec, model, X[train], y[train])  # before the callback: no fit it should count
    model = _watch(model, callback)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = perf_counter()
        try:
            model.fit(X[train], y[train])
            seconds = perf_counter() - start
            pred = model.predict(X[test])
            if pred.dtype.kind == "f" and not np.all(np.isfinite(pred)):
                return {"error": "non-finite predictions (the fit overflowed)"}
            objective = _objective(model, X[train], y[train])
        except Exception as exc:  # e.g. divergence: reported in the row, not raised
            return {"error": _error_text(exc)}
    final = _final(model)
    return {
        "fit_time": seconds, "pred": pred, "coef": np.atleast_2d(final.coef_),
        "objective": objective,
        "epochs": None if spec.kind == "exact" else float(np.max(final.n_iter_)),
        "converged": not any(issubclass(w.category, ConvergenceWarning) for w in caught),
        "model": model if keep else None,
    }


def _error_text(exc):
    """One line for the report: the message (``ValueError``: scikit-learn's and our
    divergence errors), else ``Type: message``, so unexpected failures stand out."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if type(exc) is ValueError and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _objective(model, X, y):
    """The exact solver's training objective at ``model``'s solution, written out here.

    Regression: ``mean((y - y_hat)^2) / 2``. Classification: mean log loss plus
    ``||W||^2 / (2 n)`` on the standardized-space coefficients
    (``LogisticRegression(C=1)``).
    """
    if not hasattr(model, "predict_proba"):
        return 0.5 * float(np.mean((y - model.predict(X)) ** 2))
    coef = _final(model).coef_
    return log_loss(y, model.predict_proba(X), labels=model.classes_) + float(
        np.sum(coef * coef)) / (2 * len(y))


def _search(spec, dataset, folds, options):
    """Pick the best cell of SEARCH_GRID for one optimizer by GridSearchCV."""
    loo = all(len(test) == 1 for _, test in folds)
    scoring = ("neg_mean_squared_error" if loo and dataset.task == "regression"
               else SCORING[dataset.task])
    n_train = np.mean([len(train) for train, _ in folds])
    base = clone(spec.estimator).set_params(**{spec.prefix + "alpha": 1.0 / n_train})
    grid = [{spec.prefix + key: [value] for key, value in zip(SEARCH_GRID, cell)}
            for cell in itertools.product(*SEARCH_GRID.values())]  # ties: first cell wins
    search = GridSearchCV(base, grid, scoring=scoring, cv=folds, n_jobs=options.jobs,
                          refit=False, error_score=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failed (diverged) cells score NaN
        search.fit(dataset.X, dataset.y)
    scores = search.cv_results_["mean_test_score"]
    if np.all(np.isnan(scores)):
        return
    best = search.cv_results_["params"][int(np.nanargmax(scores))]
    spec.estimator.set_params(**best)
    spec.params = {key[len(spec.prefix):]: value for key, value in best.items()}


def n_search_fits(options, n_folds):
    cells = int(np.prod([len(v) for v in SEARCH_GRID.values()]))
    return len(options.optimizers) * cells * n_folds if options.search else 0


def compare(dataset, options, progress, keep_models=False):
    """Cross-validate every model on ``dataset``; return a :class:`Result`."""
    folds = cv_splits(dataset, options.cv, options.seed)
    specs = model_specs(dataset, options)
    progress.start(dataset.name, len(specs) * len(folds) + n_search_fits(options, len(folds)))
    if options.search:
        cells = n_search_fits(options, len(folds)) // len(options.optimizers)
        for spec in specs:
            if spec.kind == "skopt_gd":
                progress.label(f"{dataset.name}: search {spec.name}")
                _search(spec, dataset, folds, options)
                progress.advance(cells)
    progress.label(f"{dataset.name}: cross-validate")
    tasks = [(i, k) for i in range(len(specs)) for k in range(len(folds))]
    watch = (_callbacks.SUPPORTED and options.jobs == 1 and getattr(progress, "enabled", False)
             and hasattr(progress, "note"))

    def callback(spec, k):
        if watch and spec.kind == "skopt_gd":
            return EpochProgress(progress, f"{dataset.name}: {spec.name} fold {k + 1}")
        return None
    jobs = Parallel(n_jobs=options.jobs, return_as="generator_unordered")(
        delayed(_indexed)(i, k, specs[i], dataset.X, dataset.y, *folds[k],
                          keep_models and k == 0 and specs[i].kind == "skopt_gd",
                          callback(specs[i], k))
        for i, k in tasks)
    outcomes = {}
    for i, k, outcome in jobs:
        outcomes[i, k] = outcome
        progress.advance(1)
    per_spec = [[outcomes[i, k] for k in range(len(folds))] for i in range(len(specs))]
    rows = summarize(specs, per_spec, dataset, folds)
    fitted = {spec.name: fold[0]["model"] for spec, fold in zip(specs, per_spec)
              if fold[0].get("model") is not None}
    n_encoded = _final_width(per_spec[0])
    progress.label(f"{dataset.name}: ...CV rows")
    return Result(dataset.name, dataset.task, dataset.X.shape[0], dataset.X.shape[1],
                  n_encoded, format_cv(options.cv), SCORING[dataset.task], rows, fitted,
                  options.mode, cv_rows(dataset, folds, options))


#: the grids of the ``...CV`` rows: 20 alphas from alpha_max (L1, as LassoCV's), Ridge's
#: ``a`` and LogisticRegressionCV's ``C`` (mapped to ours by ``n_train``)
CV_N_ALPHAS, RIDGE_GRID, CS = 20, np.logspace(-3, 4, 15), np.logspace(-4, 4, 10)


def _logistic_cv(**params):
    """``LogisticRegressionCV`` with a pure L2 penalty, its current attributes where the
    installed scikit-learn has the switches (1.8 deprecates the old ones)."""
    modern = {"l1_ratios": (0,), "use_legacy_attributes": False}
    known = LogisticRegressionCV().get_params()
    return LogisticRegressionCV(**params, **{k: v for k, v in modern.items() if k in known})


def cv_pairs(dataset, folds, options):
    """``(anchor name, anchor, our name, ours, to our alpha, anchor's (alpha, score))``
    for the ``...CV`` rows of ``dataset``."""
    n_train = float(np.mean([len(train) for train, _ in folds]))
    seed, max_iter = options.seed, options.max_iter
    if dataset.task == "regression":
        def lasso(m):
            k = int(np.argmin(np.abs(m.alphas_ - m.alpha_)))
            return m.alpha_, -float(np.reshape(m.mse_path_, (len(m.alphas_), -1))
                                    .mean(axis=1)[k])
        return [
            ("LassoCV", LassoCV(alphas=CV_N_ALPHAS, cv=folds), "SGDLinearRegressorCV l1",
             SGDLinearRegressorCV(penalty="l1", alphas=CV_N_ALPHAS, cv=folds,
                                  max_iter=max_iter, random_state=seed), lasso),
            ("RidgeCV", RidgeCV(alphas=RIDGE_GRID, cv=folds, scoring="neg_mean_squared_error"),
             "SGDLinearRegressorCV l2",
             SGDLinearRegressorCV(penalty="l2", alphas=RIDGE_GRID / n_train, cv=folds,
                                  max_iter=max_iter, random_state=seed),
             lambda m: (m.alpha_ / n_train, float(m.best_score_)))]

    def logistic(m):
        curve = np.asarray(m.scores_[1] if isinstance(m.scores_, dict) else
                           np.asarray(m.scores_).mean(axis=0)[0])
        curve = curve.mean(axis=0) if curve.ndim > 1 else curve
        return 1.0 / (float(np.ravel(m.C_)[0]) * n_train), float(curve.max())
    return [("LogisticRegressionCV",
             _logistic_cv(Cs=CS, cv=folds, scoring="accuracy", max_iter=10_000),
             "SGDLogisticClassifierCV",
             SGDLogisticClassifierCV(alphas=1.0 / (CS * n_train), cv=folds, max_iter=max_iter,
                                     random_state=seed), logistic)]


def _timed_fit(model, dataset):
    """``(fitted final step, seconds, error text)`` of ``model`` on the whole data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = perf_counter()
        try:
            fitted = model.fit(dataset.X, dataset.y)
        except Exception as exc:  # reported in the row, not raised
            return None, np.nan, _error_text(exc)
    return _final(fitted), perf_counter() - start, None


def cv_rows(dataset, folds, options):
    """The ``...CV`` rows (module doc): anchor, then ours, per pair."""
    if all(len(test) == 1 for _, test in folds):  # leave-one-out: n paths, no
        return []
    rows = []
    for name, anchor, our_name, ours, read in cv_pairs(dataset, folds, options):
        (anchor, _), (ours, _) = _wrap(anchor, dataset, options.raw), _wrap(ours, dataset,
                                                                          options.raw)
        ref, ref_time, ref_error = _timed_fit(anchor, dataset)
        mine, time, error = _timed_fit(ours, dataset)
        ref_alpha, ref_score = np.nan, np.nan
        if ref is not None:
            try:
                ref_alpha, ref_score = read(ref)
            except Exception as exc:  # an attribute layout this code does not know
                ref_error = _error_text(exc)
        rows.append({"model": name, "kind": "exact", "alpha": float(ref_alpha),
                     "score": ref_score, "fit_time": ref_time, "ratio": 1.0,
                     "error": ref_error})
        rows.append({"model": our_name, "kind": "skopt_gd",
                     "alpha": np.nan if mine is None else float(mine.alpha_),
                     "score": np.nan if mine is None else float(mine.best_score_),
                     "fit_time": time, "ratio": time / ref_time, "error": error})
    return rows


def _indexed(i, k, *args):
    return i, k, _fit_fold(*args)


def _final_width(exact_folds):
    ok = [f for f in exact_folds if "coef" in f]
    return int(ok[0]["coef"].shape[1]) if ok else 0


def _scores(outcomes, dataset, folds):
    """Per-fold scores; pooled over all folds when every test set is one sample (LOO)."""
    metric = _METRICS[dataset.task]
    if all(len(test) == 1 for _, test in folds):
        pred = np.concatenate([o["pred"] for o in outcomes])
        truth = np.concatenate([dataset.y[test] for _, test in folds])
        return metric(truth, pred), np.nan
    scores = [metric(dataset.y[test], o["pred"]) for o, (_, test) in zip(outcomes, folds)]
    return float(np.mean(scores)), float(np.std(scores)) if len(scores) > 1 else np.nan


def _row(spec, outcomes, dataset, folds):
    row = {"model": spec.name, "kind": spec.kind, "score_mean": np.nan, "score_std": np.nan,
           "fit_time": np.nan, "epochs": None, "converged": True, "score_gap": np.nan,
           "objective_gap": np.nan, "coef_gap": np.nan, "params": dict(spec.params), "error": None}
    errors = [o["error"] for o in outcomes if "error" in o]
    if errors:
        row["error"] = f"failed in {len(errors)}/{len(folds)} folds: {errors[0]}"
        return row
    row["score_mean"], row["score_std"] = _scores(outcomes, dataset, folds)
    row["fit_time"] = float(np.mean([o["fit_time"] for o in outcomes]))
    if spec.kind != "exact":
        row["epochs"] = float(np.mean([o["epochs"] for o in outcomes]))
    row["converged"] = all(o["converged"] for o in outcomes)
    return row


def _coef_gap(outcomes, reference):
    """Mean over folds of ``||w - w_exact|| / ||w_exact||`` (coefficients, no intercept)."""
    gaps = []
    for mine, ref in zip(outcomes, reference):
        if mine["coef"].shape != ref["coef"].shape:
            return np.nan
        scale = np.linalg.norm(ref["coef"]) or 1.0
        gaps.append(np.linalg.norm(mine["coef"] - ref["coef"]) / scale)
    return float(np.mean(gaps))


def _objective_gap(outcomes, reference):
    """Mean over folds of ``(J - J_exact) / J_exact`` on the training fold."""
    return float(np.mean([(mine["objective"] - ref["objective"]) / (ref["objective"] or 1.0)
                          for mine, ref in zip(outcomes, reference)]))


def summarize(specs, per_spec, dataset, folds):
    """One row per model, with score and coefficient gaps to the exact solver (row 0)."""
    with np.errstate(all="ignore"):  # huge (garbage) scores may overflow: inf, not a warning
        return _summarize(specs, per_spec, dataset, folds)


def _summarize(specs, per_spec, dataset, folds):
    rows = [_row(spec, outcomes, dataset, folds) for spec, outcomes in zip(specs, per_spec)]
    exact, reference = rows[0], per_spec[0]
    multiclass = dataset.task == "classification" and len(np.unique(dataset.y)) > 2
    for row, outcomes in zip(rows, per_spec):
        if row["error"] is None and exact["error"] is None:
            row["score_gap"] = row["score_mean"] - exact["score_mean"]
            row["objective_gap"] = _objective_gap(outcomes, reference)
            # scikit-learn's SGDClassifier is one-vs-rest: another objective for >2 classes
            if not (multiclass and row["kind"] == "sklearn"):
                row["coef_gap"] = _coef_gap(outcomes, reference)
    return rows
