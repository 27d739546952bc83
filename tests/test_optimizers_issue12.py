"""Issue 12's RAdam, Rprop and Lion: parameters, update rules and fits.

References, never the code under test: numpy transcriptions of the documented
algorithms written out below (``torch.optim.RAdam`` / ``Rprop``'s algorithm boxes,
Algorithm 2 of Chen et al. 2023 for Lion), themselves checked against
``torch.optim`` when torch is installed; the exact solvers of scikit-learn.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV

from _problems import converged, data, quadratic, target
from _reference import batch_slices, make_grad_fn
from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd.optimizers import OPTIMIZERS, Lion, RAdam, Rprop

#: alias -> (class, the defaults of API.md)
ALIASES = {
    "radam": (RAdam, dict(beta1=0.9, beta2=0.999, eps=1e-8)),
    "rprop": (Rprop, dict(etaminus=0.5, etaplus=1.2, step_min=1e-6, step_max=50.0)),
    "lion": (Lion, dict(beta1=0.9, beta2=0.99)),
}
VARIANTS = {  # non-default values of every hyperparameter; Rprop's bounds bind
    "radam": dict(beta1=0.8, beta2=0.9, eps=1e-6),
    "rprop": dict(etaminus=0.3, etaplus=1.5, step_min=2e-3, step_max=0.04),
    "lion": dict(beta1=0.5, beta2=0.9),
}
ETA0 = {"radam": 0.05, "rprop": 0.01, "lion": 0.01}
TORCH = ("radam", "rprop")  # lion has no torch.optim class


# ---- numpy transcriptions: each returns the step, theta -= step ----------------------
def radam_step(g, s, t, lr, h):
    b1, b2 = h["beta1"], h["beta2"]
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    rho_inf = 2 / (1 - b2) - 1
    rho = rho_inf - 2 * t * b2**t / bc2
    if rho > 5:
        r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        return lr * s["m"] / bc1 * r * np.sqrt(bc2) / (np.sqrt(s["v"]) + h["eps"])
    return lr * s["m"] / bc1


def rprop_step(g, s, t, lr, h):
    """torch's box; a rate other than the first scales the steps by lr / lr_1."""
    if "step" not in s:
        s["step"], s["prev"], s["lr1"] = np.full_like(g, lr), np.zeros_like(g), lr
    prod = g * s["prev"]
    f = np.where(prod > 0, h["etaplus"], np.where(prod < 0, h["etaminus"], 1.0))
    s["step"] = np.clip(s["step"] * f, h["step_min"], h["step_max"])
    g = np.where(prod < 0, 0.0, g)
    s["prev"] = g
    return lr / s["lr1"] * np.sign(g) * s["step"]


def lion_step(g, s, t, lr, h):
    m = s.get("m", np.zeros_like(g))
    c = h["beta1"] * m + (1 - h["beta1"]) * g
    s["m"] = h["beta2"] * m + (1 - h["beta2"]) * g
    return lr * np.sign(c)


STEPS = {"radam": radam_step, "rprop": rprop_step, "lion": lion_step}


def reference_run(alias, hyper, grad_fn, theta0, lrs):
    h = {**ALIASES[alias][1], **hyper}
    theta, s = np.array(theta0, dtype=float), {}
    out = [theta.copy()]
    for t, lr in enumerate(lrs, start=1):
        theta = theta - STEPS[alias](grad_fn(theta.copy(), t), s, t, lr, h)
        out.append(theta.copy())
    return np.array(out)


def torch_run(alias, hyper, grad_fn, theta0, lrs):
    torch = pytest.importorskip("torch")
    h = {**ALIASES[alias][1], **hyper}
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    if alias == "radam":
        opt = torch.optim.RAdam([p], lr=lrs[0], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                                foreach=False)
    else:
        opt = torch.optim.Rprop([p], lr=lrs[0], etas=(h["etaminus"], h["etaplus"]),
                                step_sizes=(h["step_min"], h["step_max"]), foreach=False)
    out = [np.array(theta0, dtype=float)]
    for t, lr in enumerate(lrs, start=1):
        opt.param_groups[0]["lr"] = float(lr)
        p.grad = torch.tensor(grad_fn(p.detach().numpy().copy(), t), dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def rates(alias, steps=60):
    """Rprop: constant (torch reads lr once); the others: decreasing, to show the
    direction is learning-rate free."""
    lr = ETA0[alias]
    return [lr] * steps if alias == "rprop" else list(lr / np.sqrt(np.arange(1, steps + 1)))


CASES = [(a, {}) for a in ALIASES] + [(a, kw) for a, kw in VARIANTS.items()]
IDS = [f"{a}-{'variant' if kw else 'default'}" for a, kw in CASES]


# ---- parameters ---------------------------------------------------------------------------
@pytest.mark.parametrize("alias", ALIASES)
def test_alias_names_and_defaults(alias):
    cls, defaults = ALIASES[alias]
    assert OPTIMIZERS[alias]() == cls()
    assert cls().get_params() == defaults
    assert clone(cls(**VARIANTS[alias])) == cls(**VARIANTS[alias])
    assert cls(**VARIANTS[alias]) != cls()


BAD = [
    (RAdam, "beta1", 1.0), (RAdam, "beta2", -0.1), (RAdam, "eps", -1e-8),
    (Rprop, "etaminus", 1.0), (Rprop, "etaminus", 0.0), (Rprop, "etaplus", 1.0),
    (Rprop, "step_min", -1.0), (Rprop, "step_max", 0.0), (Rprop, "step_min", 100.0),
    (Lion, "beta1", 1.5), (Lion, "beta2", -0.1), (Lion, "beta2", "x"),
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
    assert search.best_params_[f"optimizer__{name}"] in values
    fitted = search.best_estimator_
    assert fitted.optimizer == cls(**{name: search.best_params_[f"optimizer__{name}"]})
    again = pickle.loads(pickle.dumps(fitted))
    assert_allclose(again.predict(X), fitted.predict(X), rtol=0, atol=0)
    assert clone(est).get_params()["optimizer"] == cls()


@pytest.mark.parametrize("alias", ["rprop", "lion"])
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 0.15), ("elasticnet", 0.5)])
def test_sign_based_rules_refuse_an_l1_part(alias, penalty, l1_ratio):
    X, y = data("regressor")
    est = SGDLinearRegressor(optimizer=alias, penalty=penalty, l1_ratio=l1_ratio, alpha=0.01)
    with pytest.raises(ValueError, match="sign-based.*L1"):
        est.fit(X, y)
    assert not hasattr(est, "coef_")
    # no L1 part: accepted (elastic net at l1_ratio 0, or an L1 penalty of strength 0)
    for params in (dict(penalty="elasticnet", l1_ratio=0.0), dict(penalty="l1", alpha=0.0)):
        clone(est).set_params(max_iter=3, tol=None, **params).fit(X, y)


# ---- update rules ---------------------------------------------------------------------------
@pytest.mark.parametrize("alias, hyper", [c for c in CASES if c[0] in TORCH],
                         ids=[i for i, c in zip(IDS, CASES) if c[0] in TORCH])
def test_transcription_equals_torch(alias, hyper):
    grad_fn, theta0 = quadratic((3, 2), seed=5)
    lrs = rates(alias)
    expected = torch_run(alias, hyper, grad_fn, theta0, lrs)
    got = reference_run(alias, hyper, grad_fn, theta0, lrs)
    assert np.abs(expected[-1] - theta0).max() > 1e-2
    assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("alias, hyper", CASES, ids=IDS)
def test_step_equals_transcription(alias, hyper):
    grad_fn, theta0 = quadratic((5,), seed=len(alias))
    lrs = rates(alias)
    if alias == "rprop":  # a schedule scales Rprop's adapted steps by eta_t / eta_1
        lrs = list(ETA0[alias] * (1 + 0.5 * np.cos(np.arange(len(lrs)))))
    opt = ALIASES[alias][0](**hyper)
    theta, state = theta0.copy(), opt.init_state(theta0)
    got = [theta.copy()]
    for t, lr in enumerate(lrs, start=1):
        theta = theta - lr * opt.step(grad_fn(theta.copy(), t), state, t, eta=lr)
        got.append(theta.copy())
    expected = reference_run(alias, hyper, grad_fn, theta0, lrs)
    assert np.abs(expected[-1] - theta0).max() > 1e-2
    assert_allclose(np.array(got), expected, rtol=1e-10, atol=1e-13)


# ---- fits: the estimators' trajectories ---------------------------------------------------


def expected_coef(model, alias, X, y, batch_size, epochs, alpha, run):
    loss, Y, lead = target(model, y)
    batches = batch_slices(X.shape[0], batch_size)
    grad_fn = make_grad_fn(loss, X, Y, None, batches, alpha)
    theta = run(alias, {}, grad_fn, np.zeros(lead + (X.shape[1] + 1,)),
                [ETA0[alias]] * (epochs * len(batches)))[-1]
    coef, intercept = theta[..., :-1], theta[..., -1]
    return (coef[None], np.array([intercept])) if model == "binary" else (coef, intercept)


def estimator(model, alias, **params):
    base = dict(optimizer=alias, learning_rate="constant", eta0=ETA0[alias], shuffle=False,
                tol=None, preconditioning=None, random_state=0, **params)
    if model == "regressor":
        return SGDLinearRegressor(**base)
    return SGDLogisticClassifier(**base)


@pytest.mark.parametrize("penalty", [None, "l2"])
@pytest.mark.parametrize("batch_size", [None, 1, 7], ids=["full", "b1", "b7"])
@pytest.mark.parametrize("model", ["regressor", "binary", "multinomial"])
@pytest.mark.parametrize("alias", ALIASES)
def test_fit_equals_transcription_and_torch(alias, model, batch_size, penalty):
    X, y = data(model)
    alpha, epochs = (0.05 if penalty else 0.0), (12 if batch_size is None else 3)
    est = estimator(model, alias, penalty=penalty, alpha=alpha or 1e-4,
                    batch_size=batch_size, max_iter=epochs).fit(X, y)
    runs = [reference_run] + ([torch_run] if alias in TORCH else [])
    for run in runs:
        coef, intercept = expected_coef(model, alias, X, y, batch_size, epochs, alpha, run)
        assert np.abs(coef).max() > 1e-3
        assert_allclose(est.coef_, coef, rtol=1e-10, atol=1e-12)
        assert_allclose(est.intercept_, intercept, rtol=1e-10, atol=1e-12)
    if batch_size == 7:  # CSR rows run through the same kernel
        sparse = clone(est).fit(sp.csr_matrix(X), y)
        assert_allclose(sparse.coef_, est.coef_, rtol=1e-10, atol=1e-12)


# ---- run to convergence: the exact solvers ----------------------------------------------------


@pytest.mark.parametrize("model", ["regressor", "binary", "multinomial"])
@pytest.mark.parametrize("alias", ALIASES)
def test_converges_to_the_exact_solver(alias, model):
    X, y = data(model, seed=1, n=60)
    alpha, n = 0.01, X.shape[0]
    # Lion's steps have a fixed length: each rate of the adaptive schedule needs the
    # patience to travel before the next reduction
    patience = dict(eta0=0.01, n_iter_no_change=300) if alias == "lion" else {}
    ours = converged(model, alias, penalty="l2", alpha=alpha, **patience).fit(X, y)
    if model == "regressor":
        exact = Ridge(alpha=alpha * n).fit(X, y)
    else:
        exact = LogisticRegression(C=1 / (alpha * n), tol=1e-12, max_iter=10000).fit(X, y)
    assert_allclose(ours.coef_, exact.coef_, rtol=1e-4, atol=1e-4 * np.abs(exact.coef_).max())
    got, want = np.atleast_1d(ours.intercept_), np.atleast_1d(exact.intercept_)
    if model == "multinomial":  # unpenalised softmax intercepts: defined up to a shift
        got, want = got - got.mean(), want - want.mean()
    assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_radam_lands_on_the_lasso_zero_pattern():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 8))
    y = X[:, :3] @ [2.0, -1.0, 0.5] + 0.1 * rng.normal(size=80)
    ours = converged("regressor", "radam", penalty="l1", alpha=0.1).fit(X, y)
    exact = Lasso(alpha=0.1, tol=1e-12, max_iter=100000).fit(X, y)
    assert 0 < np.count_nonzero(exact.coef_) < X.shape[1]
    np.testing.assert_array_equal(ours.coef_ == 0, exact.coef_ == 0)
    assert_allclose(ours.coef_, exact.coef_, atol=1e-4)
