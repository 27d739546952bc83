"""Optimizer objects against numpy transcriptions of torch.optim's algorithm boxes.

One table (``CASES``) drives every test: the ten API.md aliases plus non-default
variants that exercise every hyperparameter.  The reference itself is checked
against ``torch.optim`` when torch is installed.
"""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone

from _reference import OPTIMIZER_ALIASES, OPTIMIZER_DEFAULTS, reference_run, resolve

optimizers = pytest.importorskip("skopt_gd.optimizers")

RTOL, ATOL = 1e-10, 1e-13
N_STEPS = 40

# (case id, skopt_gd class name, constructor kwargs)
CASES = [(alias, cls, kw) for alias, (cls, kw, _) in OPTIMIZER_ALIASES.items()] + [
    ("sgd-dampening", "SGD", {"momentum": 0.6, "dampening": 0.3}),
    ("sgd-nesterov-0.5", "SGD", {"momentum": 0.5, "nesterov": True}),
    ("adagrad-init-acc", "Adagrad", {"initial_accumulator_value": 0.3, "eps": 1e-6}),
    ("rmsprop-centered", "RMSprop", {"centered": True}),
    ("rmsprop-momentum", "RMSprop", {"momentum": 0.7, "rho": 0.9}),
    ("rmsprop-centered-momentum", "RMSprop", {"centered": True, "momentum": 0.5, "eps": 1e-4}),
    ("adadelta-rho-eps", "Adadelta", {"rho": 0.8, "eps": 1e-4}),
    ("adam-betas", "Adam", {"beta1": 0.7, "beta2": 0.95, "eps": 1e-6}),
    ("amsgrad-beta2", "Adam", {"amsgrad": True, "beta1": 0.5, "beta2": 0.9}),
    ("adamax-betas", "Adamax", {"beta1": 0.8, "beta2": 0.9, "eps": 1e-5}),
    ("nadam-decay", "NAdam", {"momentum_decay": 0.2, "beta1": 0.85}),
    ("nadam-beta2", "NAdam", {"beta2": 0.99, "eps": 1e-6}),
]
CASE_IDS = [c[0] for c in CASES]


def lr0_for(cls):
    """Base rate: torch's default 1.0 for Adadelta (whose steps start at sqrt(eps))."""
    return 1.0 if cls == "Adadelta" else 0.05


def make(cls, kwargs):
    return getattr(optimizers, cls)(**kwargs)


def quadratic_problem(shape, seed=0, lr0=0.05):
    """Noisy gradient of 1/2 theta.A.theta - b.theta: ``g = A theta - b + noise_t``."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    M = rng.normal(size=(size, size))
    A = M @ M.T / size + 0.5 * np.eye(size)
    b = rng.normal(size=size)
    noise = 0.3 * rng.normal(size=(N_STEPS + 1, size))
    theta0 = rng.normal(size=shape)
    # decreasing, non-constant rates: the direction must be learning-rate free
    lrs = lr0 / np.sqrt(np.arange(1, N_STEPS + 1))

    def grad_fn(theta, t):
        return (A @ theta.ravel() - b + noise[t]).reshape(shape)

    return grad_fn, theta0, lrs


def package_run(opt, grad_fn, theta0, lrs):
    """Drive an optimizer object as the estimators' loop does."""
    theta = theta0.copy()
    state = opt.init_state(theta.copy())
    trajectory = [theta.copy()]
    for t, lr in enumerate(lrs, start=1):
        direction = opt.step(grad_fn(theta.copy(), t), state, t)
        assert direction.shape == theta.shape
        theta = theta - lr * direction
        trajectory.append(theta.copy())
    return np.array(trajectory)


# --------------------------------------------------------------------------- #
# Registry and parameter-object behaviour
# --------------------------------------------------------------------------- #


def test_registry_lists_exactly_the_api_aliases():
    from test_optimizers_issue12 import ALIASES as ISSUE12  # tested there
    from test_optimizers_lrfree import ALIASES as LRFREE  # and there

    assert set(optimizers.OPTIMIZERS) == set(OPTIMIZER_ALIASES) | set(ISSUE12) | set(LRFREE)


@pytest.mark.parametrize("alias", sorted(OPTIMIZER_ALIASES))
def test_registry_factory_returns_documented_object(alias):
    cls, kwargs, algorithm = OPTIMIZER_ALIASES[alias]
    obj = optimizers.OPTIMIZERS[alias]()
    assert type(obj) is getattr(optimizers, cls)
    assert obj == make(cls, kwargs)
    # every documented default, by name (API.md table)
    _, expected = resolve(algorithm, kwargs)
    assert obj.get_params() == pytest.approx(expected)
    # factories build fresh objects
    assert optimizers.OPTIMIZERS[alias]() is not obj


@pytest.mark.parametrize("algorithm", sorted(OPTIMIZER_DEFAULTS))
def test_class_defaults_match_torch(algorithm):
    cls = {v[2]: v[0] for v in OPTIMIZER_ALIASES.values()}[algorithm]
    assert getattr(optimizers, cls)().get_params() == pytest.approx(
        OPTIMIZER_DEFAULTS[algorithm]
    )


@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=CASE_IDS)
def test_clone_get_set_params_and_equality(case_id, cls, kwargs):
    opt = make(cls, kwargs)
    params = opt.get_params()
    for key, value in kwargs.items():
        assert params[key] == value
    twin = clone(opt)
    assert twin is not opt
    assert twin == opt
    assert make(cls, kwargs) == opt
    # change one hyperparameter: no longer equal
    key = "eps" if "eps" in params else "dampening"
    twin.set_params(**{key: params[key] * 2 + 0.125})
    assert twin.get_params()[key] == params[key] * 2 + 0.125
    assert twin != opt
    assert opt.get_params() == params


def test_different_classes_are_not_equal():
    assert optimizers.Adam() != optimizers.Adamax()
    assert optimizers.Adam() != optimizers.NAdam()
    assert optimizers.SGD() != optimizers.Adagrad()
    assert optimizers.SGD(momentum=0.9) != optimizers.SGD()


# --------------------------------------------------------------------------- #
# Update rules against the reference
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("shape", [(5,), (3, 4)], ids=["vector", "matrix"])
@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=CASE_IDS)
def test_step_matches_reference(case_id, cls, kwargs, shape):
    grad_fn, theta0, lrs = quadratic_problem(shape, seed=len(case_id), lr0=lr0_for(cls))
    expected = reference_run(cls, kwargs, grad_fn, theta0, lrs)
    assert np.all(np.isfinite(expected))
    assert np.abs(expected[-1] - theta0).max() > 1e-3  # it actually moved
    got = package_run(make(cls, kwargs), grad_fn, theta0, lrs)
    assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=CASE_IDS)
def test_first_step_by_hand(case_id, cls, kwargs):
    """Step 1 from zero state, written out per algorithm (no reference_run)."""
    algorithm, h = resolve(cls, kwargs)
    g = np.array([0.5, -2.0, 1e-3, 3.0])
    opt = make(cls, kwargs)
    direction = opt.step(g.copy(), opt.init_state(np.zeros_like(g)), 1)
    if algorithm == "sgd":
        expected = g * (1 + h["momentum"]) if h["nesterov"] else g
    elif algorithm == "adagrad":
        expected = g / (np.sqrt(h["initial_accumulator_value"] + g**2) + h["eps"])
    elif algorithm == "rmsprop":
        v = (1 - h["rho"]) * g**2
        if h["centered"]:
            v = v - ((1 - h["rho"]) * g) ** 2
        expected = g / (np.sqrt(v) + h["eps"])
    elif algorithm == "adadelta":
        v = (1 - h["rho"]) * g**2
        expected = np.sqrt(h["eps"]) / np.sqrt(v + h["eps"]) * g
    elif algorithm == "adam":
        expected = g / (np.abs(g) + h["eps"])
    elif algorithm == "adamax":
        expected = g / (np.abs(g) + h["eps"])
    else:  # nadam: m_hat = (mu_2 / (1 - mu_1 mu_2)) (1 - b1) g + (1 - mu_1) / (1 - mu_1) g
        b1, psi = h["beta1"], h["momentum_decay"]
        mu1 = b1 * (1 - 0.5 * 0.96**psi)
        mu2 = b1 * (1 - 0.5 * 0.96 ** (2 * psi))
        m_hat = (mu2 / (1 - mu1 * mu2) * (1 - b1) + 1.0) * g
        expected = m_hat / (np.abs(g) + h["eps"])
    assert_allclose(direction, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=CASE_IDS)
def test_state_is_owned_by_the_caller(case_id, cls, kwargs):
    """Two interleaved states on one object give two independent trajectories,
    and the object itself is unchanged by stepping."""
    opt = make(cls, kwargs)
    before = copy.deepcopy(vars(opt))
    grad_a, theta_a, lrs = quadratic_problem((4,), seed=1)
    grad_b, theta_b, _ = quadratic_problem((4,), seed=2)
    expected_a = reference_run(cls, kwargs, grad_a, theta_a, lrs)[-1]
    expected_b = reference_run(cls, kwargs, grad_b, theta_b, lrs)[-1]
    theta0_a = theta_a.copy()
    state_a, state_b = opt.init_state(theta_a.copy()), opt.init_state(theta_b.copy())
    assert_allclose(theta_a, theta0_a, rtol=0, atol=0)  # init_state leaves params alone
    for t, lr in enumerate(lrs, start=1):
        theta_a = theta_a - lr * opt.step(grad_a(theta_a.copy(), t), state_a, t)
        theta_b = theta_b - lr * opt.step(grad_b(theta_b.copy(), t), state_b, t)
    assert_allclose(theta_a, expected_a, rtol=RTOL, atol=ATOL)
    assert_allclose(theta_b, expected_b, rtol=RTOL, atol=ATOL)
    assert vars(opt).keys() == before.keys()
    for key, value in before.items():
        assert vars(opt)[key] == value


@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=CASE_IDS)
def test_cloned_state_continues_identically(case_id, cls, kwargs):
    """The state dict is all there is: a deep copy of it resumes the same trajectory."""
    opt = make(cls, kwargs)
    grad_fn, theta0, lrs = quadratic_problem((4,), seed=3)
    expected = reference_run(cls, kwargs, grad_fn, theta0, lrs)
    theta, state = theta0.copy(), opt.init_state(theta0.copy())
    half = len(lrs) // 2
    for t in range(1, half + 1):
        theta = theta - lrs[t - 1] * opt.step(grad_fn(theta.copy(), t), state, t)
    resumed = copy.deepcopy(state)
    fresh_opt = clone(opt)
    for t in range(half + 1, len(lrs) + 1):
        theta = theta - lrs[t - 1] * fresh_opt.step(grad_fn(theta.copy(), t), resumed, t)
    assert_allclose(theta, expected[-1], rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- #
# The reference against torch.optim itself
# --------------------------------------------------------------------------- #


def torch_run(cls, kwargs, grad_fn, theta0, lrs):
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    # float64 default: torch keeps scalar state (step, NAdam's mu_product) in it
    torch.set_default_dtype(torch.float64)
    try:
        return _torch_run(torch, cls, kwargs, grad_fn, theta0, lrs)
    finally:
        torch.set_default_dtype(previous)


def _torch_run(torch, cls, kwargs, grad_fn, theta0, lrs):
    algorithm, h = resolve(cls, kwargs)
    param = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    lr = float(lrs[0])
    betas = (h.get("beta1"), h.get("beta2"))
    opt = {
        "sgd": lambda: torch.optim.SGD(
            [param], lr=lr, momentum=h["momentum"], dampening=h["dampening"],
            nesterov=h["nesterov"], foreach=False,
        ),
        "adagrad": lambda: torch.optim.Adagrad(
            [param], lr=lr, eps=h["eps"],
            initial_accumulator_value=h["initial_accumulator_value"], foreach=False,
        ),
        "rmsprop": lambda: torch.optim.RMSprop(
            [param], lr=lr, alpha=h["rho"], eps=h["eps"], momentum=h["momentum"],
            centered=h["centered"], foreach=False,
        ),
        "adadelta": lambda: torch.optim.Adadelta(
            [param], lr=lr, rho=h["rho"], eps=h["eps"], foreach=False
        ),
        "adam": lambda: torch.optim.Adam(
            [param], lr=lr, betas=betas, eps=h["eps"], amsgrad=h["amsgrad"], foreach=False
        ),
        "adamax": lambda: torch.optim.Adamax(
            [param], lr=lr, betas=betas, eps=h["eps"], foreach=False
        ),
        "nadam": lambda: torch.optim.NAdam(
            [param], lr=lr, betas=betas, eps=h["eps"],
            momentum_decay=h["momentum_decay"], foreach=False,
        ),
    }[algorithm]()
    trajectory = [theta0.copy()]
    for t, lr_t in enumerate(lrs, start=1):
        for group in opt.param_groups:
            group["lr"] = float(lr_t)
        theta = param.detach().numpy().copy()
        param.grad = torch.tensor(grad_fn(theta, t), dtype=torch.float64)
        opt.step()
        trajectory.append(param.detach().numpy().copy())
    return np.array(trajectory)


@pytest.mark.parametrize("case_id, cls, kwargs", CASES, ids=CASE_IDS)
def test_reference_equals_torch_optim(case_id, cls, kwargs):
    pytest.importorskip("torch")
    grad_fn, theta0, lrs = quadratic_problem((6,), seed=7, lr0=lr0_for(cls))
    expected = torch_run(cls, kwargs, grad_fn, theta0, lrs)
    got = reference_run(cls, kwargs, grad_fn, theta0, lrs)
    assert np.abs(expected[-1] - theta0).max() > 1e-3
    assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
