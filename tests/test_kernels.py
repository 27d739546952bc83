"""Compiled epochs (``skopt_gd/_kernels.py``) == the numpy reference loop, to round-off.

Every fit below runs twice on the same data and seed: once through the numba
kernels, once with them switched off (``_kernels.ENABLED = False``, the numpy
loop of ``_loop.py``). Coefficients, intercepts, the objective curve, the
update count and the optimizer state must agree to round-off, and a spy checks
that the compiled path really ran. The numpy loop itself is checked against
independent references (torch transcriptions, exact solvers) in the other test
files.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier, _kernels
from skopt_gd.optimizers import OPTIMIZERS, SGD, Adam, RMSprop
from skopt_gd.schedules import SCHEDULES

pytestmark = pytest.mark.skipif(_kernels.numba is None, reason="numba not installed")

RTOL = {np.float64: 1e-9, np.float32: 2e-4}
ATOL = {np.float64: 1e-11, np.float32: 1e-5}


# ---- data -----------------------------------------------------------------------
def _X(n=53, d=5, seed=0):
    rng = np.random.RandomState(seed)
    return rng, rng.randn(n, d)


def _layout(X, kind):
    if kind == "csr":
        X = X.copy()
        X[np.abs(X) < 0.6] = 0.0  # about half the entries stored
        return sp.csr_matrix(X)
    return X.astype(np.float32) if kind == "float32" else X


def regression(kind="dense", outputs=1, seed=0):
    rng, X = _X(seed=seed)
    W = rng.uniform(-2, 2, size=(X.shape[1], outputs))
    Y = X @ W + 0.3 + 0.1 * rng.randn(X.shape[0], outputs)
    return _layout(X, kind), (Y[:, 0] if outputs == 1 else Y)


def classification(kind="dense", classes=2, seed=1):
    rng, X = _X(seed=seed)
    W = rng.uniform(-2, 2, size=(X.shape[1], classes))
    y = np.argmax(X @ W + 0.5 * rng.randn(X.shape[0], classes), axis=1)
    return _layout(X, kind), y


# ---- the comparison ---------------------------------------------------------------
def fit_both(est, X, y, monkeypatch, sample_weight=None, expect_kernel=True, **fit_kw):
    """Fit clones with and without kernels; check the compiled path ran (or not)."""
    calls = []
    run = _kernels.CompiledEpochs.run

    def spy(self, *args):
        calls.append(self.scaled)
        return run(self, *args)

    monkeypatch.setattr(_kernels.CompiledEpochs, "run", spy)
    fitted = []
    for enabled in (True, False):
        monkeypatch.setattr(_kernels, "ENABLED", enabled)
        e = _clone(est)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e.fit(X, y, sample_weight=sample_weight, **fit_kw)
        fitted.append(e)
        if enabled:
            assert bool(calls) == expect_kernel, "compiled path not taken as expected"
    return fitted[0], fitted[1], calls


def _clone(est):
    from sklearn.base import clone
    return clone(est)


def assert_same(fast, ref, dtype=np.float64):
    rtol, atol = RTOL[dtype], ATOL[dtype]
    assert fast.t_ == ref.t_ and fast.n_iter_ == ref.n_iter_
    assert fast.coef_.dtype == ref.coef_.dtype
    np.testing.assert_allclose(fast.coef_, ref.coef_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(fast.intercept_, ref.intercept_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(fast.loss_curve_, ref.loss_curve_, rtol=rtol, atol=atol)
    fs, rs = fast._state, ref._state
    assert fs.samples_seen == rs.samples_seen and fs.n_avg == rs.n_avg
    assert set(fs.opt_state) == set(rs.opt_state)
    for key, value in rs.opt_state.items():
        if value is None:
            assert fs.opt_state[key] is None
        else:
            np.testing.assert_allclose(fs.opt_state[key], value, rtol=rtol, atol=atol)


# ---- every optimizer x every penalty (generic kernel) -------------------------------
OPTIMIZER_CASES = [*OPTIMIZERS, RMSprop(centered=True, momentum=0.5),
                   SGD(momentum=0.5, dampening=0.3), Adam(beta1=0.5, eps=1e-3)]


@pytest.mark.parametrize("penalty", [None, "l2", "l1", "elasticnet"])
@pytest.mark.parametrize("optimizer", OPTIMIZER_CASES, ids=repr)
def test_every_optimizer_and_penalty(optimizer, penalty, monkeypatch):
    resolved = OPTIMIZERS[optimizer]() if isinstance(optimizer, str) else optimizer
    if penalty in ("l1", "elasticnet") and not resolved.l1_prox:
        pytest.skip("sign-based: an L1 part is refused (test_optimizers_issue12)")
    X, y = regression()
    est = SGDLinearRegressor(optimizer=optimizer, penalty=penalty, alpha=0.01, batch_size=7,
                             eta0=0.02, learning_rate="invscaling", max_iter=4, tol=None,
                             average=20, random_state=0)
    fast, ref, calls = fit_both(est, X, y, monkeypatch)
    assert_same(fast, ref)


# ---- losses x layouts, on both kernels (scaled SGD + L2 and generic) -----------------
LOSS_DATA = {
    "squared_error": lambda kind: (SGDLinearRegressor(loss="squared_error"), regression(kind)),
    "huber": lambda kind: (SGDLinearRegressor(loss="huber", epsilon=0.3), regression(kind)),
    "epsilon_insensitive": lambda kind: (
        SGDLinearRegressor(loss="epsilon_insensitive", epsilon=0.2), regression(kind)),
    "multi_output": lambda kind: (SGDLinearRegressor(), regression(kind, outputs=3)),
    "binary": lambda kind: (SGDLogisticClassifier(), classification(kind)),
    "multinomial": lambda kind: (SGDLogisticClassifier(), classification(kind, classes=4)),
}
SETTINGS = {  # name -> (parameters, compiled kernel expected: scaled or generic)
    "sgd_l2": (dict(optimizer="sgd", penalty="l2", alpha=0.01), True),
    "sgd_none_noshuffle": (dict(optimizer="sgd", penalty=None, shuffle=False), True),
    "sgd_l2_average": (dict(optimizer="sgd", penalty="l2", alpha=0.01, average=7), True),
    "adam_elasticnet": (dict(optimizer="adam", penalty="elasticnet", alpha=0.01), False),
    "momentum_l2_average": (dict(optimizer="momentum", penalty="l2", average=True), False),
}


@pytest.mark.parametrize("kind", ["dense", "csr", "float32"])
@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("loss", LOSS_DATA)
def test_losses_layouts_and_kernels(loss, setting, kind, monkeypatch):
    est, (X, y) = LOSS_DATA[loss](kind)
    params, scaled = SETTINGS[setting]
    est.set_params(batch_size=5, eta0=0.05, max_iter=3, tol=None, random_state=1, **params)
    fast, ref, calls = fit_both(est, X, y, monkeypatch)
    assert set(calls) == {scaled}  # batch_size=5 < 8: dense rows take the scaled kernel too
    assert_same(fast, ref, np.float32 if kind == "float32" else np.float64)


# ---- batch sizes, weights, intercept, schedules, continuation -----------------------------
@pytest.mark.parametrize("kind", ["dense", "csr"])
@pytest.mark.parametrize("batch_size", [1, 2, 8, 52])
@pytest.mark.parametrize("optimizer", ["sgd", "nadam"])
def test_batch_sizes_with_zero_weight_batches(batch_size, optimizer, kind, monkeypatch):
    X, y = regression(kind)
    sw = np.random.RandomState(3).uniform(0.5, 2.0, size=len(y))
    sw[10:20] = 0.0  # whole batches of zero weight are skipped without an update
    est = SGDLinearRegressor(optimizer=optimizer, batch_size=batch_size, eta0=0.01,
                             shuffle=False, max_iter=3, tol=None)
    fast, ref, _ = fit_both(est, X, y, monkeypatch, sample_weight=sw)
    assert_same(fast, ref)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_without_intercept(fit_intercept, kind, monkeypatch):
    X, y = classification(kind, classes=3)
    est = SGDLogisticClassifier(fit_intercept=fit_intercept, batch_size=4, eta0=0.1,
                                max_iter=3, tol=None, random_state=0, penalty="l1",
                                alpha=0.001, optimizer="adagrad")
    fast, ref, _ = fit_both(est, X, y, monkeypatch)
    assert_same(fast, ref)


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_every_schedule(schedule, monkeypatch):
    X, y = regression()
    est = SGDLinearRegressor(learning_rate=schedule, eta0=0.02, batch_size=6, max_iter=6,
                             tol=1e-3 if schedule == "adaptive" else None, alpha=0.5,
                             n_iter_no_change=1, random_state=0)
    fast, ref, _ = fit_both(est, X, y, monkeypatch)
    assert_same(fast, ref)


def test_defaults_with_stopping_and_early_stopping(monkeypatch):
    X, y = classification(classes=3)
    est = SGDLogisticClassifier(batch_size=8, random_state=0, early_stopping=True,
                                validation_fraction=0.2, max_iter=30)
    fast, ref, _ = fit_both(est, X, y, monkeypatch)
    assert_same(fast, ref)
    assert fast.validation_scores_ == ref.validation_scores_


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "momentum"])
def test_partial_fit_continues_the_same_state(optimizer, monkeypatch):
    X, y = regression("csr")
    fitted = []
    for enabled in (True, False):
        monkeypatch.setattr(_kernels, "ENABLED", enabled)
        est = SGDLinearRegressor(optimizer=optimizer, batch_size=4, eta0=0.02, average=30,
                                 random_state=0)
        for chunk in np.array_split(np.arange(len(y)), 3):
            est.partial_fit(X[chunk], y[chunk])
        fitted.append(est)
    assert_same(*fitted)


# ---- divergence and dispatch -------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_divergence_raises_the_same_error(optimizer, monkeypatch):
    X, y = regression()
    est = SGDLinearRegressor(optimizer=optimizer, eta0=1e6, batch_size=3, penalty=None,
                             learning_rate="constant", tol=None, max_iter=5)
    messages = []
    for enabled in (True, False):
        monkeypatch.setattr(_kernels, "ENABLED", enabled)
        with pytest.raises(ValueError, match="diverged") as info:
            _clone(est).fit(X * 1e3, y * 1e3)
        messages.append(re.sub(r"reached \S+", "reached <value>", str(info.value)))
    assert messages[0] == messages[1]  # same epoch; values blown up differ by round-off


class MySGD(SGD):
    """A subclass may change ``step``: it must never get SGD's kernel."""

    def step(self, grad, state, t):
        return 2.0 * grad


def test_dispatch_rules(monkeypatch):
    X, y = regression()
    est = SGDLinearRegressor(batch_size=5, max_iter=2, tol=None, random_state=0)
    fit_both(est, X, y, monkeypatch)  # registered components: compiled
    full = _clone(est).set_params(batch_size=None)
    fit_both(full, X, y, monkeypatch)  # a small full batch: compiled too
    for params, data in [
        (dict(optimizer=MySGD()), (X, y)),  # unregistered class
        ({}, (np.asfortranarray(X), y)),  # column-major rows
    ]:
        fit_both(_clone(est).set_params(**params), *data, monkeypatch, expect_kernel=False)
    # a large narrow full batch: numpy's BLAS passes (the threshold lowered to this X)
    monkeypatch.setattr(_kernels, "BLAS_MIN_ENTRIES", X.size)
    fit_both(full, X, y, monkeypatch, expect_kernel=False)
    fit_both(est, X, y, monkeypatch)  # mini-batches stay compiled
    monkeypatch.setattr(_kernels, "BLAS_MAX_FEATURES", X.shape[1])
    fit_both(full, X, y, monkeypatch)  # as wide as BLAS_MAX_FEATURES: compiled


def test_subclass_really_uses_its_own_step(monkeypatch):
    X, y = regression()
    a = SGDLinearRegressor(optimizer=MySGD(), eta0=0.01, learning_rate="constant",
                           batch_size=5, max_iter=1, tol=None, shuffle=False, penalty=None)
    b = _clone(a).set_params(optimizer="sgd", eta0=0.02)
    fast, ref, _ = fit_both(a, X, y, monkeypatch, expect_kernel=False)
    np.testing.assert_allclose(fast.coef_, b.fit(X, y).coef_, rtol=1e-12)


def test_compile_failure_falls_back_to_numpy(monkeypatch):
    X, y = regression()
    est = SGDLinearRegressor(batch_size=5, max_iter=2, tol=None, random_state=0)
    monkeypatch.setattr(_kernels, "ENABLED", False)
    ref = _clone(est).fit(X, y)
    monkeypatch.setattr(_kernels, "ENABLED", True)

    def broken(*args):
        raise _kernels.numba.core.errors.TypingError("no kernel here")

    monkeypatch.setattr(_kernels, "_fit", broken)
    with pytest.warns(RuntimeWarning, match="numpy loop"):
        fast = _clone(est).fit(X, y)
    assert _kernels.ENABLED is False
    np.testing.assert_array_equal(fast.coef_, ref.coef_)


@pytest.mark.parametrize("kind", ["dense", "csr"])
@pytest.mark.parametrize("eta0", [0.045, 0.05])  # L2 shrink 0.1 per update; 0.05: exactly 0
def test_scaled_kernel_folds_a_vanishing_scale(kind, eta0, monkeypatch):
    """Strong L2 shrinks ``scale`` below 1e-9 within an epoch: v and the lazy average
    are rewritten explicitly, with the same result as the direct updates."""
    X, y = regression(kind)
    est = SGDLinearRegressor(penalty="l2", alpha=20.0,
                             eta0=eta0, learning_rate="constant", batch_size=4, average=3,
                             max_iter=2, tol=None, random_state=0)
    fast, ref, calls = fit_both(est, X, y, monkeypatch)
    assert set(calls) == {True}
    assert_same(fast, ref)


# ---- plain SGD with a diagonal preconditioner: steps taken on theta' ------------------
def _raw_columns(classify=False, seed=4):
    """53 x 13 columns of scales 0.1 ... 10 and offsets far from zero: the diagonal
    preconditioner (13 features > 4 x batch sizes 1 and 3) scales and centres them."""
    rng = np.random.RandomState(seed)
    X = rng.randn(53, 13) * np.geomspace(0.1, 10.0, 13) + rng.uniform(-20, 20, 13)
    y = X @ rng.uniform(-1, 1, 13) + 50.0 + rng.randn(53)
    return X, (y > np.median(y)).astype(int) if classify else y


@pytest.mark.parametrize("kind", ["dense", "float32"])
@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("penalty", ["l2", None])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("model", ["regressor", "binary"])
def test_plain_sgd_with_a_diagonal_preconditioner(model, fit_intercept, penalty, batch_size,
                                                  kind, monkeypatch):
    """``preconditioning="auto"`` with dense rows of a few-row batches (the diagonal map)
    and plain SGD takes the scaled kernel, stepping on ``theta'`` itself: the same fit as
    the numpy loop's steps on ``phi`` mapped through the preconditioner each update."""
    X, y = _raw_columns(classify=model == "binary")
    X = X.astype(np.float32) if kind == "float32" else X
    cls = SGDLinearRegressor if model == "regressor" else SGDLogisticClassifier
    est = cls(preconditioning="auto", batch_size=batch_size, penalty=penalty, alpha=0.05,
              fit_intercept=fit_intercept, learning_rate="invscaling", eta0=0.02, max_iter=3,
              tol=None, random_state=0)
    fast, ref, calls = fit_both(est, X, y, monkeypatch)
    assert fast._state.precond.mode == "diag" and set(calls) == {True}
    assert_same(fast, ref, np.float32 if kind == "float32" else np.float64)


@pytest.mark.parametrize("case", ["multinomial", "average", "momentum"])
def test_diagonal_preconditioner_cases_left_to_the_generic_kernel(case, monkeypatch):
    """Several outputs, averaging (the lazy average follows ``v``, not ``theta'``) and
    a rule other than plain SGD run the generic kernel, with the same result."""
    X, y = _raw_columns(classify=True)
    if case == "multinomial":
        y = np.digitize(X[:, 0], np.quantile(X[:, 0], [1 / 3, 2 / 3]))
    est = SGDLogisticClassifier(preconditioning="auto", batch_size=1, penalty="l2",
                                alpha=0.05, eta0=0.02, learning_rate="invscaling",
                                average=case == "average",
                                optimizer="momentum" if case == "momentum" else "sgd",
                                max_iter=3, tol=None, random_state=0)
    fast, ref, calls = fit_both(est, X, y, monkeypatch)
    assert fast._state.precond.mode == "diag" and set(calls) == {False}
    assert_same(fast, ref)


# ---- full batch: one compiled pass over all rows (threads over row shares) ------------
def _count_full_passes(monkeypatch):
    calls = []
    full = _kernels.full_value_and_grad

    def spy(*args, **kwargs):
        out = full(*args, **kwargs)
        if _kernels.ENABLED:
            calls.append(out is not None)
        return out

    monkeypatch.setattr(_kernels, "full_value_and_grad", spy)
    return calls


@pytest.mark.parametrize("path", ["blas", "compiled"])
@pytest.mark.parametrize("kind", ["dense", "csr", "float32"])
@pytest.mark.parametrize("loss", LOSS_DATA)
def test_full_batch_pass(loss, kind, path, monkeypatch):
    """Full batch either way -- numpy's loop with one compiled pass per epoch (the large
    narrow batches, ``_kernels.BLAS_MIN_ENTRIES``) or whole epochs compiled (the rest) --
    is the numpy loop's fit."""
    est, (X, y) = LOSS_DATA[loss](kind)
    est.set_params(batch_size=None, optimizer="nesterov", learning_rate="constant", eta0=0.1,
                   penalty="elasticnet", alpha=0.01, max_iter=4, tol=None)
    if path == "blas":
        monkeypatch.setattr(_kernels, "BLAS_MIN_ENTRIES", 0)
    calls = _count_full_passes(monkeypatch)
    fast, ref, _ = fit_both(est, X, y, monkeypatch, expect_kernel=path == "compiled")
    assert calls and all(calls)  # every epoch (blas) and the final objective
    assert_same(fast, ref, np.float32 if kind == "float32" else np.float64)


@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_full_batch_pass_split_over_threads(kind, monkeypatch):
    """Enough rows for every thread to get a share (and shares of unequal length)."""
    rng = np.random.RandomState(7)
    X = _layout(rng.randn(4099, 6), kind)
    y = np.asarray(X @ rng.randn(6)).ravel() + 0.1 * rng.randn(4099)
    w = rng.uniform(0, 2, size=len(y))
    est = SGDLinearRegressor(batch_size=None, eta0=0.1, max_iter=3, tol=None)
    monkeypatch.setattr(_kernels, "BLAS_MIN_ENTRIES", 0)  # the numpy loop's epochs
    calls = _count_full_passes(monkeypatch)
    fast, ref, _ = fit_both(est, X, y, monkeypatch, sample_weight=w, expect_kernel=False)
    assert calls and all(calls)
    assert_same(fast, ref)


@pytest.mark.parametrize("loss", ["squared_error", "multi_output", "binary", "multinomial"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_large_batches_shared_over_threads(loss, optimizer, monkeypatch):
    """Dense mini-batches above PARALLEL_MIN entries split their rows among threads
    (lowered here so small data takes that path): same fit as the numpy loop, with
    weights, an odd batch size (uneven shares) and a short last batch."""
    monkeypatch.setattr(_kernels, "PARALLEL_MIN", 1)
    threads = []
    whole_fit = _kernels._fit

    def spy(*args):
        threads.append(args[19].shape[0])  # ``values``: one loss sum per thread
        return whole_fit(*args)

    monkeypatch.setattr(_kernels, "_fit", spy)
    est, (X, y) = LOSS_DATA[loss]("dense")
    est.set_params(optimizer=optimizer, batch_size=11, eta0=0.05, max_iter=3, tol=None,
                   penalty="l2", alpha=0.01, random_state=2)
    w = np.random.RandomState(5).uniform(0.2, 2.0, size=len(y))
    fast, ref, calls = fit_both(est, X, y, monkeypatch, sample_weight=w)
    assert calls == [False]  # generic kernel, the three epochs in one call
    assert threads == [_kernels.numba.get_num_threads()]
    assert_same(fast, ref)


@pytest.mark.parametrize("kind", ["dense", "csr"])
@pytest.mark.parametrize("batch_size", [1, 16, None])
def test_no_weights_equal_unit_weights_exactly(kind, batch_size):
    """``sample_weight=None`` is stored as one shared 1.0 (no n-sized array); the fit is
    bit for bit the fit with explicit ones."""
    X, y = classification(kind, classes=3)
    est = SGDLogisticClassifier(batch_size=batch_size, max_iter=3, tol=None, random_state=0)
    a = _clone(est).fit(X, y)
    b = _clone(est).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)


# ---- the shuffled row order ------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 624, 625, 5000])
@pytest.mark.parametrize("draws_before", [0, 1, 700])
def test_permutation_is_randomstate_permutation_bit_for_bit(n, draws_before):
    """The compiled shuffle makes MT19937's draws: same order, same state after."""
    ours, ref = np.random.RandomState(11), np.random.RandomState(11)
    ours.random_sample(draws_before), ref.random_sample(draws_before)
    order = _kernels.permutation(n, ours)
    assert order.dtype == np.int32
    np.testing.assert_array_equal(order, ref.permutation(n))
    assert ours.randint(2**31) == ref.randint(2**31) and ours.randn() == ref.randn()


def test_permutation_of_other_bit_generators_uses_their_shuffle():
    ours = np.random.RandomState(np.random.PCG64(3))
    ref = np.random.RandomState(np.random.PCG64(3))
    np.testing.assert_array_equal(_kernels.permutation(100, ours), ref.permutation(100))


def test_read_only_data_and_explicit_weights_share_the_default_kernels(tmp_path):
    """Read-only X (a memmap, as joblib hands to GridSearchCV's workers), read-only y and
    explicit weights reach the kernels as writeable aliases (``_jit.readable``): numba
    types a read-only array apart, and each would compile every kernel again. The
    inputs are untouched and the fit equals the one on ordinary arrays."""
    X, y = regression()
    path = tmp_path / "X.npy"
    np.save(path, X)
    Xr = np.load(path, mmap_mode="r")
    yr, w = y.copy(), np.linspace(0.5, 1.5, len(y))
    yr.flags.writeable = False
    est = SGDLinearRegressor(batch_size=5, max_iter=3, tol=None, random_state=0)
    ref = _clone(est).fit(X, y, sample_weight=w)
    got = _clone(est).fit(Xr, yr, sample_weight=w)
    np.testing.assert_array_equal(got.coef_, ref.coef_)
    np.testing.assert_array_equal(Xr, X)
    from numba.core import types

    for sig in _kernels._fit.signatures:
        assert not any(isinstance(a, types.Array) and not a.mutable for a in sig), sig
