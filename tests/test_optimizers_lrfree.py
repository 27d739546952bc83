"""Issue 12's learning-rate-free optimizers: schedule-free SGD / Adam and Prodigy.

References, never the code under test: numpy transcriptions of the algorithms
written out below (``schedulefree``'s reference classes and ``prodigyopt.Prodigy``,
weight decay off), themselves checked against those packages (run in float64)
when they are installed; the exact solvers of scikit-learn.
"""

import math
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, train_test_split

from _problems import converged, data, quadratic, target
from _reference import batch_slices, make_grad_fn
from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier, _kernels
from skopt_gd.optimizers import OPTIMIZERS, Prodigy, ScheduleFreeAdam, ScheduleFreeSGD

#: alias -> (class, the defaults of API.md)
ALIASES = {
    "schedulefree_sgd": (ScheduleFreeSGD, dict(momentum=0.9, warmup_steps=0, r=0.0,
                                               weight_lr_power=2.0)),
    "schedulefree_adam": (ScheduleFreeAdam, dict(beta1=0.9, beta2=0.999, eps=1e-8,
                                                 warmup_steps=0, r=0.0, weight_lr_power=2.0)),
    "prodigy": (Prodigy, dict(beta1=0.9, beta2=0.999, beta3=None, eps=1e-8, d0=1e-6,
                              d_coef=1.0, growth_rate=math.inf, use_bias_correction=False,
                              safeguard_warmup=False)),
}
VARIANTS = {  # non-default values of every hyperparameter at once
    "schedulefree_sgd": dict(momentum=0.7, warmup_steps=5, r=0.5, weight_lr_power=1.0),
    "schedulefree_adam": dict(beta1=0.8, beta2=0.95, eps=1e-6, warmup_steps=4, r=1.0,
                              weight_lr_power=0.0),
    "prodigy": dict(beta1=0.8, beta2=0.99, beta3=0.9, eps=1e-6, d0=1e-3, d_coef=0.7,
                    growth_rate=1.1, use_bias_correction=True, safeguard_warmup=True),
}
SINGLE = [  # each hyperparameter alone, away from its default
    ("schedulefree_sgd", dict(warmup_steps=7)), ("schedulefree_sgd", dict(r=1.0)),
    ("schedulefree_sgd", dict(weight_lr_power=0.0)), ("schedulefree_sgd", dict(momentum=0.5)),
    ("schedulefree_adam", dict(warmup_steps=7)), ("schedulefree_adam", dict(r=2.0)),
    ("schedulefree_adam", dict(weight_lr_power=1.0)), ("schedulefree_adam", dict(beta1=0.0)),
    ("prodigy", dict(use_bias_correction=True)), ("prodigy", dict(safeguard_warmup=True)),
    ("prodigy", dict(growth_rate=1.3)), ("prodigy", dict(beta3=0.5)),
    ("prodigy", dict(beta1=0.0)), ("prodigy", dict(d_coef=2.0)), ("prodigy", dict(d0=1e-3)),
]
ETA0 = {"schedulefree_sgd": 0.1, "schedulefree_adam": 0.05, "prodigy": 1.0}
SCHEDULE_FREE = ("schedulefree_sgd", "schedulefree_adam")


# ---- numpy transcriptions: each returns the trajectory of the exposed point -------------
def schedule_free_run(alias, hyper, grad_fn, theta0, lrs):
    """``schedulefree``'s reference step: gradient at y, z steps, x averages z."""
    h = {**ALIASES[alias][1], **hyper}
    adam = alias == "schedulefree_adam"
    beta = h["beta1"] if adam else h["momentum"]
    x, z = np.array(theta0, float), np.array(theta0, float)
    v, lr_max, weight_sum = np.zeros_like(x), -1.0, 0.0
    out = [x.copy()]
    for k, base in enumerate(lrs):
        y = beta * x + (1 - beta) * z
        g = grad_fn(y.copy(), k + 1)
        lr = base * ((k + 1) / h["warmup_steps"] if k < h["warmup_steps"] else 1.0)
        lr_max = max(lr_max, lr)
        weight = (k + 1) ** h["r"] * lr_max ** h["weight_lr_power"]
        weight_sum += weight
        c = weight / weight_sum if weight_sum else 0.0
        if adam:
            v = h["beta2"] * v + (1 - h["beta2"]) * g * g
            z = z - lr * g / (np.sqrt(v / (1 - h["beta2"] ** (k + 1))) + h["eps"])
        else:
            z = z - lr * g
        x = (1 - c) * x + c * z
        out.append(x.copy())
    return np.array(out)


def prodigy_run(alias, hyper, grad_fn, theta0, lrs):
    """``prodigyopt.Prodigy.step`` for one parameter tensor, weight decay 0."""
    h = {**ALIASES[alias][1], **hyper}
    b1, b2 = h["beta1"], h["beta2"]
    b3 = math.sqrt(b2) if h["beta3"] is None else h["beta3"]
    d0 = h["d0"]
    d = d_max = d0
    numerator, k = 0.0, 0
    x = np.array(theta0, float)
    p0, m, v, s = x.copy(), np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    out = [x.copy()]
    for t, lr in enumerate(lrs, start=1):
        g = grad_fn(x.copy(), t)
        bc = math.sqrt(1 - b2 ** (k + 1)) / (1 - b1 ** (k + 1)) if h["use_bias_correction"] else 1
        dlr = d * lr * bc
        delta = (d / d0) * dlr * np.sum(g * (p0 - x))
        m = b1 * m + d * (1 - b1) * g
        v = b2 * v + d * d * (1 - b2) * g * g
        s = b3 * s + (d / d0) * (d if h["safeguard_warmup"] else dlr) * g
        denom_sum = np.abs(s).sum()
        if denom_sum == 0:
            out.append(x.copy())
            continue
        numerator = b3 * numerator + delta
        d_hat = h["d_coef"] * numerator / denom_sum
        if d == d0:
            d = max(d, d_hat)
        d_max = max(d_max, d_hat)
        d = min(d_max, d * h["growth_rate"])
        x = x - dlr * (m if b1 > 0 else d * g) / (np.sqrt(v) + d * h["eps"])
        k += 1
        out.append(x.copy())
    return np.array(out)


def reference_run(alias, hyper, grad_fn, theta0, lrs):
    run = prodigy_run if alias == "prodigy" else schedule_free_run
    return run(alias, hyper, grad_fn, theta0, lrs)


def package_run(alias, hyper, grad_fn, theta0, lrs):
    """The installed reference package, in float64 (``pytest.importorskip``)."""
    torch = pytest.importorskip("torch")
    h = {**ALIASES[alias][1], **hyper}
    p = torch.tensor(np.array(theta0, float), dtype=torch.float64, requires_grad=True)
    sched = {k: h[k] for k in ("warmup_steps", "r", "weight_lr_power") if k in h}
    if alias == "schedulefree_sgd":
        schedulefree = pytest.importorskip("schedulefree")
        opt = schedulefree.SGDScheduleFreeReference([p], lr=lrs[0], momentum=h["momentum"],
                                                    weight_decay=0, **sched)
    elif alias == "schedulefree_adam":
        schedulefree = pytest.importorskip("schedulefree")
        opt = schedulefree.AdamWScheduleFreeReference(
            [p], lr=lrs[0], betas=(h["beta1"], h["beta2"]), eps=h["eps"], weight_decay=0,
            **sched)
        opt.train()
    else:
        prodigyopt = pytest.importorskip("prodigyopt")
        opt = prodigyopt.Prodigy(
            [p], lr=lrs[0], betas=(h["beta1"], h["beta2"]), beta3=h["beta3"], eps=h["eps"],
            weight_decay=0, d0=h["d0"], d_coef=h["d_coef"], growth_rate=h["growth_rate"],
            use_bias_correction=h["use_bias_correction"],
            safeguard_warmup=h["safeguard_warmup"])
    out = [np.array(theta0, float)]
    for t, lr in enumerate(lrs, start=1):
        opt.param_groups[0]["lr"] = float(lr)
        p.grad = torch.tensor(grad_fn(p.detach().numpy().copy(), t), dtype=torch.float64)
        opt.step()
        exposed = opt.state[p]["x"] if alias in SCHEDULE_FREE else p  # p holds y there
        out.append(exposed.detach().numpy().copy())
    return np.array(out)


def rates(alias, steps=60):
    """Decreasing rates: a schedule times the optimizer's own warmup and weights."""
    return list(ETA0[alias] / np.sqrt(np.arange(1, steps + 1)))


CASES = ([(a, {}) for a in ALIASES] + [(a, kw) for a, kw in VARIANTS.items()] + SINGLE)
IDS = [f"{a}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for a, kw in CASES]


# ---- parameters ---------------------------------------------------------------------------
@pytest.mark.parametrize("alias", ALIASES)
def test_alias_names_and_defaults(alias):
    cls, defaults = ALIASES[alias]
    assert OPTIMIZERS[alias]() == cls()
    assert cls().get_params() == defaults
    assert clone(cls(**VARIANTS[alias])) == cls(**VARIANTS[alias])
    assert cls(**VARIANTS[alias]) != cls()


BAD = [
    (ScheduleFreeSGD, "momentum", 0.0), (ScheduleFreeSGD, "momentum", 1.0),
    (ScheduleFreeSGD, "warmup_steps", -1), (ScheduleFreeSGD, "warmup_steps", 2.5),
    (ScheduleFreeSGD, "r", -1.0), (ScheduleFreeSGD, "weight_lr_power", -0.5),
    (ScheduleFreeAdam, "beta1", 1.0), (ScheduleFreeAdam, "beta2", -0.1),
    (ScheduleFreeAdam, "eps", -1e-8), (ScheduleFreeAdam, "warmup_steps", "x"),
    (Prodigy, "d0", 0.0), (Prodigy, "d0", -1e-6), (Prodigy, "growth_rate", 0.0),
    (Prodigy, "growth_rate", -1.0), (Prodigy, "eps", 0.0), (Prodigy, "beta1", 1.0),
    (Prodigy, "beta2", 1.5), (Prodigy, "beta3", 1.0), (Prodigy, "d_coef", 0.0),
    (Prodigy, "use_bias_correction", "yes"), (Prodigy, "safeguard_warmup", 2),
]


@pytest.mark.parametrize("cls, name, value", BAD)
def test_bad_values_raise_naming_the_parameter(cls, name, value):
    X, y = data("regressor")
    with pytest.raises(ValueError, match=name):
        SGDLinearRegressor(optimizer=cls(**{name: value}), max_iter=2).fit(X, y)


@pytest.mark.parametrize("alias", ALIASES)
def test_grid_search_clone_and_pickle(alias):
    cls, defaults = ALIASES[alias]
    name = next(iter(defaults))
    values = [defaults[name], VARIANTS[alias][name]]
    X, y = data("regressor")
    est = SGDLinearRegressor(optimizer=cls(), batch_size=8, max_iter=20, tol=None,
                             random_state=0)
    search = GridSearchCV(est, {f"optimizer__{name}": values}, cv=2).fit(X, y)
    fitted = search.best_estimator_
    assert fitted.optimizer == cls(**{name: search.best_params_[f"optimizer__{name}"]})
    again = pickle.loads(pickle.dumps(fitted))
    assert_allclose(again.predict(X), fitted.predict(X), rtol=0, atol=0)


@pytest.mark.parametrize("alias", SCHEDULE_FREE)
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 0.15), ("elasticnet", 0.5)])
def test_schedule_free_refuses_an_l1_part(alias, penalty, l1_ratio):
    X, y = data("regressor")
    est = SGDLinearRegressor(optimizer=alias, penalty=penalty, l1_ratio=l1_ratio, alpha=0.01)
    with pytest.raises(ValueError, match="schedule-free.*L1"):
        est.fit(X, y)
    assert not hasattr(est, "coef_")
    clone(est).set_params(penalty="elasticnet", l1_ratio=0.0, max_iter=3, tol=None).fit(X, y)


def test_step_is_refused_where_the_rule_reads_the_parameters():
    for cls in (ScheduleFreeSGD, ScheduleFreeAdam, Prodigy):
        with pytest.raises(TypeError, match="update"):
            cls().step(np.ones(2), cls().init_state(np.zeros(2)), 1)


# ---- update rules ---------------------------------------------------------------------------
@pytest.mark.parametrize("alias, hyper", CASES, ids=IDS)
def test_transcription_equals_the_reference_package(alias, hyper, capsys):
    grad_fn, theta0 = quadratic((3, 2), seed=5)
    lrs = rates(alias)
    expected = package_run(alias, hyper, grad_fn, theta0, lrs)
    got = reference_run(alias, hyper, grad_fn, theta0, lrs)
    assert np.abs(expected[-1] - theta0).max() > 1e-3
    assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("alias, hyper", CASES, ids=IDS)
def test_update_equals_transcription(alias, hyper):
    grad_fn, theta0 = quadratic((5,), seed=len(alias))
    lrs = rates(alias)
    opt = ALIASES[alias][0](**hyper)
    theta, state = theta0.copy(), opt.init_state(theta0)
    got = [theta.copy()]
    for t, lr in enumerate(lrs, start=1):
        g = grad_fn(opt.gradient_point(theta, state).copy(), t)
        theta = opt.update(theta, g, state, t, eta=lr)
        got.append(theta.copy())
    expected = reference_run(alias, hyper, grad_fn, theta0, lrs)
    assert np.abs(expected[-1] - theta0).max() > 1e-3
    assert_allclose(np.array(got), expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("alias", ALIASES)
def test_a_zero_rate_changes_nothing(alias):
    """eta = 0 (a schedule's first step may be 0): the references leave x and the
    state alone (Prodigy skips, schedule-free's weight is lr_max^2 = 0)."""
    opt = ALIASES[alias][0]()
    theta = np.array([0.5, -1.0])
    state = opt.init_state(theta)
    got = opt.update(theta, np.array([1.0, 2.0]), state, 1, eta=0.0)
    assert_allclose(got, theta, rtol=0, atol=0)


# ---- fits: the estimators' trajectories ---------------------------------------------------


def expected_path(model, alias, X, y, batch_size, epochs, alpha, run, theta0=None, hyper=None):
    loss, Y, lead = target(model, y)
    batches = batch_slices(X.shape[0], batch_size)
    grad_fn = make_grad_fn(loss, X, Y, None, batches, alpha)
    start = np.zeros(lead + (X.shape[1] + 1,)) if theta0 is None else theta0
    return run(alias, hyper or {}, grad_fn, start, [ETA0[alias]] * (epochs * len(batches)))


def split(model, theta):
    coef, intercept = theta[..., :-1], theta[..., -1]
    return (coef[None], np.array([intercept])) if model == "binary" else (coef, intercept)


def packed(est):
    """The fitted (coef_, intercept_) as the references' theta."""
    coef = np.atleast_2d(est.coef_)
    theta = np.column_stack([coef, np.atleast_1d(est.intercept_)])
    return theta[0] if theta.shape[0] == 1 else theta


def estimator(model, alias, **params):
    base = dict(optimizer=alias, learning_rate="constant", eta0=ETA0[alias], shuffle=False,
                tol=None, preconditioning=None, random_state=0)
    base.update(params)
    if model == "regressor":
        return SGDLinearRegressor(**base)
    return SGDLogisticClassifier(**base)


@pytest.mark.parametrize("penalty", [None, "l2"])
@pytest.mark.parametrize("batch_size", [None, 1, 7], ids=["full", "b1", "b7"])
@pytest.mark.parametrize("model", ["regressor", "binary", "multinomial"])
@pytest.mark.parametrize("alias", ALIASES)
def test_fit_equals_transcription_and_reference(alias, model, batch_size, penalty, capsys):
    X, y = data(model)
    alpha, epochs = (0.05 if penalty else 0.0), (12 if batch_size is None else 3)
    est = estimator(model, alias, penalty=penalty, alpha=alpha or 1e-4,
                    batch_size=batch_size, max_iter=epochs).fit(X, y)
    for run in (reference_run, package_run):
        coef, intercept = split(model, expected_path(model, alias, X, y, batch_size, epochs,
                                                     alpha, run)[-1])
        assert np.abs(coef).max() > 1e-3
        assert_allclose(est.coef_, coef, rtol=1e-10, atol=1e-12)
        assert_allclose(est.intercept_, intercept, rtol=1e-10, atol=1e-12)
    if batch_size == 7:  # CSR rows run through the same kernel
        sparse = clone(est).fit(sp.csr_matrix(X), y)
        assert_allclose(sparse.coef_, est.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("alias", ALIASES)
def test_variant_fit_equals_transcription(alias):
    X, y = data("regressor")
    est = estimator("regressor", alias, optimizer=ALIASES[alias][0](**VARIANTS[alias]),
                    batch_size=5, max_iter=4, penalty=None).fit(X, y)
    path = expected_path("regressor", alias, X, y, 5, 4, 0.0, reference_run,
                         hyper=VARIANTS[alias])
    assert_allclose(packed(est), path[-1], rtol=1e-10, atol=1e-12)


# ---- what each fit option means for them ----------------------------------------------------
@pytest.mark.parametrize("alias", ALIASES)
def test_average_averages_the_exposed_point(alias):
    X, y = data("regressor")
    est = estimator("regressor", alias, batch_size=None, max_iter=15, penalty=None,
                    average=True).fit(X, y)
    path = expected_path("regressor", alias, X, y, None, 15, 0.0, reference_run)
    assert_allclose(packed(est), path[1:].mean(axis=0), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("alias", ALIASES)
def test_partial_fit_continues_the_state(alias):
    X, y = data("regressor")
    whole = estimator("regressor", alias, batch_size=5, max_iter=3, penalty=None).fit(X, y)
    parts = estimator("regressor", alias, batch_size=5, penalty=None)
    for _ in range(3):
        parts.partial_fit(X, y)
    assert_allclose(parts.coef_, whole.coef_, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("alias", ALIASES)
def test_warm_start_restarts_the_optimizer_from_the_previous_solution(alias):
    """A fresh state at the previous coef_: z = x0 (schedule-free), p0 = x0 and d = d0
    (Prodigy); as every optimizer's warm start does."""
    X, y = data("regressor")
    est = estimator("regressor", alias, batch_size=5, max_iter=2, penalty=None,
                    warm_start=True).fit(X, y)
    start = packed(est)
    est.fit(X, y)
    path = expected_path("regressor", alias, X, y, 5, 2, 0.0, reference_run, theta0=start)
    assert_allclose(packed(est), path[-1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("alias", ALIASES)
def test_early_stopping_scores_and_keeps_the_exposed_point(alias):
    X, y = data("regressor", n=60)
    est = SGDLinearRegressor(optimizer=alias, early_stopping=True, validation_fraction=0.2,
                             n_iter_no_change=3, max_iter=40, batch_size=4,
                             random_state=0).fit(X, y)
    _, va = train_test_split(np.arange(len(y)), test_size=0.2,
                             random_state=np.random.RandomState(0))
    assert est.score(X[va], y[va]) == pytest.approx(max(est.validation_scores_), abs=1e-12)


@pytest.mark.parametrize("alias", ALIASES)
def test_divergence_is_caught(alias):
    X, y = data("regressor")
    X = X * 1e3
    est = SGDLinearRegressor(optimizer=alias, eta0=1e6, learning_rate="constant",
                             preconditioning=None, max_iter=20, batch_size=1, random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X, y)
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("alias", ALIASES)
def test_compiled_engine_runs_them(alias, batch_size, monkeypatch):
    calls = []
    run = _kernels.CompiledEpochs.run

    def spy(self, *args):
        calls.append(self.phases)
        return run(self, *args)

    monkeypatch.setattr(_kernels.CompiledEpochs, "run", spy)
    X, y = data("multinomial")
    est = SGDLogisticClassifier(optimizer=alias, penalty="l2", alpha=0.01, batch_size=batch_size,
                                max_iter=3, tol=None, random_state=0)
    fast = clone(est).fit(X, y)
    assert calls and calls[0] == ALIASES[alias][0].phases()
    monkeypatch.setattr(_kernels, "ENABLED", False)
    slow = clone(est).fit(X, y)
    assert_allclose(fast.coef_, slow.coef_, rtol=1e-10, atol=1e-12)
    assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-10)


# ---- run to convergence: the exact solvers ----------------------------------------------------


#: Schedule-free at a constant rate (what it is made for): its x is an average of all
#: z's since the start, so it converges like 1/T and the plateau rule of the default
#: "adaptive" schedule stops it early (measured: coef errors 0.03-0.2 here at
#: defaults; a decaying rate freezes z and the average drifts towards it).
SCHEDULE_FREE_RUN = dict(learning_rate="constant", tol=None, max_iter=20000)
#: Schedule-free Adam at a smaller rate than its "auto" 1.0 (chosen on the real-data
#: panel): at 1.0, once the log-loss gradients vanish its second moment decays, the base
#: sequence makes excursions and the uniform average keeps ~2e-2 of them (measured).
RUN_ETA0 = {"schedulefree_adam": dict(eta0=0.01)}


@pytest.mark.parametrize("model", ["regressor", "binary", "multinomial"])
@pytest.mark.parametrize("alias", ALIASES)
def test_converges_to_the_exact_solver(alias, model):
    X, y = data(model, seed=1, n=60)
    alpha, n = 0.01, X.shape[0]
    run = {**SCHEDULE_FREE_RUN, **RUN_ETA0.get(alias, {})} if alias in SCHEDULE_FREE else {}
    ours = converged(model, alias, penalty="l2", alpha=alpha, **run).fit(X, y)
    if model == "regressor":
        exact = Ridge(alpha=alpha * n).fit(X, y)
    else:
        exact = LogisticRegression(C=1 / (alpha * n), tol=1e-12, max_iter=10000).fit(X, y)
    assert_allclose(ours.coef_, exact.coef_, rtol=1e-4, atol=1e-4 * np.abs(exact.coef_).max())
    got, want = np.atleast_1d(ours.intercept_), np.atleast_1d(exact.intercept_)
    if model == "multinomial":  # unpenalised softmax intercepts: defined up to a shift
        got, want = got - got.mean(), want - want.mean()
    assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_prodigy_lands_on_the_lasso_zero_pattern():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 8))
    y = X[:, :3] @ [2.0, -1.0, 0.5] + 0.1 * rng.normal(size=80)
    ours = converged("regressor", "prodigy", penalty="l1", alpha=0.1).fit(X, y)
    exact = Lasso(alpha=0.1, tol=1e-12, max_iter=100000).fit(X, y)
    assert 0 < np.count_nonzero(exact.coef_) < X.shape[1]
    np.testing.assert_array_equal(ours.coef_ == 0, exact.coef_ == 0)
    assert_allclose(ours.coef_, exact.coef_, atol=1e-4)
