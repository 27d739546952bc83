"""Real data sets for the panel (``python -m benchmarks.panel``), used RAW.

Every set ships with an installable package (``statsmodels.datasets`` or
scikit-learn's bundled files), so the panel needs no download. Each is used as
published: numeric columns only, rows with a missing value dropped, **no
scaling, no centering, no feature engineering** beyond what names the target
(a proportion, a threshold). Units stay as they are -- years next to rates,
incomes in dollars next to dummies -- which is the point: the panel checks
that our estimators at their defaults reach the exact solver's answer on
such tables.

A set is a :class:`RealSet` (name, task, ``X`` float64, ``y``, source text).
Regression targets are float64 (shape ``(n,)``, or ``(n, k)`` for
``linnerud``); classification targets are integer labels. :data:`SETS`
maps each name to ``(task, loader)``; loaders run lazily, so selecting a few
sets loads only those.

Regression (25): longley, stackloss, engel, ccard, copper, cpunish, grunfeld,
heart, macrodata, randhie, scotland, statecrime, strikes, committee, star98,
sunspots, nile, cancer, danish_data, interest_inflation, elnino, co2,
fertility (statsmodels); diabetes (``scaled=False``), linnerud (3 outputs).

Classification (9): spector, anes96, modechoice, fair, star98_binary
(statsmodels); iris, wine, breast_cancer, digits (scikit-learn).
"""

import warnings
from dataclasses import dataclass

import numpy as np

REGRESSION, CLASSIFICATION = "regression", "classification"


@dataclass
class RealSet:
    """One raw real table: ``X`` float64 ``(n, d)``, ``y`` its target."""

    name: str
    task: str  # "regression" or "classification"
    X: np.ndarray
    y: np.ndarray
    source: str = ""

    @property
    def shape(self):
        return self.X.shape

    @property
    def label(self):
        n, d = self.X.shape
        extra = ""
        if self.task == CLASSIFICATION:
            extra = f", {len(np.unique(self.y))} classes"
        elif self.y.ndim == 2:
            extra = f", {self.y.shape[1]} outputs"
        return f"{self.task} {n:,} x {d}{extra}"


# ---- helpers -----------------------------------------------------------------------------
def _frame(module):
    """The whole table of a ``statsmodels.datasets`` module as a DataFrame."""
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = importlib.import_module(f"statsmodels.datasets.{module}")
        return mod.load_pandas().data


def _numeric(df):
    """Numeric columns, all-missing columns dropped, then rows with a missing value."""
    df = df.select_dtypes("number")
    return df.dropna(axis=1, how="all").dropna(axis=0).astype(np.float64)


def _from_frame(name, task, df, target, drop=(), source=None):
    """Split a numeric frame into ``X`` (every other column but ``drop``) and ``y``."""
    df = _numeric(df)
    y = df[target].to_numpy()
    features = [c for c in df.columns if c != target and c not in drop]
    X = np.ascontiguousarray(df[features].to_numpy(dtype=np.float64))
    if task == CLASSIFICATION:
        y = np.unique(y, return_inverse=True)[1].astype(np.int64)
    text = source or f"statsmodels {name}: {target} ~ {' + '.join(map(str, features))}"
    return RealSet(name, task, X, y, text)


def _statsmodels(module, target, task=REGRESSION, drop=(), name=None):
    """A loader for ``statsmodels.datasets.<module>`` with an explicit target column."""
    def load():
        return _from_frame(name or module, task, _frame(module), target, drop)
    return load


# ---- sets that need a derived target -----------------------------------------------------
def _star98(binary):
    def load():
        df = _numeric(_frame("star98"))
        share = df["NABOVE"] / (df["NABOVE"] + df["NBELOW"])
        df = df.drop(columns=["NABOVE", "NBELOW"])
        if binary:
            df["target"] = (share > 0.5).astype(np.float64)
            task, what, name = CLASSIFICATION, "NABOVE > NBELOW", "star98_binary"
        else:
            df["target"] = share
            task, what, name = REGRESSION, "NABOVE / (NABOVE + NBELOW)", "star98"
        return _from_frame(name, task, df, "target",
                           source=f"statsmodels star98: {what} ~ the 20 school covariates")
    return load


def _fair():
    df = _numeric(_frame("fair"))
    df["target"] = (df.pop("affairs") > 0).astype(np.float64)
    return _from_frame("fair", CLASSIFICATION, df, "target",
                       source="statsmodels fair: affairs > 0 ~ the 8 other columns")


def _co2():
    df = _frame("co2").dropna()
    index = df.index
    df = df.reset_index(drop=True)
    df["year"] = index.year + (index.day_of_year - 1) / 365.25
    return _from_frame("co2", REGRESSION, df, "co2",
                       source="statsmodels co2: weekly co2 ~ decimal year")


def _fertility():
    df = _numeric(_frame("fertility"))
    target = df.columns[-1]
    return _from_frame("fertility", REGRESSION, df, target,
                       source=f"statsmodels fertility: {target} ~ each earlier year "
                              f"{df.columns[0]}-{df.columns[-2]}")


# ---- scikit-learn's bundled sets ---------------------------------------------------------
def _sklearn(name, task):
    def load():
        from sklearn import datasets

        loader = getattr(datasets, f"load_{name}")
        bunch = loader(scaled=False) if name == "diabetes" else loader()
        X = np.ascontiguousarray(bunch.data, dtype=np.float64)
        y = np.asarray(bunch.target)
        y = y.astype(np.float64) if task == REGRESSION else y.astype(np.int64)
        what = "raw (scaled=False)" if name == "diabetes" else "as bundled"
        if name == "linnerud":
            what = "3 physiological outputs ~ 3 exercises"
        return RealSet(name, task, X, y, f"scikit-learn load_{name}: {what}")
    return load


_R, _C = REGRESSION, CLASSIFICATION
SETS = {
    "longley": (_R, _statsmodels("longley", "TOTEMP")),
    "stackloss": (_R, _statsmodels("stackloss", "STACKLOSS")),
    "engel": (_R, _statsmodels("engel", "foodexp")),
    "ccard": (_R, _statsmodels("ccard", "AVGEXP")),
    "copper": (_R, _statsmodels("copper", "WORLDCONSUMPTION")),
    "cpunish": (_R, _statsmodels("cpunish", "EXECUTIONS")),
    "grunfeld": (_R, _statsmodels("grunfeld", "invest")),
    "heart": (_R, _statsmodels("heart", "survival")),
    "macrodata": (_R, _statsmodels("macrodata", "realgdp")),
    "randhie": (_R, _statsmodels("randhie", "mdvis")),
    "scotland": (_R, _statsmodels("scotland", "YES")),
    "statecrime": (_R, _statsmodels("statecrime", "murder")),
    "strikes": (_R, _statsmodels("strikes", "duration")),
    "committee": (_R, _statsmodels("committee", "BILLS104")),
    "star98": (_R, _star98(binary=False)),
    "sunspots": (_R, _statsmodels("sunspots", "SUNACTIVITY")),
    "nile": (_R, _statsmodels("nile", "volume")),
    "cancer": (_R, _statsmodels("cancer", "cancer")),
    "danish_data": (_R, _statsmodels("danish_data", "lrm")),
    "interest_inflation": (_R, _statsmodels("interest_inflation", "R")),
    "elnino": (_R, _statsmodels("elnino", "DEC")),
    "co2": (_R, _co2),
    "fertility": (_R, _fertility),
    "diabetes": (_R, _sklearn("diabetes", _R)),
    "linnerud": (_R, _sklearn("linnerud", _R)),
    "spector": (_C, _statsmodels("spector", "GRADE", _C)),
    "anes96": (_C, _statsmodels("anes96", "vote", _C)),
    "modechoice": (_C, _statsmodels("modechoice", "choice", _C, drop=("individual",))),
    "fair": (_C, _fair),
    "star98_binary": (_C, _star98(binary=True)),
    "iris": (_C, _sklearn("iris", _C)),
    "wine": (_C, _sklearn("wine", _C)),
    "breast_cancer": (_C, _sklearn("breast_cancer", _C)),
    "digits": (_C, _sklearn("digits", _C)),
}

# Small and quick: the ``--quick`` panel and the tests.
QUICK = ("longley", "stackloss", "engel", "copper", "diabetes", "spector", "iris", "wine")


def usable(ds):
    """Why a loaded set cannot be used (``""`` if it can): too few rows, a constant target."""
    y = ds.y.reshape(len(ds.y), -1)
    if ds.X.shape[0] < 10:
        return "fewer than 10 rows"
    if np.all(np.ptp(y, axis=0) == 0):
        return "constant target"
    if ds.task == CLASSIFICATION and np.min(np.bincount(ds.y)) < 5:
        return "a class with fewer than 5 rows"
    return ""


def load(name):
    """The :class:`RealSet` called ``name``."""
    task, loader = SETS[name]
    ds = loader()
    assert ds.task == task, (name, ds.task, task)
    return ds


def load_all(names=None):
    """``(sets, skipped)``: the usable sets among ``names`` (default: all), in
    :data:`SETS` order, and ``{name: reason}`` for those left out."""
    sets, skipped = [], {}
    for name in SETS if names is None else names:
        ds = load(name)
        reason = usable(ds)
        if reason:
            skipped[name] = reason
        else:
            sets.append(ds)
    return sets, skipped
