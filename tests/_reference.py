"""Independent numpy references for the skopt_gd tests.

Everything here is transcribed from the documented formulas — the algorithm boxes
of ``torch.optim`` (weight_decay=0, maximize=False) and the schedules' closed forms
in ``API.md`` — and never from the package under test.  ``test_optimizers.py``
checks :func:`reference_run` against ``torch.optim`` itself when torch is installed.

Conventions
-----------
``reference_run(name, hyper, grad_fn, theta0, lrs)`` iterates, for t = 1..T,

    g_t = grad_fn(theta_{t-1}, t)
    theta_t = theta_{t-1} - lrs[t-1] * direction_t

and returns the trajectory ``[theta_0, theta_1, ..., theta_T]``.  The direction is
learning-rate free, exactly as in torch, where ``lr`` multiplies it last.
"""

import math

import numpy as np
from scipy.special import expit, softmax

# --------------------------------------------------------------------------- #
# Optimizers: torch.optim algorithm boxes, hyperparameters named as in skopt_gd
# --------------------------------------------------------------------------- #

#: torch.optim defaults, with skopt_gd's names (RMSprop's ``alpha`` is ``rho``,
#: ``betas=(beta1, beta2)`` is split in two).
OPTIMIZER_DEFAULTS = {
    "sgd": dict(momentum=0.0, dampening=0.0, nesterov=False),
    "adagrad": dict(eps=1e-10, initial_accumulator_value=0.0),
    "rmsprop": dict(rho=0.99, eps=1e-8, momentum=0.0, centered=False),
    "adadelta": dict(rho=0.9, eps=1e-6),
    "adam": dict(beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False),
    "adamax": dict(beta1=0.9, beta2=0.999, eps=1e-8),
    "nadam": dict(beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3),
}

#: API.md's alias table: alias -> (skopt_gd class name, constructor kwargs, algorithm).
OPTIMIZER_ALIASES = {
    "sgd": ("SGD", {}, "sgd"),
    "momentum": ("SGD", {"momentum": 0.9}, "sgd"),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}, "sgd"),
    "adagrad": ("Adagrad", {}, "adagrad"),
    "rmsprop": ("RMSprop", {}, "rmsprop"),
    "adadelta": ("Adadelta", {}, "adadelta"),
    "adam": ("Adam", {}, "adam"),
    "amsgrad": ("Adam", {"amsgrad": True}, "adam"),
    "adamax": ("Adamax", {}, "adamax"),
    "nadam": ("NAdam", {}, "nadam"),
}

#: skopt_gd class name -> algorithm name used by :func:`reference_run`.
CLASS_ALGORITHM = {
    "SGD": "sgd",
    "Adagrad": "adagrad",
    "RMSprop": "rmsprop",
    "Adadelta": "adadelta",
    "Adam": "adam",
    "Adamax": "adamax",
    "NAdam": "nadam",
}


def _ema(old, new, decay):
    """``decay * old + (1 - decay) * new``."""
    return decay * old + (1.0 - decay) * new


def _sgd(g, s, t, h):
    mu = h["momentum"]
    if mu == 0:
        return g
    if t == 1:
        b = g.copy()
    else:
        b = mu * s["momentum_buffer"] + (1.0 - h["dampening"]) * g
    s["momentum_buffer"] = b
    return g + mu * b if h["nesterov"] else b


def _adagrad(g, s, t, h):
    if "sum" not in s:
        s["sum"] = np.full_like(g, h["initial_accumulator_value"])
    s["sum"] = s["sum"] + g * g
    return g / (np.sqrt(s["sum"]) + h["eps"])


def _rmsprop(g, s, t, h):
    rho = h["rho"]
    s["square_avg"] = _ema(s.get("square_avg", 0.0), g * g, rho)
    v_tilde = s["square_avg"]
    if h["centered"]:
        s["grad_avg"] = _ema(s.get("grad_avg", 0.0), g, rho)
        v_tilde = v_tilde - s["grad_avg"] ** 2
    denom = np.sqrt(v_tilde) + h["eps"]
    if h["momentum"] > 0:
        s["momentum_buffer"] = h["momentum"] * s.get("momentum_buffer", 0.0) + g / denom
        return s["momentum_buffer"]
    return g / denom


def _adadelta(g, s, t, h):
    rho, eps = h["rho"], h["eps"]
    s["square_avg"] = _ema(s.get("square_avg", 0.0), g * g, rho)
    acc_delta = s.get("acc_delta", np.zeros_like(g))
    delta = np.sqrt(acc_delta + eps) / np.sqrt(s["square_avg"] + eps) * g
    s["acc_delta"] = _ema(acc_delta, delta * delta, rho)
    return delta


def _adam(g, s, t, h):
    b1, b2 = h["beta1"], h["beta2"]
    s["exp_avg"] = _ema(s.get("exp_avg", 0.0), g, b1)
    s["exp_avg_sq"] = _ema(s.get("exp_avg_sq", 0.0), g * g, b2)
    v = s["exp_avg_sq"]
    if h["amsgrad"]:
        s["max_exp_avg_sq"] = np.maximum(s.get("max_exp_avg_sq", 0.0), v)
        v = s["max_exp_avg_sq"]
    denom = np.sqrt(v) / math.sqrt(1.0 - b2**t) + h["eps"]
    step_size = 1.0 / (1.0 - b1**t)
    return step_size * s["exp_avg"] / denom


def _adamax(g, s, t, h):
    b1 = h["beta1"]
    s["exp_avg"] = _ema(s.get("exp_avg", 0.0), g, b1)
    s["exp_inf"] = np.maximum(h["beta2"] * s.get("exp_inf", 0.0), np.abs(g) + h["eps"])
    return s["exp_avg"] / ((1.0 - b1**t) * s["exp_inf"])


def _nadam(g, s, t, h):
    b1, b2, psi = h["beta1"], h["beta2"], h["momentum_decay"]
    mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    s["mu_product"] = s.get("mu_product", 1.0) * mu
    s["exp_avg"] = _ema(s.get("exp_avg", 0.0), g, b1)
    s["exp_avg_sq"] = _ema(s.get("exp_avg_sq", 0.0), g * g, b2)
    denom = np.sqrt(s["exp_avg_sq"] / (1.0 - b2**t)) + h["eps"]
    m_hat = (mu_next / (1.0 - s["mu_product"] * mu_next)) * s["exp_avg"] + (
        (1.0 - mu) / (1.0 - s["mu_product"])
    ) * g
    return m_hat / denom


_STEPS = {
    "sgd": _sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adadelta": _adadelta,
    "adam": _adam,
    "adamax": _adamax,
    "nadam": _nadam,
}


def resolve(name, hyper=None):
    """Return ``(algorithm, full hyperparameters)`` for an algorithm, alias or class name."""
    hyper = dict(hyper or {})
    if name in OPTIMIZER_ALIASES:
        _, alias_kwargs, name = OPTIMIZER_ALIASES[name]
        hyper = {**alias_kwargs, **hyper}
    name = CLASS_ALGORITHM.get(name, name)
    unknown = set(hyper) - set(OPTIMIZER_DEFAULTS[name])
    if unknown:
        raise KeyError(f"unknown hyperparameters for {name}: {sorted(unknown)}")
    return name, {**OPTIMIZER_DEFAULTS[name], **hyper}


def reference_run(name, hyper, grad_fn, theta0, lrs):
    """Trajectory ``[theta_0, ..., theta_T]`` of a torch.optim algorithm.

    Parameters
    ----------
    name : str
        Algorithm (``"sgd"``, ``"adagrad"``, ...), alias (``"momentum"``, ...) or
        skopt_gd class name (``"NAdam"``, ...).
    hyper : dict
        Hyperparameters in skopt_gd's names; missing ones take torch's defaults.
    grad_fn : callable
        ``grad_fn(theta, t) -> ndarray`` gradient at ``theta`` for update ``t``.
    theta0 : ndarray
        Starting parameters (any shape).
    lrs : sequence of float
        Learning rate of each update ``t = 1..T``.
    """
    algorithm, h = resolve(name, hyper)
    step = _STEPS[algorithm]
    theta = np.array(theta0, dtype=np.float64, copy=True)
    state = {}
    trajectory = [theta.copy()]
    for t, lr in enumerate(lrs, start=1):
        g = np.asarray(grad_fn(theta.copy(), t), dtype=np.float64)
        theta = theta - lr * step(g, state, t, h)
        trajectory.append(theta.copy())
    return np.array(trajectory)


# --------------------------------------------------------------------------- #
# Schedules: closed forms of API.md
# --------------------------------------------------------------------------- #

#: alias -> (skopt_gd class name, defaults as written in the contract)
SCHEDULE_ALIASES = {
    "constant": ("Constant", {}),
    "invscaling": ("InvScaling", {"power_t": 0.25}),
    "optimal": ("Optimal", {"alpha": None, "t0": None}),
    "adaptive": ("Adaptive", {"factor": 0.2, "patience": None, "min_lr": 1e-6}),
    "exponential": ("Exponential", {"gamma": 0.95, "decay_steps": None}),
    "step": ("Step", {"gamma": 0.5, "step_size": None}),
    "cosine": ("Cosine", {"T_max": None, "eta_min": 0.0}),
    # issue 12 (their rates: tests/test_schedules_issue12.py)
    "linear": ("LinearWarmup", {"start_factor": 1 / 3, "end_factor": 1.0, "total_iters": None}),
    "onecycle": ("OneCycle", {"total_steps": None, "pct_start": 0.3, "anneal_strategy": "cos",
                              "div_factor": 25.0, "final_div_factor": 1e4,
                              "three_phase": False}),
    "cosine_restarts": ("CosineWarmRestarts", {"T_0": None, "T_mult": 1, "eta_min": 0.0}),
    "polynomial": ("Polynomial", {"total_iters": None, "power": 1.0}),
    "multistep": ("MultiStep", {"milestones": None, "gamma": 0.1}),
    "cyclic": ("Cyclic", {"max_lr": None, "step_size_up": None, "step_size_down": None,
                          "mode": "triangular", "gamma": 1.0}),
}


def reference_rate(name, params, t, eta0):
    """Learning rate at 1-based update ``t`` for schedule ``name`` (alias)."""
    p = params
    if name in ("constant", "adaptive"):
        return eta0
    if name == "invscaling":
        return eta0 / t ** p["power_t"]
    if name == "optimal":
        return 1.0 / (p["alpha"] * (p["t0"] + t))
    if name == "exponential":
        return eta0 * p["gamma"] ** ((t - 1) / p["decay_steps"])
    if name == "step":
        return eta0 * p["gamma"] ** math.floor((t - 1) / p["step_size"])
    if name == "cosine":
        T = p["T_max"]
        eta_min = p.get("eta_min", 0.0)
        return eta_min + (eta0 - eta_min) * (1 + math.cos(math.pi * min(t - 1, T) / T)) / 2
    raise KeyError(name)


def reference_on_plateau(factor, min_lr, eta):
    """Adaptive's plateau hook: ``eta * factor``, or ``None`` (stop) below ``min_lr``."""
    new = eta * factor
    return None if new < min_lr else new


# --------------------------------------------------------------------------- #
# Linear models: gradients of the documented objective, batching
# --------------------------------------------------------------------------- #


def batch_slices(n_samples, batch_size):
    """Consecutive row slices; ``None`` or ``>= n_samples`` means one full batch."""
    if batch_size is None or batch_size >= n_samples:
        return [slice(0, n_samples)]
    return [slice(i, min(i + batch_size, n_samples)) for i in range(0, n_samples, batch_size)]


def _design(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def squared_error_grad(theta, X, y, s):
    """Gradient of ``sum_i s_i 1/2 (y_i - x_i.w - b)^2 / sum_i s_i``; theta = (w, b)."""
    Z = _design(X)
    r = Z @ theta - y
    return Z.T @ (s * r) / s.sum()


def binary_log_grad(theta, X, y01, s):
    """Weighted mean binary cross-entropy gradient, ``p = sigmoid(x.w + b)``."""
    Z = _design(X)
    p = expit(Z @ theta)
    return Z.T @ (s * (p - y01)) / s.sum()


def multinomial_log_grad(theta, X, Y, s):
    """Weighted mean softmax cross-entropy gradient; theta shape (K, d + 1), Y one-hot."""
    Z = _design(X)
    P = softmax(Z @ theta.T, axis=1)
    return (s[:, None] * (P - Y)).T @ Z / s.sum()


_LOSS_GRADS = {
    "squared_error": squared_error_grad,
    "binary": binary_log_grad,
    "multinomial": multinomial_log_grad,
}


def make_grad_fn(loss, X, target, sample_weight, batches, alpha=0.0, fit_intercept=True):
    """``grad_fn(theta, t)`` cycling over ``batches`` (update t uses batch (t-1) mod B).

    Adds the l2 gradient ``alpha * w`` to the coefficients only (never the
    intercept, the last column of theta).  Without an intercept, its gradient is
    zero, so every optimizer leaves it at zero.
    """
    loss_grad = _LOSS_GRADS[loss]
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    s_bar = s[s > 0].mean()  # API.md: sum_B s_i grad_i / (|B| s_bar), zero rows as absent

    def grad_fn(theta, t):
        rows = batches[(t - 1) % len(batches)]
        sb = s[rows]
        g = loss_grad(theta, X[rows], target[rows], sb) * (sb.sum() / ((sb > 0).sum() * s_bar))
        g[..., :-1] += alpha * theta[..., :-1]
        if not fit_intercept:
            g[..., -1] = 0.0
        return g

    return grad_fn
