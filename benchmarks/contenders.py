"""The contenders: ours at defaults and at the documented best settings, scikit-learn's
SGD at defaults and best-tuned, and the exact / quasi-Newton solvers.

Each contender is ``make(ds, max_iter) -> unfitted estimator``; ``max_iter=None``
means the contender's own stopping rule (what a user gets from ``fit``).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import (
    LinearRegression, LogisticRegression, Ridge, SGDClassifier, SGDRegressor,
)

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

SEED = 0


@dataclass
class Contender:
    name: str
    make: object  # (ds, max_iter or None) -> estimator
    iterative: bool = True  # trace objective vs time over max_iter = 1, 2, 3, ...
    grid: tuple = ()  # candidate settings; the fastest to the target is kept (best-tuned)


def _with(max_iter, **params):
    return params if max_iter is None else {**params, "max_iter": max_iter}


def ours(ds, max_iter=None, **params):
    cls = SGDLinearRegressor if ds.task == "regression" else SGDLogisticClassifier
    return cls(random_state=SEED, alpha=ds.alpha, **_with(max_iter, **params))


def best_settings(ds):
    """Our documented recipe for the fastest route to a 0.1 % fit (docs/benchmarks.md),
    one rule per kind of data, nothing tuned per data set:

    * dense: the defaults' engine, full-batch gradient steps of ``eta0="auto"``
      (``1 / L``) in the preconditioned (whitened) geometry at a constant rate;
    * sparse rows of unit norm: mini-batches of 16 at Bottou's ``"optimal"`` rate.

    (Traced with ``tol=None``: the trajectory over ``max_iter`` is the point.)
    """
    if sp.issparse(ds.X):
        return dict(batch_size=16, optimizer="sgd", learning_rate="optimal", tol=None)
    return dict(batch_size=None, optimizer="sgd", learning_rate="constant", tol=None)


def sklearn_sgd(ds, max_iter=None, **params):
    params = _with(max_iter, alpha=ds.alpha, random_state=SEED, **params)
    if ds.task == "regression":
        return SGDRegressor(**params)
    return SGDClassifier(loss="log_loss", **params)


def sklearn_tuned(ds, max_iter=None, c=0.3):
    """Averaged SGD at a constant rate ``c / d`` dense (``c`` for unit-norm sparse rows)."""
    eta0 = c if sp.issparse(ds.X) else c / ds.X.shape[1]
    return sklearn_sgd(ds, max_iter, average=True, learning_rate="constant", eta0=eta0,
                       tol=None)


def logistic(solver):
    def make(ds, max_iter=None):
        return LogisticRegression(C=1.0 / (ds.alpha * ds.X.shape[0]), solver=solver,
                                  random_state=SEED, **_with(max_iter))
    return make


def contenders(ds):
    """The contenders for one data set, ours first."""
    grid = (0.3, 1.0, 3.0, 10.0) if sp.issparse(ds.X) else (0.1, 0.3, 1.0)
    out = [
        Contender("ours: defaults", ours),
        Contender("ours: best", lambda ds, k=None: ours(ds, k, **best_settings(ds))),
        Contender("sklearn SGD: defaults", sklearn_sgd),
        Contender("sklearn SGD: best-tuned", sklearn_tuned, grid=grid),
    ]
    if ds.task == "regression":
        out += [
            Contender("LinearRegression", lambda ds, k=None: LinearRegression(), False),
            Contender("Ridge (exact optimum)",
                      lambda ds, k=None: Ridge(alpha=ds.alpha * ds.X.shape[0]), False),
        ]
    else:
        out += [Contender("LogisticRegression lbfgs", logistic("lbfgs")),
                Contender("LogisticRegression saga", logistic("saga"))]
    return out


def per_sample(ds, optimizer, max_iter):
    """Our per-sample epochs (``batch_size=1``), for the epoch-time comparisons."""
    eta0 = 0.1 / ds.X.shape[1]
    return ours(ds, max_iter, batch_size=1, optimizer=optimizer, eta0=eta0,
                learning_rate="constant", tol=None)


def batch(ds, batch_size, max_iter):
    return ours(ds, max_iter, batch_size=batch_size, eta0=1e-3, learning_rate="constant",
                tol=None)


def sklearn_epoch(ds, max_iter):
    return sklearn_sgd(ds, max_iter, tol=None, eta0=0.1 / ds.X.shape[1],
                       learning_rate="constant")


def coef_of(est):
    return np.atleast_2d(est.coef_), np.atleast_1d(est.intercept_)
