"""Problems shared by the optimizer test files (test_optimizers_issue12.py,
test_optimizers_lrfree.py): noisy quadratic gradients, small regression / binary /
multinomial data sets and their encoded targets, and an estimator run to convergence."""

import numpy as np

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier


def quadratic(shape, seed, steps=60):
    """Noisy gradients of a quadratic: ``g = A theta - b + noise_t``."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    M = rng.normal(size=(size, size))
    A, b = M @ M.T / size + 0.5 * np.eye(size), rng.normal(size=size)
    noise = 0.3 * rng.normal(size=(steps + 1, size))

    def grad_fn(theta, t):
        return (A @ theta.ravel() - b + noise[t]).reshape(shape)

    return grad_fn, rng.normal(size=shape)


def data(model, seed=0, n=23, d=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * [1.0, 2.0, 0.5, 1.0][:d]
    w = rng.normal(size=d)
    if model == "regressor":
        return X, X @ w + 0.7 + 0.1 * rng.normal(size=n)
    if model == "binary":
        y = np.array([-3, 5])[(X @ w + 0.3 * rng.normal(size=n) > 0).astype(int)]
        y[:2] = [-3, 5]
        return X, y
    W = rng.normal(size=(3, d))
    y = np.array(["ant", "bee", "cat"])[np.argmax(X @ W.T + 0.3 * rng.normal(size=(n, 3)), 1)]
    y[:3] = ["ant", "bee", "cat"]
    return X, y


def target(model, y):
    classes = np.unique(y)
    if model == "regressor":
        return "squared_error", np.asarray(y, float), ()
    if model == "binary":
        return "binary", (y == classes[1]).astype(float), ()
    return "multinomial", (y[:, None] == classes[None, :]).astype(float), (len(classes),)


def converged(model, alias, **params):
    base = dict(optimizer=alias, batch_size=None, max_iter=20000, tol=1e-12,
                n_iter_no_change=30, random_state=0)
    base.update(params)
    if model == "regressor":
        return SGDLinearRegressor(**base)
    return SGDLogisticClassifier(**base)
