"""Property-based tests: no input makes ``fit`` or ``predict`` return garbage quietly.

Hypothesis draws random problems — shapes, float32/float64, dense/CSR, sample
weights with zeros, int/str/bool/float labels, multi-output targets, every
optimizer, schedule, penalty and batch size — and sometimes injects one
hostile defect (NaN, inf, negative weights, mismatched lengths, ...). For each:

* ``fit`` either raises a ``ValueError`` whose message is the documented one for
  the defect present (API.md "Errors") or returns finite coefficients of the
  documented shapes and dtype;
* ``predict`` / ``predict_proba`` / ``predict_log_proba`` / ``decision_function``
  are finite and of the right shape; probabilities lie in [0, 1] and sum to 1;
* the same ``random_state`` gives bit-identical results;
* the inputs are never modified.

The training objective of every finite fit is recomputed here from API.md's
formula and compared with that of the all-zero model: a fit that is orders of
magnitude *worse than not fitting at all* is absurd, and
:func:`test_fit_is_never_absurd` asserts that never happens.

Profiles (``tests/hypothesis_profiles.py``): ``ci`` by default (fast,
derandomized); ``--hypothesis-profile=thorough`` for many more examples. The
outcome counts are printed at the end of the module and appear as hypothesis
events with ``--hypothesis-show-statistics``.
"""

import collections
import re
import warnings

import hypothesis_profiles  # noqa: F401  (registers the ci / thorough profiles)
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, event, example, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

# The fixed vocabulary of API.md, written out (not imported from the package).
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
              "amsgrad", "adamax", "nadam", "radam", "rprop", "lion", "schedulefree_sgd",
              "schedulefree_adam", "prodigy"]
#: API.md: the rules that refuse an L1 part (sign-based, or exposing an average)
NO_L1 = {"rprop", "lion", "schedulefree_sgd", "schedulefree_adam"}
SCHEDULES = ["constant", "invscaling", "optimal", "adaptive", "exponential", "step", "cosine",
             "linear", "onecycle", "cosine_restarts", "polynomial", "multistep", "cyclic"]
PENALTIES = [None, "l2", "l1", "elasticnet"]
BATCH_SIZES = [None, 1, 2, 5, 64]
LOSSES = ["squared_error", "huber", "epsilon_insensitive"]
LABEL_POOLS = {
    "int": np.array([-3, 0, 7, 12]),
    "str": np.array(["ant", "bee", "cat", "dog"]),
    "bool": np.array([False, True]),
    "float": np.array([0.0, 1.0, 2.0, 5.0]),
}

#: A fit that ends with a training objective this many times that of the
#: all-zero model (no fit at all) is not a fit: "absurd".
ABSURD_FACTOR = 1e3

#: The documented error for each defect (API.md "Errors": a ValueError naming it).
DOCUMENTED = {
    "nan_X": r"Input X contains NaN",
    "inf_X": r"Input X contains infinity",
    "nan_y": r"Input y contains NaN",
    "inf_y": r"Input y contains infinity",
    "negative_weight": r"Negative values in data passed to `sample_weight`",
    "nan_weight": r"sample_weight contains NaN",
    "short_weight": r"sample_weight\.shape == \(\d+,\), expected \(\d+,\)",
    "short_y": r"inconsistent numbers of samples",
    "no_samples": r"0 sample\(s\)",
    "no_features": r"0 feature\(s\)",
    "bad_eta0": r"'eta0' parameter of SGD\w+ must be",
    "continuous_labels": r"Unknown label type: continuous",
    "predict_wrong_n_features": r"X has \d+ features, but SGD\w+ is expecting \d+ features",
    "predict_nan": r"Input X contains NaN",
    # defects a clean-looking draw can have by chance
    "zero_weights": (r"Sample weights must contain at least one non-zero number"
                     r"|sample_weight sums to zero|sample_weight times class_weight sums to zero"),
    "one_class": r"needs samples of at least 2 classes",
    "optimal_alpha_zero": r"learning_rate='optimal' needs alpha > 0",
    "early_stopping_split": r"early_stopping",
    "diverged": (r"^Training diverged at epoch \d+: .*smaller eta0.*"
                 r"scale the features"),
    "l1_refused": r"the L1 proximal step has no exact-zero guarantee",
}
FIT_DEFECTS = ["nan_X", "inf_X", "nan_y", "inf_y", "negative_weight", "nan_weight",
               "short_weight", "short_y", "no_samples", "no_features", "bad_eta0",
               "continuous_labels"]
PREDICT_DEFECTS = ["predict_wrong_n_features", "predict_nan"]

OUTCOMES = collections.Counter()  # how each case of test_fit_contract ended
RATIOS = collections.Counter()  # finite fits by objective / objective of the zero model


# --------------------------------------------------------------------------- #
# Strategy
# --------------------------------------------------------------------------- #

finite32 = st.floats(-100, 100, allow_nan=False, width=32)


@st.composite
def problems(draw, defects=True):
    """One random problem: estimator, data, weights and at most one defect."""
    kind = draw(st.sampled_from(["regressor", "classifier"]))
    n = draw(st.integers(1, 24))
    d = draw(st.integers(1, 5))
    X = draw(arrays(np.float64, (n, d), elements=finite32))
    X = X * draw(st.sampled_from([1.0, 1.0, 1e-4, 1e4]))
    if d > 1 and draw(st.booleans()):  # a duplicated or a constant column
        X[:, -1] = X[:, 0] if draw(st.booleans()) else draw(finite32)
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    sparse = draw(st.booleans())

    if kind == "regressor":
        shape = draw(st.sampled_from([(n,), (n,), (n, 1), (n, 3)]))
        y = draw(arrays(np.float64, shape, elements=finite32))
        y = y + draw(st.sampled_from([0.0, 0.0, 1e3]))
    else:
        pool = LABEL_POOLS[draw(st.sampled_from(sorted(LABEL_POOLS)))]
        k = draw(st.integers(2, len(pool)))
        y = np.array(draw(st.lists(st.sampled_from(list(pool[:k])), min_size=n, max_size=n)),
                     dtype=pool.dtype)

    weights = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 3.0]), st.floats(0, 10))
    sw = draw(st.one_of(st.none(), arrays(np.float64, n, elements=weights)))
    params = draw(hyperparameters(kind))
    if kind == "classifier":
        params["class_weight"] = draw(class_weights(y))

    defect = None
    if defects:
        defect = draw(st.sampled_from([None] * 12 + FIT_DEFECTS + PREDICT_DEFECTS))
    chance = chance_defects(kind, dtype, y, sw, params)
    X, y, sw, params = inject(draw, defect, X, y, sw, params, kind)
    X = X.astype(dtype)
    if sparse:
        X = sp.csr_matrix(X)
    return kind, X, y, sw, params, defect, chance


def hyperparameters(kind):
    common = dict(
        optimizer=st.sampled_from(OPTIMIZERS),
        learning_rate=st.sampled_from(SCHEDULES),
        eta0=st.sampled_from([1e-3, 1e-2, 0.1, 1.0, 10.0]),
        power_t=st.sampled_from([0.25, 0.5, 1.0]),
        penalty=st.sampled_from(PENALTIES),
        alpha=st.sampled_from([0.0, 1e-4, 0.1, 1.0]),
        l1_ratio=st.floats(0, 1),
        batch_size=st.sampled_from(BATCH_SIZES),
        max_iter=st.integers(1, 8),
        tol=st.sampled_from([None, 1e-3]),
        n_iter_no_change=st.integers(1, 3),
        early_stopping=st.sampled_from([False, False, False, True]),
        validation_fraction=st.sampled_from([0.1, 0.3, 0.5]),
        shuffle=st.booleans(),
        average=st.sampled_from([False, False, True, 5]),
        fit_intercept=st.booleans(),
        random_state=st.integers(0, 2**31 - 1),
    )
    if kind == "regressor":
        common.update(loss=st.sampled_from(LOSSES), epsilon=st.sampled_from([0.0, 0.1, 1.0]))
    return st.fixed_dictionaries(common)


@st.composite
def class_weights(draw, y):
    choice = draw(st.sampled_from([None, None, "balanced", "dict"]))
    if choice != "dict":
        return choice
    labels = np.unique(y)
    keep = draw(st.lists(st.booleans(), min_size=len(labels), max_size=len(labels)))
    values = st.sampled_from([0.0, 0.5, 2.0])
    return {label.item(): draw(values) for label, k in zip(labels, keep) if k}


def inject(draw, defect, X, y, sw, params, kind):
    """Apply one defect to otherwise valid data (copies, never in place)."""
    X, y = X.copy(), y.copy()
    sw = None if sw is None else sw.copy()
    n = X.shape[0]
    i = draw(st.integers(0, n - 1))
    if defect in ("nan_X", "inf_X"):
        X[i, draw(st.integers(0, X.shape[1] - 1))] = np.nan if defect == "nan_X" else -np.inf
    elif defect in ("nan_y", "inf_y"):  # labels become floats to hold NaN / inf
        y = np.searchsorted(np.unique(y), y).astype(np.float64) if kind == "classifier" else y
        y[i] = np.nan if defect == "nan_y" else np.inf
    elif defect in ("negative_weight", "nan_weight"):
        sw = np.ones(n) if sw is None else sw
        sw[i] = -1.0 if defect == "negative_weight" else np.nan
    elif defect == "short_weight":
        sw = np.ones(n + 1)
    elif defect == "short_y":
        y = np.concatenate([y, y[:1]])
    elif defect == "no_samples":
        X, y, sw = X[:0], y[:0], None if sw is None else sw[:0]
    elif defect == "no_features":
        X = X[:, :0]
    elif defect == "bad_eta0":
        params = {**params, "eta0": draw(st.sampled_from([0.0, -1.0]))}
    elif defect == "continuous_labels":
        if kind == "regressor":  # the defect only exists for the classifier
            return X, y, sw, params
        y = np.linspace(0.1, 0.9, n) + np.arange(n)
    return X, y, sw, params


# --------------------------------------------------------------------------- #
# Independent references
# --------------------------------------------------------------------------- #


def dense64(X):
    return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)


def effective_weights(est, y, sw, dtype=np.float64):
    """Sample weights (in X's dtype) times class weights, by sklearn's formulas."""
    s = np.ones(len(y)) if sw is None else np.asarray(sw, dtype=dtype).astype(np.float64)
    cw = getattr(est, "class_weight", None)
    if cw is None:
        return s
    labels, counts = np.unique(y, return_counts=True)
    if cw == "balanced":
        table = dict(zip(labels.tolist(), (len(y) / (len(labels) * counts)).tolist()))
    else:
        table = {label: cw.get(label, 1.0) for label in labels.tolist()}
    return s * np.array([table[v] for v in y.tolist()])


def objective(est, X, y, sw, zero=False):
    """API.md's J(w, b) at the fitted (or, with ``zero``, all-zero) parameters."""
    s = effective_weights(est, y, sw, X.dtype)
    X = dense64(X)
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    b = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
    if zero:
        coef, b = np.zeros_like(coef), np.zeros_like(b)
    Z = X @ coef.T + b
    if isinstance(est, SGDLogisticClassifier):
        idx = np.searchsorted(est.classes_, y)
        if coef.shape[0] == 1:  # sigmoid: log(1 + e^z) - y z
            loss = np.logaddexp(0.0, Z[:, 0]) - (idx == 1) * Z[:, 0]
        else:
            loss = logsumexp(Z, axis=1) - Z[np.arange(len(y)), idx]
    else:
        R = np.abs(Z - np.asarray(y, dtype=np.float64).reshape(len(y), -1))
        e = est.epsilon
        loss = {"squared_error": 0.5 * R**2,
                "huber": np.where(R <= e, 0.5 * R**2, e * R - 0.5 * e**2),
                "epsilon_insensitive": np.maximum(R - e, 0.0)}[est.loss].sum(axis=1)
    ratio = {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": est.l1_ratio}[est.penalty]
    alpha = 0.0 if est.penalty is None else est.alpha
    penalty = alpha * (ratio * np.abs(coef).sum() + (1 - ratio) * 0.5 * (coef**2).sum())
    return float(loss @ s / s.sum() + penalty)


def chance_defects(kind, dtype, y, sw, params):
    """Defects a draw without an injected one may still have (each documented)."""
    found = []
    est = make(kind, params)
    if not effective_weights(est, y, sw, dtype).sum() > 0:
        found.append("zero_weights")
    if kind == "classifier" and len(np.unique(y)) < 2:
        found.append("one_class")
    if params["learning_rate"] == "optimal" and params["alpha"] == 0:
        found.append("optimal_alpha_zero")
    if params["early_stopping"]:
        found.append("early_stopping_split")
    if params["optimizer"] in NO_L1 and l1_part(params) > 0:
        found.append("l1_refused")
    return found


def l1_part(params):
    """Strength of the penalty's L1 part (API.md's R(w))."""
    ratio = {"l1": 1.0, "elasticnet": params.get("l1_ratio", 0.15)}.get(params["penalty"], 0.0)
    return params.get("alpha", 1e-4) * ratio


def make(kind, params):
    cls = SGDLinearRegressor if kind == "regressor" else SGDLogisticClassifier
    return cls(**params)


# --------------------------------------------------------------------------- #
# The contract
# --------------------------------------------------------------------------- #


def snapshot(X, y, sw):
    parts = [X.data, X.indices, X.indptr] if sp.issparse(X) else [X]
    return [np.array(p, copy=True) for p in parts + [y] + ([] if sw is None else [sw])]


def assert_unchanged(before, X, y, sw):
    after = snapshot(X, y, sw)
    assert len(before) == len(after)
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b, err_msg="an input array was modified")


def fit_or_error(est, X, y, sw):
    """``(fitted estimator, None)`` or ``(None, ValueError)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="With batch_size=1")  # weights act as 0/1
        warnings.filterwarnings("ignore", message="R\\^2 score is not well-defined")
        try:
            return est.fit(X, y, sample_weight=sw), None
        except ValueError as exc:
            return None, exc


def check_fitted(est, kind, X, y):
    """Finite coefficients of the documented shapes; finite, well-formed predictions."""
    n, d = X.shape
    dtype = X.dtype
    coef, intercept = np.asarray(est.coef_), np.asarray(est.intercept_)
    assert np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))
    assert coef.dtype == dtype and intercept.dtype == dtype
    assert est.n_features_in_ == d
    assert 1 <= est.n_iter_ <= est.max_iter
    assert len(est.loss_curve_) == est.n_iter_
    assert np.all(np.isfinite(est.loss_curve_))
    if kind == "regressor":
        expected = (d,) if y.ndim == 1 else (y.shape[1], d)
        assert coef.shape == expected
        assert intercept.shape == expected[:-1]
        pred = est.predict(X)
        assert pred.shape == y.shape and np.all(np.isfinite(pred))
        return
    classes = np.unique(y)
    np.testing.assert_array_equal(est.classes_, classes)
    k = len(classes)
    rows = 1 if k == 2 else k
    assert coef.shape == (rows, d) and intercept.shape == (rows,)
    proba = est.predict_proba(X)
    log_proba = est.predict_log_proba(X)
    decision = est.decision_function(X)
    pred = est.predict(X)
    atol = 1e-5 if dtype == np.float32 else 1e-12
    assert proba.shape == log_proba.shape == (n, k)
    assert np.all(np.isfinite(proba)) and np.all(np.isfinite(log_proba))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=atol)
    assert np.all(log_proba <= 0)
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=0, atol=atol)
    assert decision.shape == ((n,) if k == 2 else (n, k)) and np.all(np.isfinite(decision))
    assert pred.shape == (n,) and set(pred.tolist()) <= set(classes.tolist())
    winner = (decision > 0).astype(int) if k == 2 else decision.argmax(axis=1)
    np.testing.assert_array_equal(pred, classes[winner])


def assert_same_fit(a, b):
    for name in ("coef_", "intercept_", "loss_curve_", "n_iter_", "t_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert np.asarray(a.coef_).tobytes() == np.asarray(b.coef_).tobytes()


def record(outcome):
    OUTCOMES[outcome] += 1
    event(outcome)


def ratio_bucket(ratio):
    for bound, label in ((1.0, "<= 1"), (10.0, "(1, 10]"), (1e3, "(10, 1e3]"),
                         (1e4, "(1e3, 1e4]")):
        if ratio <= bound:
            return label
    return "> 1e4"


@given(problems())
def test_fit_contract(problem):
    """Documented error or finite, well-shaped, deterministic fit; inputs untouched."""
    kind, X, y, sw, params, defect, chance = problem
    note(f"kind={kind} defect={defect} X={type(X).__name__}{X.shape} {X.dtype} "
         f"params={params}")
    before = snapshot(X, y, sw)
    est, error = fit_or_error(make(kind, params), X, y, sw)
    assert_unchanged(before, X, y, sw)
    clean = defect is None or defect in PREDICT_DEFECTS or (
        defect == "continuous_labels" and kind == "regressor")
    allowed = chance + ["diverged"]
    if not clean:
        allowed.append(defect)
        assert error is not None, f"fit accepted the defect {defect!r}"
    if error is not None:
        message = str(error)
        matched = [k for k in allowed if re.search(DOCUMENTED[k], message)]
        assert matched, f"undocumented ValueError for defect={defect!r}: {message!r}"
        record(f"documented error: {matched[0]}")
        # the same seed fails the same way
        _, again = fit_or_error(make(kind, params), X, y, sw)
        assert again is not None and str(again) == message
        return

    check_fitted(est, kind, X, y)
    twin, _ = fit_or_error(clone(est), X, y, sw)
    assert twin is not None, "refitting with the same random_state failed"
    assert_same_fit(est, twin)
    if defect in PREDICT_DEFECTS:
        bad = dense64(X).astype(X.dtype)
        bad = np.hstack([bad, bad[:, :1]]) if defect == "predict_wrong_n_features" else bad
        if defect == "predict_nan":
            bad[0, 0] = np.nan
        methods = ["predict"] + (["predict_proba", "decision_function"]
                                 if kind == "classifier" else [])
        for method in methods:
            with pytest.raises(ValueError, match=DOCUMENTED[defect]):
                getattr(est, method)(bad)
    assert_unchanged(before, X, y, sw)
    j, j0 = objective(est, X, y, sw), objective(est, X, y, sw, zero=True)
    ratio = j / j0 if j0 > 0 else (0.0 if j == 0 else np.inf)
    record("finite fit")
    # with early stopping the held-out rows measure generalisation, not a blow-up
    bucket = "early stopping (not judged)" if params["early_stopping"] else ratio_bucket(ratio)
    RATIOS[bucket] += 1
    event(f"objective / objective(0) {bucket}")


@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_penalty_and_batch_size(optimizer, penalty):
    """The full grid, deterministically, on hostile but valid data.

    float32 CSR with zero-weight rows, a duplicated and an all-zero column;
    string labels (multinomial) and a 2-target regression.
    """
    rng = np.random.RandomState(0)
    X = rng.randn(23, 4).astype(np.float32)
    X[:, 3], X[:, 2] = X[:, 0], 0.0
    X[rng.rand(*X.shape) < 0.3] = 0.0
    sw = rng.uniform(0.0, 2.0, 23)
    sw[::4] = 0.0
    score = X @ np.array([1.0, -1.0, 0.0, 0.5]) + 0.3 * rng.randn(23)
    problems = [("regressor", np.c_[score, 2.0 * score + 1.0]),
                ("classifier", np.array(["ant", "bee", "cat"])[np.digitize(score, [-.5, .5])])]
    for batch_size in BATCH_SIZES:
        for kind, y in problems:
            params = dict(optimizer=optimizer, penalty=penalty, alpha=1e-3,
                          batch_size=batch_size, max_iter=4, random_state=0)
            Xs = sp.csr_matrix(X)
            before = snapshot(Xs, y, sw)
            est, error = fit_or_error(make(kind, params), Xs, y, sw)
            if optimizer in NO_L1 and l1_part(params) > 0:
                assert error is not None and re.search(DOCUMENTED["l1_refused"], str(error))
                assert_unchanged(before, Xs, y, sw)
                continue
            assert error is None, f"{kind} batch_size={batch_size}: {error}"
            check_fitted(est, kind, Xs, y)
            assert_same_fit(est, fit_or_error(clone(est), Xs, y, sw)[0])
            assert_unchanged(before, Xs, y, sw)
            assert objective(est, Xs, y, sw) <= objective(est, Xs, y, sw, zero=True)


# Adam with eta0=1 on raw features: one step moves every coefficient by ~1, so
# predictions of targets ~17 are off by ~1000 — a training objective ~6000 times
# that of predicting zero, which was once returned as a fit (regression example).
_ADAM_ONE_BIG_STEP = (
    "regressor",
    np.array([[676.0, 400.0], [598.0, 2241.0], [687.0, -977.0], [595.0, -151.0],
              [490.0, 411.0], [514.0, 1454.0], [576.0, 122.0], [544.0, 334.0]]),
    np.array([19.32, 12.24, 23.67, 19.35, 15.57, 12.92, 18.15, 16.88]),
    None,
    dict(optimizer="adam", learning_rate="constant", eta0=1.0, penalty=None, alpha=0.0,
         l1_ratio=0.0, batch_size=None, max_iter=1, tol=None, n_iter_no_change=1,
         early_stopping=False, validation_fraction=0.1, shuffle=False, average=False,
         fit_intercept=True, random_state=0, loss="squared_error", epsilon=0.1, power_t=0.25),
    None,
    [],
)


@settings(max_examples=max(10, settings.default.max_examples // 2))
@example(_ADAM_ONE_BIG_STEP)
@given(problems(defects=False))
def test_fit_is_never_absurd(problem):
    """A finite fit is never orders of magnitude worse than the all-zero model.

    Without early stopping: with it, the held-out rows' loss measures
    generalisation, not whether training blew up.
    """
    kind, X, y, sw, params, _, _ = problem
    note(f"kind={kind} X={type(X).__name__}{X.shape} {X.dtype} params={params}")
    assume(not params["early_stopping"])
    est, error = fit_or_error(make(kind, params), X, y, sw)
    if error is not None:
        return
    j, j0 = objective(est, X, y, sw), objective(est, X, y, sw, zero=True)
    note(f"objective {j:.3g} vs {j0:.3g} for the zero model")
    assert j <= ABSURD_FACTOR * j0 or (j0 == 0 and j == 0)


@pytest.fixture(scope="module", autouse=True)
def _print_outcome_counts(request):
    """Print how many hostile cases were tried and how each ended."""
    yield
    if not OUTCOMES:
        return
    total = sum(OUTCOMES.values())
    lines = [f"test_properties: {total} cases — "
             f"{OUTCOMES['finite fit']} finite fits, "
             f"{total - OUTCOMES['finite fit']} documented errors"]
    lines += [f"    {count:6d}  {name}" for name, count in sorted(OUTCOMES.items())]
    absurd = sum(c for bucket, c in RATIOS.items() if bucket in ("(1e3, 1e4]", "> 1e4"))
    lines.append(f"  finite fits by objective / objective of the zero model "
                 f"(absurd above {ABSURD_FACTOR:g}: {absurd}):")
    lines += [f"    {RATIOS[b]:6d}  {b}" for b in ("<= 1", "(1, 10]", "(10, 1e3]", "(1e3, 1e4]",
                                                  "> 1e4", "early stopping (not judged)")]
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))
