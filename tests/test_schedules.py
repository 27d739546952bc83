"""Schedules against their closed forms (API.md), driven by one table."""

import copy
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone

from _reference import SCHEDULE_ALIASES, reference_on_plateau, reference_rate

schedules = pytest.importorskip("skopt_gd.schedules")

T = 30
ETA0S = [0.1, 2.5]

# (case id, alias, explicit constructor kwargs)
RATE_CASES = [
    ("constant", "constant", {}),
    ("invscaling-default", "invscaling", {}),
    ("invscaling-0.5", "invscaling", {"power_t": 0.5}),
    ("invscaling-1", "invscaling", {"power_t": 1.0}),
    ("optimal", "optimal", {"alpha": 0.01, "t0": 50.0}),
    ("optimal-2", "optimal", {"alpha": 0.3, "t0": 2.5}),
    ("adaptive", "adaptive", {}),
    ("adaptive-params", "adaptive", {"factor": 0.5, "min_lr": 1e-3}),
    ("exponential", "exponential", {"gamma": 0.9, "decay_steps": 1}),
    ("exponential-slow", "exponential", {"gamma": 0.5, "decay_steps": 7}),
    ("step", "step", {"gamma": 0.5, "step_size": 4}),
    ("step-1", "step", {"gamma": 0.8, "step_size": 1}),
    ("cosine", "cosine", {"T_max": 10}),
    ("cosine-eta-min", "cosine", {"T_max": 7, "eta_min": 0.01}),
    ("cosine-long", "cosine", {"T_max": 100, "eta_min": 1e-3}),
]
RATE_IDS = [c[0] for c in RATE_CASES]


def make(alias, kwargs):
    cls, _ = SCHEDULE_ALIASES[alias]
    return getattr(schedules, cls)(**kwargs)


def full_params(alias, kwargs):
    return {**SCHEDULE_ALIASES[alias][1], **kwargs}


# --------------------------------------------------------------------------- #
# Registry and parameter-object behaviour
# --------------------------------------------------------------------------- #


def test_registry_lists_exactly_the_api_aliases():
    assert set(schedules.SCHEDULES) == set(SCHEDULE_ALIASES)


@pytest.mark.parametrize("alias", sorted(SCHEDULE_ALIASES))
def test_registry_factory_returns_documented_defaults(alias):
    cls, defaults = SCHEDULE_ALIASES[alias]
    obj = schedules.SCHEDULES[alias]()
    assert type(obj) is getattr(schedules, cls)
    assert obj == getattr(schedules, cls)()
    assert obj.get_params() == defaults
    assert schedules.SCHEDULES[alias]() is not obj


@pytest.mark.parametrize("case_id, alias, kwargs", RATE_CASES, ids=RATE_IDS)
def test_clone_get_set_params_and_equality(case_id, alias, kwargs):
    obj = make(alias, kwargs)
    params = obj.get_params()
    assert params == full_params(alias, kwargs)
    twin = clone(obj)
    assert twin is not obj and twin == obj
    if params:
        key = sorted(params)[0]
        twin.set_params(**{key: 0.375})
        assert twin.get_params()[key] == 0.375
        assert twin != obj
        assert obj.get_params() == params


def test_different_schedules_are_not_equal():
    assert schedules.Exponential(gamma=0.5) != schedules.Step(gamma=0.5)
    assert schedules.Constant() != schedules.Adaptive()
    assert schedules.Cosine(T_max=3) != schedules.Cosine(T_max=4)


# --------------------------------------------------------------------------- #
# Rates
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("eta0", ETA0S)
@pytest.mark.parametrize("case_id, alias, kwargs", RATE_CASES, ids=RATE_IDS)
def test_rate_matches_closed_form(case_id, alias, kwargs, eta0):
    obj = make(alias, kwargs)
    params = full_params(alias, kwargs)
    for t in range(1, T + 1):
        rate = obj.rate(t, eta0)
        assert np.ndim(rate) == 0
        assert_allclose(rate, reference_rate(alias, params, t, eta0), rtol=1e-13, atol=0)


@pytest.mark.parametrize("case_id, alias, kwargs", RATE_CASES, ids=RATE_IDS)
def test_rate_is_a_pure_function_of_t(case_id, alias, kwargs):
    obj = make(alias, kwargs)
    before = copy.deepcopy(vars(obj))
    forward = [obj.rate(t, 0.7) for t in range(1, T + 1)]
    backward = [obj.rate(t, 0.7) for t in range(T, 0, -1)][::-1]
    assert forward == backward
    assert vars(obj) == before


@pytest.mark.parametrize(
    "schedule, t, eta0, expected",
    [
        (schedules.Constant(), 17, 0.3, 0.3),
        (schedules.InvScaling(power_t=0.5), 4, 3.0, 1.5),
        (schedules.InvScaling(), 16, 1.0, 0.5),
        (schedules.Optimal(alpha=0.5, t0=2.0), 2, 123.0, 0.5),
        (schedules.Exponential(gamma=0.81, decay_steps=2), 1, 2.0, 2.0),
        (schedules.Exponential(gamma=0.81, decay_steps=2), 2, 2.0, 1.8),
        (schedules.Exponential(gamma=0.81, decay_steps=2), 3, 2.0, 1.62),
        (schedules.Step(gamma=0.5, step_size=3), 3, 1.0, 1.0),
        (schedules.Step(gamma=0.5, step_size=3), 4, 1.0, 0.5),
        (schedules.Step(gamma=0.5, step_size=3), 7, 1.0, 0.25),
        (schedules.Cosine(T_max=4, eta_min=0.1), 1, 1.1, 1.1),
        (schedules.Cosine(T_max=4, eta_min=0.1), 3, 1.1, 0.6),
        (schedules.Cosine(T_max=4, eta_min=0.1), 5, 1.1, 0.1),
        (schedules.Cosine(T_max=4, eta_min=0.1), 50, 1.1, 0.1),
        (schedules.Adaptive(), 9, 0.25, 0.25),
    ],
    ids=lambda v: repr(v) if not isinstance(v, (int, float)) else None,
)
def test_rate_worked_examples(schedule, t, eta0, expected):
    """Hand-computed values anchoring both the package and the reference."""
    assert schedule.rate(t, eta0) == pytest.approx(expected, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize(
    "kwargs", [{"alpha": 0.01, "t0": 50.0}, {"alpha": 1e-4, "t0": 1e3}]
)
def test_optimal_ignores_eta0(kwargs):
    obj = schedules.Optimal(**kwargs)
    for t in (1, 5, 40):
        assert obj.rate(t, 0.001) == obj.rate(t, 1000.0)


def test_cosine_is_flat_after_t_max():
    obj = schedules.Cosine(T_max=5, eta_min=0.02)
    tail = [obj.rate(t, 1.0) for t in range(6, 30)]
    assert tail == pytest.approx([0.02] * len(tail), rel=1e-14)
    assert all(obj.rate(t, 1.0) > obj.rate(t + 1, 1.0) for t in range(1, 6))


# --------------------------------------------------------------------------- #
# Plateau hook
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "factor, min_lr, eta",
    [
        (0.2, 1e-6, 1.0),
        (0.2, 1e-6, 0.1),
        (0.2, 1e-6, 4e-6),  # 8e-7 < 1e-6: stop
        (0.5, 0.25, 0.5),  # exactly min_lr: not below, keep going
        (0.5, 0.25, 0.4999),  # just below: stop
        (0.9, 1e-3, 0.01),
    ],
)
def test_adaptive_on_plateau(factor, min_lr, eta):
    obj = schedules.Adaptive(factor=factor, min_lr=min_lr)
    expected = reference_on_plateau(factor, min_lr, eta)
    got = obj.on_plateau(eta)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-15)


def test_adaptive_default_divides_by_five_until_below_1e_6():
    obj = schedules.Adaptive()
    eta, seen = 0.1, []
    while eta is not None:
        seen.append(eta)
        eta = obj.on_plateau(eta)
        assert len(seen) < 100
    # 0.1 / 5**k >= 1e-6  <=>  k <= log(1e5) / log(5) = 7.15
    expected = [0.1 * 0.2**k for k in range(8)]
    assert seen == pytest.approx(expected, rel=1e-12)
    # the rate itself never changes: the estimator owns the current eta
    assert obj.rate(1000, 0.1) == 0.1


@pytest.mark.parametrize(
    "case_id, alias, kwargs",
    [c for c in RATE_CASES if c[1] != "adaptive"],
    ids=[c[0] for c in RATE_CASES if c[1] != "adaptive"],
)
def test_other_schedules_do_not_react_to_plateaus(case_id, alias, kwargs):
    obj = make(alias, kwargs)
    for eta in (1.0, 0.01, 1e-8):
        assert obj.on_plateau(eta) is None


# --------------------------------------------------------------------------- #
# The closed forms against torch.optim.lr_scheduler (epoch e = t - 1)
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "alias, kwargs",
    [
        ("exponential", {"gamma": 0.9, "decay_steps": 1}),
        ("step", {"gamma": 0.3, "step_size": 4}),
        ("cosine", {"T_max": 12, "eta_min": 0.05}),
    ],
)
def test_reference_closed_forms_equal_torch_schedulers(alias, kwargs):
    torch = pytest.importorskip("torch")
    eta0 = 0.8
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=eta0)
    sched = {
        "exponential": lambda: torch.optim.lr_scheduler.ExponentialLR(opt, kwargs["gamma"]),
        "step": lambda: torch.optim.lr_scheduler.StepLR(
            opt, step_size=kwargs["step_size"], gamma=kwargs["gamma"]
        ),
        "cosine": lambda: torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=kwargs["T_max"], eta_min=kwargs["eta_min"]
        ),
    }[alias]()
    # torch's cosine is periodic past T_max; the contract clamps, so compare up to T_max
    n = kwargs["T_max"] + 1 if alias == "cosine" else T
    params = full_params(alias, kwargs)
    for t in range(1, n + 1):
        torch_lr = sched.get_last_lr()[0]
        assert math.isclose(reference_rate(alias, params, t, eta0), torch_lr, rel_tol=1e-10)
        opt.step()
        sched.step()


def test_optimal_on_sparse_input_takes_scikit_learns_steps():
    """Bottou's rate assumes unscaled rows; the sparse preconditioner scales every column
    by one factor c, so the rate is divided by c^2 (Optimal.bind): each update of the
    coefficients is the one ``preconditioning=None`` takes. On text-like rows, where
    rare words are scaled up, the undivided rate diverged in the first epoch (the
    reference: scikit-learn's SGDClassifier on the same data, same schedule)."""
    import scipy.sparse as sp
    from sklearn.linear_model import SGDClassifier

    from skopt_gd import SGDLogisticClassifier

    rng = np.random.default_rng(0)
    n, d = 600, 300
    counts = sp.random(n, d, density=0.03, random_state=1, format="csr")
    counts.data = np.log1p(rng.integers(1, 5, counts.nnz)) * rng.uniform(0.5, 3, counts.nnz)
    rows = np.sqrt(counts.multiply(counts).sum(axis=1)).A1
    X = sp.csr_matrix(sp.diags(1.0 / np.maximum(rows, 1e-12)) @ counts)
    w = np.where(rng.random(d) < 0.2, rng.normal(0.0, 30.0, d), 0.0)
    y = (X @ w + rng.logistic(size=n) > 0).astype(int)
    common = dict(batch_size=1, learning_rate="optimal", alpha=1e-4, max_iter=5, tol=None,
                  shuffle=False, fit_intercept=False)
    auto = SGDLogisticClassifier(**common).fit(X, y)
    none = SGDLogisticClassifier(preconditioning=None, **common).fit(X, y)
    np.testing.assert_allclose(auto.coef_, none.coef_, rtol=1e-9, atol=1e-12)
    ref = SGDClassifier(loss="log_loss", learning_rate="optimal", alpha=1e-4, max_iter=5,
                        tol=None, shuffle=False, fit_intercept=False).fit(X, y)
    assert abs(auto.score(X, y) - ref.score(X, y)) < 0.05
