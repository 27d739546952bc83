"""The schedules of issue 12 (torch ``LinearLR``, ``OneCycleLR``,
``CosineAnnealingWarmRestarts``, ``PolynomialLR``, ``MultiStepLR``, ``CyclicLR``,
``SequentialLR``; ``Adaptive``'s ``ReduceLROnPlateau`` parameters), driven by one table.

Rates are checked against numpy transcriptions of torch's documented formulas
written here (always) and against ``torch.optim.lr_scheduler`` itself (when torch is
installed): our update ``t`` takes the rate torch's scheduler has after ``t - 1``
steps (torch steps after each optimizer step). Fits are checked against SGD applied
by hand with those rates.
"""

import inspect
import math
import pickle
from bisect import bisect_right

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skopt_gd import SGDLinearRegressor, _kernels
from skopt_gd.schedules import (
    SCHEDULES, Adaptive, Cosine, CosineWarmRestarts, Cyclic, LinearWarmup, MultiStep,
    OneCycle, Polynomial, Schedule, Sequential,
)

ETA0S = [0.1, 0.8]
RTOL = 1e-12  # float64 round-off: torch's chained products vs our closed forms


# --------------------------------------------------------------------------- #
# numpy transcriptions of torch's documented formulas (e = torch's last_epoch)
# --------------------------------------------------------------------------- #

def ref_linear(p, e, eta0):
    T = p["total_iters"]
    return eta0 * (p["start_factor"] + (p["end_factor"] - p["start_factor"]) * min(T, e) / T)


def ref_polynomial(p, e, eta0):
    T = p["total_iters"]
    return eta0 * (1.0 - min(T, e) / T) ** p["power"]


def ref_multistep(p, e, eta0):
    drops = np.searchsorted(np.asarray(p["milestones"]), e, side="right")
    return eta0 * p["gamma"] ** int(drops)


def ref_cosine(p, e, eta0):  # the contract clamps at T_max (torch is periodic past it)
    T, low = p["T_max"], p["eta_min"]
    return low + (eta0 - low) * (1 + math.cos(math.pi * min(e, T) / T)) / 2


def ref_restarts(p, e, eta0):
    """``CosineAnnealingWarmRestarts.step()`` run ``e`` times: T_cur += 1, restart at T_i."""
    cur, period = 0, p["T_0"]
    for _ in range(e):
        cur += 1
        if cur >= period:
            cur -= period
            period *= p["T_mult"]
    low = p["eta_min"]
    return low + (eta0 - low) * (1 + math.cos(math.pi * cur / period)) / 2


def ref_onecycle(p, e, eta0):
    """``OneCycleLR``'s phase table; past ``total_steps`` the final rate (torch raises)."""
    n, pct = p["total_steps"], p["pct_start"]
    e = min(e, n - 1)
    initial = eta0 / p["div_factor"]
    low = initial / p["final_div_factor"]
    if p["three_phase"]:
        phases = [(pct * n - 1, initial, eta0), (2 * pct * n - 2, eta0, initial),
                  (n - 1, initial, low)]
    else:
        phases = [(pct * n - 1, initial, eta0), (n - 1, eta0, low)]
    start = 0.0
    for i, (end, a, b) in enumerate(phases):
        if e <= end or i == len(phases) - 1:
            x = (e - start) / (end - start)
            if p["anneal_strategy"] == "cos":
                return b + (a - b) / 2 * (math.cos(math.pi * x) + 1)
            return (b - a) * x + a
        start = end
    raise AssertionError


def ref_cyclic(p, e, eta0):
    """Smith's CLR as ``CyclicLR`` documents it (base_lr = eta0)."""
    up = p["step_size_up"]
    down = up if p["step_size_down"] is None else p["step_size_down"]
    cycle = math.floor(1 + e / (up + down))
    x = 1 + e / (up + down) - cycle
    ratio = up / (up + down)
    scale = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    g = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1),
         "exp_range": p["gamma"] ** e}[p["mode"]]
    return eta0 + (p["max_lr"] - eta0) * scale * g


def ref_sequential(p, e, eta0):
    k = bisect_right(p["milestones"], e)
    start = p["milestones"][k - 1] if k else 0
    return reference(p["schedules"][k], e - start, eta0)


REFERENCES = {
    LinearWarmup: ref_linear, Polynomial: ref_polynomial, MultiStep: ref_multistep,
    Cosine: ref_cosine, CosineWarmRestarts: ref_restarts, OneCycle: ref_onecycle,
    Cyclic: ref_cyclic, Sequential: ref_sequential,
}


def reference(schedule, e, eta0):
    """Rate at torch step ``e`` for ``schedule``'s (explicit) hyperparameters."""
    cls = next(c for c in REFERENCES if isinstance(schedule, c))
    return REFERENCES[cls](schedule.get_params(deep=False), e, eta0)


# --------------------------------------------------------------------------- #
# The torch schedulers of the same hyperparameters
# --------------------------------------------------------------------------- #

def _torch_pieces(opt, p, eta0):
    return [torch_scheduler(opt, piece, eta0) for piece in p["schedules"]]


TORCH = {
    LinearWarmup: lambda L, opt, p, eta0: L.LinearLR(opt, **p),
    Polynomial: lambda L, opt, p, eta0: L.PolynomialLR(opt, **p),
    MultiStep: lambda L, opt, p, eta0: L.MultiStepLR(opt, **p),
    Cosine: lambda L, opt, p, eta0: L.CosineAnnealingLR(opt, **p),
    CosineWarmRestarts: lambda L, opt, p, eta0: L.CosineAnnealingWarmRestarts(opt, **p),
    OneCycle: lambda L, opt, p, eta0: L.OneCycleLR(
        opt, max_lr=eta0, cycle_momentum=False, **{**p, "pct_start": float(p["pct_start"])}),
    Cyclic: lambda L, opt, p, eta0: L.CyclicLR(opt, base_lr=eta0, cycle_momentum=False, **p),
    Sequential: lambda L, opt, p, eta0: L.SequentialLR(
        opt, _torch_pieces(opt, p, eta0), milestones=p["milestones"]),
}


def torch_scheduler(opt, schedule, eta0):
    import torch
    cls = next(c for c in TORCH if isinstance(schedule, c))
    return TORCH[cls](torch.optim.lr_scheduler, opt, schedule.get_params(deep=False), eta0)


def torch_rates(schedule, eta0, n):
    """torch's rate of each of ``n`` optimizer steps (the scheduler stepped after each)."""
    torch = pytest.importorskip("torch")
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([param], lr=eta0)
    sched = torch_scheduler(opt, schedule, eta0)
    out = []
    for _ in range(n):
        out.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return np.array(out)


# --------------------------------------------------------------------------- #
# The table: (id, schedule with explicit lengths, updates to compare)
# --------------------------------------------------------------------------- #

CASES = [
    ("linear", lambda: LinearWarmup(total_iters=5), 40),
    ("linear-factors", lambda: LinearWarmup(start_factor=0.1, end_factor=0.7, total_iters=12), 40),
    ("linear-to-zero", lambda: LinearWarmup(start_factor=1.0, end_factor=0.0, total_iters=7), 20),
    ("onecycle", lambda: OneCycle(total_steps=40), 40),
    ("onecycle-linear", lambda: OneCycle(total_steps=37, pct_start=0.25,
                                         anneal_strategy="linear"), 37),
    ("onecycle-three-phase", lambda: OneCycle(total_steps=50, three_phase=True), 50),
    ("onecycle-three-phase-linear", lambda: OneCycle(
        total_steps=33, pct_start=0.4, anneal_strategy="linear", div_factor=10.0,
        final_div_factor=100.0, three_phase=True), 33),
    ("restarts", lambda: CosineWarmRestarts(T_0=5), 40),
    ("restarts-T_mult-2", lambda: CosineWarmRestarts(T_0=3, T_mult=2, eta_min=0.01), 60),
    ("restarts-T_mult-3", lambda: CosineWarmRestarts(T_0=2, T_mult=3), 60),
    ("polynomial", lambda: Polynomial(total_iters=10), 30),
    ("polynomial-2.5", lambda: Polynomial(total_iters=7, power=2.5), 20),
    ("polynomial-0.5", lambda: Polynomial(total_iters=25, power=0.5), 40),
    ("multistep", lambda: MultiStep(milestones=[3, 7, 12]), 30),
    ("multistep-consecutive", lambda: MultiStep(milestones=[1, 2], gamma=0.5), 10),
    ("multistep-11", lambda: MultiStep(milestones=list(range(2, 46, 4)), gamma=0.8), 50),
    ("multistep-15-python-path", lambda: MultiStep(milestones=list(range(2, 47, 3)),
                                                   gamma=0.9), 50),
    ("cyclic", lambda: Cyclic(max_lr=1.0, step_size_up=4), 40),
    ("cyclic-triangular2", lambda: Cyclic(max_lr=0.9, step_size_up=3, step_size_down=5,
                                          mode="triangular2"), 50),
    ("cyclic-exp-range", lambda: Cyclic(max_lr=2.0, step_size_up=2, step_size_down=4,
                                        mode="exp_range", gamma=0.97), 50),
    ("cyclic-below-base", lambda: Cyclic(max_lr=0.05, step_size_up=3), 20),
    ("sequential-warmup-cosine", lambda: Sequential(
        [LinearWarmup(start_factor=0.1, total_iters=5), Cosine(T_max=20, eta_min=0.01)],
        milestones=[5]), 26),
    ("sequential-three", lambda: Sequential(
        [LinearWarmup(total_iters=4), Cosine(T_max=10), MultiStep(milestones=[3, 6], gamma=0.5)],
        milestones=[4, 14]), 30),
    ("sequential-restarts", lambda: Sequential(
        [LinearWarmup(start_factor=0.5, total_iters=3), CosineWarmRestarts(T_0=4, T_mult=2)],
        milestones=[3]), 40),
    ("sequential-polynomial-cyclic", lambda: Sequential(
        [Polynomial(total_iters=6, power=2.0), Cyclic(max_lr=1.5, step_size_up=3)],
        milestones=[8]), 30),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("eta0", ETA0S)
@pytest.mark.parametrize("case_id, make, n", CASES, ids=IDS)
def test_rates_equal_the_numpy_transcriptions(case_id, make, n, eta0):
    schedule = make()
    expected = np.array([reference(schedule, t - 1, eta0) for t in range(1, n + 1)])
    python = np.array([schedule.rate(t, eta0) for t in range(1, n + 1)])
    assert_allclose(python, expected, rtol=RTOL, atol=0)
    assert_allclose(schedule.rates(1, n, eta0), expected, rtol=RTOL, atol=0)  # the engine's
    assert_allclose(schedule.rates(5, n - 4, eta0), expected[4:], rtol=RTOL, atol=0)
    assert len(set(np.round(expected, 12))) > 2  # the case exercises the schedule


@pytest.mark.parametrize("eta0", ETA0S)
@pytest.mark.parametrize("case_id, make, n", CASES, ids=IDS)
def test_rates_equal_torch_lr_scheduler(case_id, make, n, eta0):
    schedule = make()
    ours = np.array([schedule.rate(t, eta0) for t in range(1, n + 1)])
    theirs = torch_rates(schedule, eta0, n)
    assert_allclose(ours, theirs, rtol=RTOL, atol=0)
    assert_allclose(schedule.rates(1, n, eta0), theirs, rtol=RTOL, atol=0)


def test_numpy_transcriptions_equal_torch_on_the_documented_examples():
    """The references themselves against torch, where both are read off torch's docs."""
    assert_allclose([ref_linear({"start_factor": 0.5, "end_factor": 1.0, "total_iters": 4},
                                e, 0.05) for e in range(6)],
                    [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05], rtol=1e-15)
    assert_allclose([ref_polynomial({"total_iters": 4, "power": 1.0}, e, 0.001)
                     for e in range(6)], [0.001, 0.00075, 0.0005, 0.00025, 0.0, 0.0],
                    rtol=1e-15)
    assert_allclose([ref_multistep({"milestones": [30, 80], "gamma": 0.1}, e, 0.05)
                     for e in (0, 29, 30, 79, 80)], [0.05, 0.05, 0.005, 0.005, 0.0005],
                    rtol=1e-13)


@pytest.mark.parametrize("case_id, make, n", CASES, ids=IDS)
def test_rate_is_a_pure_function_of_t(case_id, make, n):
    schedule = make()
    before = pickle.dumps(schedule)
    forward = [schedule.rate(t, 0.3) for t in range(1, n + 1)]
    backward = [schedule.rate(t, 0.3) for t in range(n, 0, -1)][::-1]
    assert forward == backward
    assert pickle.dumps(schedule) == before
    assert schedule.on_plateau(0.3) is None  # only Adaptive reacts to plateaus


# --------------------------------------------------------------------------- #
# Names, defaults, parameter objects
# --------------------------------------------------------------------------- #

API_DEFAULTS = {
    "linear": (LinearWarmup, {"start_factor": 1 / 3, "end_factor": 1.0, "total_iters": None}),
    "onecycle": (OneCycle, {"total_steps": None, "pct_start": 0.3, "anneal_strategy": "cos",
                            "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False}),
    "cosine_restarts": (CosineWarmRestarts, {"T_0": None, "T_mult": 1, "eta_min": 0.0}),
    "polynomial": (Polynomial, {"total_iters": None, "power": 1.0}),
    "multistep": (MultiStep, {"milestones": None, "gamma": 0.1}),
    "cyclic": (Cyclic, {"max_lr": None, "step_size_up": None, "step_size_down": None,
                        "mode": "triangular", "gamma": 1.0}),
    "adaptive": (Adaptive, {"factor": 0.2, "patience": None, "min_lr": 1e-6}),
}


@pytest.mark.parametrize("alias", sorted(API_DEFAULTS))
def test_aliases_and_defaults_are_the_contract(alias):
    cls, defaults = API_DEFAULTS[alias]
    assert SCHEDULES[alias] is cls
    assert cls().get_params() == defaults
    assert isinstance(cls(), Schedule)


def test_sequential_takes_schedules_and_milestones():
    assert list(inspect.signature(Sequential).parameters) == ["schedules", "milestones"]
    pieces = [LinearWarmup(total_iters=2), Cosine(T_max=5)]
    seq = Sequential(pieces, [2])
    assert seq.get_params(deep=False) == {"schedules": pieces, "milestones": [2]}
    assert seq.schedules is pieces  # stored unchanged


@pytest.mark.parametrize("case_id, make, n", CASES, ids=IDS)
def test_clone_compare_pickle(case_id, make, n):
    schedule = make()
    twin = clone(schedule)
    assert twin is not schedule and twin == schedule and hash(twin) == hash(schedule)
    assert make() == schedule
    back = pickle.loads(pickle.dumps(schedule))
    assert back == schedule
    assert_allclose(back.rates(1, n, 0.5), schedule.rates(1, n, 0.5), rtol=0, atol=0)
    params = schedule.get_params(deep=False)
    name = "milestones" if "milestones" in params else sorted(params)[-1]
    changed = clone(schedule).set_params(**{name: [97] if name == "milestones" else 97})
    assert changed != schedule
    if isinstance(schedule, Sequential):
        assert twin.schedules[0] is not schedule.schedules[0]


def test_sequentials_differ_by_their_pieces():
    a = Sequential([LinearWarmup(total_iters=3), Cosine(T_max=9)], [3])
    assert a != Sequential([LinearWarmup(total_iters=3), Cosine(T_max=8)], [3])
    assert a != Sequential([LinearWarmup(total_iters=3), Cosine(T_max=9)], [4])
    assert a == Sequential([LinearWarmup(total_iters=3), Cosine(T_max=9)], [3])


def test_which_schedules_run_compiled():
    for cls in (LinearWarmup, OneCycle, CosineWarmRestarts, Polynomial, MultiStep, Cyclic,
                Adaptive):
        assert cls.compiled(), cls
    assert not Sequential.compiled()  # holds other schedules: the Python path


# --------------------------------------------------------------------------- #
# None lengths bound at fit
# --------------------------------------------------------------------------- #

CONTEXT = {"alpha": 1e-4, "t0": 1.0, "updates_per_epoch": 7, "max_iter": 3, "eta0": 0.05}

BIND_CASES = [
    (LinearWarmup(), {"total_iters": 35}),  # five epochs
    (OneCycle(), {"total_steps": 21}),  # the run
    (CosineWarmRestarts(), {"T_0": 70}),  # ten epochs
    (Polynomial(), {"total_iters": 21}),
    (MultiStep(), {"milestones": [10, 15]}),  # half and three quarters of the run
    (Cyclic(), {"max_lr": 0.5, "step_size_up": 28, "step_size_down": 28}),
    (Cyclic(step_size_up=5), {"max_lr": 0.5, "step_size_up": 5, "step_size_down": 5}),
    (Adaptive(), {"patience": None}),  # the estimator's n_iter_no_change, read by the loop
]


@pytest.mark.parametrize("schedule, bound", BIND_CASES, ids=lambda v: repr(v)[:40])
def test_bind_fills_none_lengths(schedule, bound):
    before = schedule.get_params()
    got = schedule.bind(CONTEXT)
    assert type(got) is type(schedule)
    for name, value in bound.items():
        assert getattr(got, name) == value
    assert schedule.get_params() == before


def test_bind_gives_each_sequential_piece_its_span():
    seq = Sequential([LinearWarmup(total_iters=4), Cosine(), Polynomial()], [4, 12])
    got = seq.bind(CONTEXT)  # a run of 21 updates
    assert [p.get_params() for p in got.schedules] == [
        LinearWarmup(total_iters=4).get_params(), Cosine(T_max=8).get_params(),
        Polynomial(total_iters=9).get_params()]
    late = Sequential([Cosine(), Polynomial()], [30]).bind(CONTEXT)
    assert late.schedules[0].T_max == 30 and late.schedules[1].total_iters == 1
    assert seq.schedules[1].T_max is None


def test_many_milestones_bind_to_the_python_path():
    short = MultiStep(milestones=list(range(1, 12))).bind(CONTEXT)
    long = MultiStep(milestones=list(range(1, 13))).bind(CONTEXT)
    assert type(short).compiled() and not type(long).compiled()
    assert isinstance(long, MultiStep) and long.get_params() == MultiStep(
        milestones=list(range(1, 13))).get_params()
    assert pickle.loads(pickle.dumps(long)).rate(20, 1.0) == pytest.approx(0.1 ** 12)


def test_an_unbound_length_or_unknown_option_is_named():
    with pytest.raises(ValueError, match=r"OneCycle.total_steps is None"):
        OneCycle().rate(1, 0.1)
    with pytest.raises(ValueError, match=r"'mode' parameter of Cyclic"):
        Cyclic(max_lr=1.0, step_size_up=2, mode="triangle").rate(1, 0.1)


# --------------------------------------------------------------------------- #
# Hostile hyperparameters: ValueError naming the parameter, nothing fitted
# --------------------------------------------------------------------------- #

BAD = [
    (LinearWarmup(total_iters=-1), r"'total_iters' parameter of LinearWarmup"),
    (LinearWarmup(total_iters=0), r"'total_iters' parameter of LinearWarmup"),
    (LinearWarmup(start_factor=0.0), r"'start_factor' parameter of LinearWarmup"),
    (LinearWarmup(end_factor=1.5), r"'end_factor' parameter of LinearWarmup"),
    (OneCycle(total_steps=-5), r"'total_steps' parameter of OneCycle"),
    (OneCycle(pct_start=1.5), r"'pct_start' parameter of OneCycle"),
    (OneCycle(anneal_strategy="cosine"), r"'anneal_strategy' parameter of OneCycle"),
    (OneCycle(div_factor=0.0), r"'div_factor' parameter of OneCycle"),
    (OneCycle(final_div_factor=-1.0), r"'final_div_factor' parameter of OneCycle"),
    (OneCycle(three_phase="yes"), r"'three_phase' parameter of OneCycle"),
    (CosineWarmRestarts(T_0=0), r"'T_0' parameter of CosineWarmRestarts"),
    (CosineWarmRestarts(T_0=-3), r"'T_0' parameter of CosineWarmRestarts"),
    (CosineWarmRestarts(T_mult=0), r"'T_mult' parameter of CosineWarmRestarts"),
    (CosineWarmRestarts(T_mult=1.5), r"'T_mult' parameter of CosineWarmRestarts"),
    (CosineWarmRestarts(eta_min=-0.1), r"'eta_min' parameter of CosineWarmRestarts"),
    (Polynomial(total_iters=-2), r"'total_iters' parameter of Polynomial"),
    (Polynomial(power=-1.0), r"'power' parameter of Polynomial"),
    (MultiStep(milestones=[5, 3]), r"'milestones' parameter of MultiStep"),
    (MultiStep(milestones=[2, 2]), r"'milestones' parameter of MultiStep"),
    (MultiStep(milestones=[0, 4]), r"'milestones' parameter of MultiStep"),
    (MultiStep(milestones=[-3]), r"'milestones' parameter of MultiStep"),
    (MultiStep(milestones=[1.5, 4]), r"'milestones' parameter of MultiStep"),
    (MultiStep(milestones=5), r"'milestones' parameter of MultiStep"),
    (MultiStep(gamma=0.0), r"'gamma' parameter of MultiStep"),
    (MultiStep(gamma=2.0), r"'gamma' parameter of MultiStep"),
    (Cyclic(max_lr=-1.0), r"'max_lr' parameter of Cyclic"),
    (Cyclic(step_size_up=0), r"'step_size_up' parameter of Cyclic"),
    (Cyclic(step_size_down=-2), r"'step_size_down' parameter of Cyclic"),
    (Cyclic(mode="triangle"), r"'mode' parameter of Cyclic"),
    (Cyclic(gamma=1.5), r"'gamma' parameter of Cyclic"),
    (Adaptive(factor=0.0), r"'factor' parameter of Adaptive"),
    (Adaptive(factor=1.5), r"'factor' parameter of Adaptive"),
    (Adaptive(patience=0), r"'patience' parameter of Adaptive"),
    (Adaptive(patience=-2), r"'patience' parameter of Adaptive"),
    (Adaptive(patience=2.5), r"'patience' parameter of Adaptive"),
    (Sequential([LinearWarmup(), Cosine()], [3, 6]), r"'milestones' parameter of Sequential"),
    (Sequential([LinearWarmup(), Cosine(), Cosine()], [3]),
     r"'milestones' parameter of Sequential"),
    (Sequential([LinearWarmup(), Cosine(), Cosine()], [6, 3]),
     r"'milestones' parameter of Sequential"),
    (Sequential([LinearWarmup(), Cosine()], [0]), r"'milestones' parameter of Sequential"),
    (Sequential([LinearWarmup(), Cosine()], 3), r"'milestones' parameter of Sequential"),
    (Sequential([], []), r"'schedules' parameter of Sequential"),
    (Sequential(LinearWarmup(), []), r"'schedules' parameter of Sequential"),
    (Sequential([LinearWarmup(), "cosine"], [3]), r"'schedules' parameter of Sequential"),
    (Sequential([LinearWarmup, Cosine()], [3]), r"'schedules' parameter of Sequential"),
    (Sequential([Adaptive(), Cosine()], [3]), r"'schedules' parameter of Sequential"),
    (Sequential([LinearWarmup(total_iters=-1), Cosine()], [3]),
     r"'total_iters' parameter of LinearWarmup"),
    (Sequential([Cosine(), Sequential([Cosine(), Cosine()], [4, 5])], [3]),
     r"'milestones' parameter of Sequential"),
]


@pytest.mark.parametrize("schedule, match", BAD, ids=[repr(b[0])[:60] for b in BAD])
def test_bad_hyperparameters_are_named(schedule, match):
    X, y = _problem()
    est = SGDLinearRegressor(learning_rate=schedule, eta0=0.01, max_iter=2, tol=None)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "coef_")
    with pytest.raises(ValueError, match=match):
        schedule.validate()


# --------------------------------------------------------------------------- #
# Fits take the schedule's rate at every update (SGD applied by hand)
# --------------------------------------------------------------------------- #

def _problem(n=12, seed=0):
    rng = np.random.RandomState(seed)
    X = 0.5 * rng.standard_normal((n, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.3 + 0.1 * rng.standard_normal(n)
    return X, y


def sgd_by_hand(X, y, rates, batch_size, epochs):
    """Plain SGD on ``J = mean 1/2 (x.w + b - y)^2`` in consecutive batches."""
    w, b, t = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(epochs):
        for lo in range(0, len(y), batch_size):
            rows = slice(lo, lo + batch_size)
            r = X[rows] @ w + b - y[rows]
            eta = rates[t]
            w, b, t = w - eta * X[rows].T @ r / len(r), b - eta * r.mean(), t + 1
    return w, b


def _fit(schedule, batch_size, epochs, eta0, engine, monkeypatch):
    monkeypatch.setattr(_kernels, "ENABLED", engine == "compiled")
    calls = []
    fit = _kernels._fit

    def spy(*args):
        calls.append(args[-3][_kernels.RUN_RATES_GIVEN])
        return fit(*args)

    monkeypatch.setattr(_kernels, "_fit", spy)
    X, y = _problem()
    est = SGDLinearRegressor(optimizer="sgd", learning_rate=schedule, eta0=eta0,
                             batch_size=batch_size, max_iter=epochs, tol=None, shuffle=False,
                             preconditioning=None, penalty=None).fit(X, y)
    return est, X, y, calls


@pytest.mark.parametrize("engine", ["compiled", "python"])
@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("case_id, make, n", CASES, ids=IDS)
def test_fit_takes_the_rate_of_every_update(case_id, make, n, batch_size, engine,
                                            monkeypatch):
    epochs, eta0 = 4, 0.05
    schedule = make()
    est, X, y, calls = _fit(schedule, batch_size, epochs, eta0, engine, monkeypatch)
    updates = epochs * -(-len(y) // batch_size)
    rates = [reference(schedule, t - 1, eta0) for t in range(1, updates + 1)]
    w, b = sgd_by_hand(X, y, rates, batch_size, epochs)
    assert est.t_ == updates
    assert_allclose(est.coef_, w, rtol=1e-10, atol=1e-13)
    assert_allclose(est.intercept_, b, rtol=1e-10, atol=1e-13)
    if engine == "python":
        assert calls == []
    elif type(schedule.bind({**CONTEXT, "updates_per_epoch": 1})).compiled():
        assert calls == [0.0]  # the whole fit in one compiled call, rates from lr
    else:
        assert calls == [1.0] * epochs  # one call per epoch, rates from Python


@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("schedule, explicit", [
    (OneCycle(), {"total_steps": "run"}),
    (Polynomial(power=2.0), {"total_iters": "run"}),
    (MultiStep(gamma=0.5), {"milestones": "half, three quarters"}),
    (Cyclic(), {"max_lr": "10 eta0", "step_size_up": "4 epochs"}),
    (LinearWarmup(), {"total_iters": "5 epochs"}),
    (CosineWarmRestarts(T_mult=2), {"T_0": "10 epochs"}),
    (Sequential([LinearWarmup(total_iters=3), Cosine()], [3]), {"T_max": "rest"}),
], ids=lambda v: repr(v)[:30])
def test_fit_binds_none_lengths_as_documented(schedule, explicit, batch_size, monkeypatch):
    epochs, eta0 = 6, 0.02
    est, X, y, _ = _fit(schedule, batch_size, epochs, eta0, "compiled", monkeypatch)
    per_epoch = -(-len(y) // batch_size)
    run = epochs * per_epoch
    by_hand = {  # the documented defaults, written out
        "run": run, "half, three quarters": sorted({run // 2, 3 * run // 4}),
        "10 eta0": 10 * eta0, "4 epochs": 4 * per_epoch, "5 epochs": 5 * per_epoch,
        "10 epochs": 10 * per_epoch, "rest": run - 3,
    }
    if isinstance(schedule, Sequential):
        filled = Sequential([schedule.schedules[0], Cosine(T_max=by_hand["rest"])], [3])
    else:
        filled = clone(schedule).set_params(**{k: by_hand[v] for k, v in explicit.items()})
    rates = [reference(filled, t - 1, eta0) for t in range(1, run + 1)]
    w, b = sgd_by_hand(X, y, rates, batch_size, epochs)
    assert_allclose(est.coef_, w, rtol=1e-10, atol=1e-13)
    assert_allclose(est.intercept_, b, rtol=1e-10, atol=1e-13)


def test_partial_fit_continues_the_schedule(monkeypatch):
    schedule = Sequential([LinearWarmup(total_iters=5), MultiStep([4], gamma=0.5)], [5])
    X, y = _problem()
    est = SGDLinearRegressor(optimizer="sgd", learning_rate=schedule, eta0=0.05, batch_size=4,
                             shuffle=False, preconditioning=None)
    for _ in range(4):
        est.partial_fit(X, y)
    rates = [reference(schedule, t - 1, 0.05) for t in range(1, 13)]
    w, b = sgd_by_hand(X, y, rates, 4, 4)
    assert est.t_ == 12
    assert_allclose(est.coef_, w, rtol=1e-10, atol=1e-13)


def test_grid_search_over_nested_schedule_parameters():
    X, y = _problem(n=30)
    base = SGDLinearRegressor(optimizer="sgd", eta0=0.05, batch_size=5, max_iter=5, tol=None,
                              random_state=0)
    grids = [
        (MultiStep(gamma=0.5), {"learning_rate__milestones": [[5], [5, 10]],
                                "learning_rate__gamma": [0.1, 0.5]}),
        (CosineWarmRestarts(), {"learning_rate__T_0": [3, 6], "learning_rate__T_mult": [1, 2]}),
        (Sequential([LinearWarmup(total_iters=4), Cosine()], [4]),
         {"learning_rate__milestones": [[2], [4]]}),
        (Adaptive(), {"learning_rate__patience": [1, 3], "learning_rate__factor": [0.5]}),
        (OneCycle(), {"learning_rate__anneal_strategy": ["cos", "linear"],
                      "learning_rate__three_phase": [False, True]}),
        (Cyclic(max_lr=0.2), {"learning_rate__mode": ["triangular", "exp_range"]}),
    ]
    for schedule, grid in grids:
        search = GridSearchCV(base.set_params(learning_rate=schedule), grid, cv=3).fit(X, y)
        assert set(search.best_params_) == set(grid)
        assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
        assert schedule.get_params() == clone(schedule).get_params()  # left unchanged


def test_fitted_estimator_with_a_sequential_pickles():
    X, y = _problem()
    est = SGDLinearRegressor(learning_rate=Sequential(
        [LinearWarmup(total_iters=6), CosineWarmRestarts(T_0=5)], [6]), eta0=0.05,
        batch_size=3, max_iter=4, tol=None, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    assert back.learning_rate == est.learning_rate
    assert_allclose(back.predict(X), est.predict(X), rtol=0, atol=0)


# --------------------------------------------------------------------------- #
# Adaptive: ReduceLROnPlateau's factor / patience / min_lr
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("engine", ["compiled", "python"])
@pytest.mark.parametrize("patience, n_iter_no_change", [(1, 10), (2, 10), (3, 1), (None, 2)])
def test_adaptive_patience_reduces_after_that_many_epochs(patience, n_iter_no_change, engine,
                                                          monkeypatch):
    """``tol`` so large that no epoch after the first counts as an improvement: a plateau
    every ``patience`` epochs; three reductions (0.01 -> 0.005 -> 0.0025 -> 0.00125) fit
    above ``min_lr``, the fourth stops the fit."""
    monkeypatch.setattr(_kernels, "ENABLED", engine == "compiled")
    X, y = _problem()
    est = SGDLinearRegressor(optimizer="sgd", eta0=0.01, batch_size=4, shuffle=False,
                             preconditioning=None, tol=1e9, n_iter_no_change=n_iter_no_change,
                             max_iter=200, learning_rate=Adaptive(
                                 factor=0.5, patience=patience, min_lr=1e-3)).fit(X, y)
    p = n_iter_no_change if patience is None else patience
    assert est.n_iter_ == 1 + 4 * p
    per_epoch = [0.01 * 0.5 ** sum(1 + j * p < k for j in (1, 2, 3))
                 for k in range(1, est.n_iter_ + 1)]
    rates = np.repeat(per_epoch, 3)
    w, b = sgd_by_hand(X, y, rates, 4, est.n_iter_)
    assert_allclose(est.coef_, w, rtol=1e-10, atol=1e-13)
    assert_allclose(est.intercept_, b, rtol=1e-10, atol=1e-13)


def test_adaptive_defaults_are_todays_behaviour():
    X, y = _problem(n=40)
    common = dict(eta0=0.05, batch_size=4, random_state=0, n_iter_no_change=3, tol=1e-3)
    default = SGDLinearRegressor(learning_rate="adaptive", **common).fit(X, y)
    explicit = SGDLinearRegressor(learning_rate=Adaptive(factor=0.2, patience=3, min_lr=1e-6),
                                  **common).fit(X, y)
    assert default.n_iter_ == explicit.n_iter_
    assert_allclose(default.coef_, explicit.coef_, rtol=0, atol=0)
    assert Adaptive().on_plateau(0.01) == pytest.approx(0.002)
    assert Adaptive().on_plateau(4e-6) is None
