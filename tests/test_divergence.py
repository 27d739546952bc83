"""Divergence: a too-large learning rate never passes for a fit.

For every optimizer, a too-large ``eta0`` on unscaled data must either train
to a finite, sensible answer or raise API.md's divergence ``ValueError`` (naming
the epoch, suggesting a smaller ``eta0`` or scaled features) — never return
finite but absurd coefficients that a user would mistake for a fit.

"Absurd" is defined here, independently of the package's own detector:

* the training objective at the returned coefficients (recomputed from
  API.md's formula) is more than ``ABSURD_FACTOR`` times that of the all-zero
  model, i.e. orders of magnitude worse than not fitting at all; or
* for the regressor, ``‖coef_‖`` is more than ``ABSURD_FACTOR`` times the norm
  of the exact least-squares solution (``LinearRegression``).
"""

import itertools
import re
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
              "amsgrad", "adamax", "nadam"]
ABSURD_FACTOR = 1e3
DIVERGED = re.compile(r"^Training diverged at epoch (\d+): the objective reached (\S+)\. "
                      r".*smaller eta0.*scale the features", re.S)

#: The grid of too-large settings tried for every optimizer.
MODELS = ["regressor", "binary", "multinomial"]
BATCH_SIZES = [None, 1, 16]
MAX_ITERS = [1, 20]
ETA0S = [1.0, 100.0]


def unscaled_data(n=60, seed=0):
    """Columns of scale 1, 100 (offset 500) and 1000: typical raw features."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 3) * [1.0, 100.0, 1000.0] + [0.0, 500.0, 0.0]
    y = X @ [1.0, 0.02, -0.003] + 7.0 + rng.randn(n)
    z = ((X - X.mean(0)) / X.std(0)) @ [1.0, 1.0, -1.0]
    return X, {"regressor": y, "binary": (z > 0).astype(int),
               "multinomial": np.digitize(z, [-0.5, 0.5])}


X_RAW, TARGETS = unscaled_data()
LSTSQ_NORM = np.linalg.norm(LinearRegression().fit(X_RAW, TARGETS["regressor"]).coef_)


def objective(est, X, y, zero=False):
    """API.md's J (no penalty here: every fit below uses ``penalty=None``)."""
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    b = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
    if zero:
        coef, b = np.zeros_like(coef), np.zeros_like(b)
    Z = X @ coef.T + b
    if isinstance(est, SGDLinearRegressor):
        return float(np.mean(0.5 * (Z[:, 0] - y) ** 2))
    if Z.shape[1] == 1:
        return float(np.mean(np.logaddexp(0.0, Z[:, 0]) - y * Z[:, 0]))
    return float(np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]))


def make(model, **params):
    cls = SGDLinearRegressor if model == "regressor" else SGDLogisticClassifier
    return cls(penalty=None, random_state=0, **params)


def fit_or_error(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            return est.fit(X, y), None
        except ValueError as exc:
            return est, exc


def absurdity(est, X, y):
    """A description of what is absurd about a finite fit, or None."""
    j, j0 = objective(est, X, y), objective(est, X, y, zero=True)
    if j > ABSURD_FACTOR * j0:
        return f"objective {j:.3g} = {j / j0:.3g} x that of the zero model"
    if isinstance(est, SGDLinearRegressor):
        norm = np.linalg.norm(est.coef_)
        if norm > ABSURD_FACTOR * LSTSQ_NORM:
            return f"|coef_| = {norm:.3g} vs {LSTSQ_NORM:.3g} for least squares"
    return None


def check_documented(error, est, max_iter):
    """The divergence error names an epoch that ran and exposes nothing."""
    match = DIVERGED.match(str(error))
    assert match, f"undocumented error: {error}"
    assert 1 <= int(match.group(1)) <= max_iter
    assert not hasattr(est, "coef_"), "a diverged fit exposed coefficients"


GRID = list(itertools.product(MODELS, BATCH_SIZES, MAX_ITERS, ETA0S))


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_too_large_eta0_gives_a_finite_fit_or_the_documented_error(optimizer, schedule):
    """Every cell of the grid: documented error, or finite coefficients and predictions."""
    for model, batch_size, max_iter, eta0 in GRID:
        y = TARGETS[model]
        est, error = fit_or_error(make(model, optimizer=optimizer, learning_rate=schedule,
                                       batch_size=batch_size, max_iter=max_iter, eta0=eta0),
                                  X_RAW, y)
        if error is not None:
            check_documented(error, est, max_iter)
            continue
        assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
        assert np.all(np.isfinite(est.loss_curve_))
        assert np.all(np.isfinite(est.predict(X_RAW)))


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_too_large_eta0_never_returns_an_absurd_fit(optimizer):
    """No cell of the grid returns coefficients orders of magnitude off.

    Regression guard: the adaptive-step optimizers (Adagrad, RMSprop, the Adam
    family) once returned fits 1.2e3-7e3 times worse than the zero model here.
    """
    absurd = []
    for (model, batch_size, max_iter, eta0), schedule in itertools.product(
            GRID, ["constant", "adaptive"]):
        y = TARGETS[model]
        est, error = fit_or_error(make(model, optimizer=optimizer, learning_rate=schedule,
                                       batch_size=batch_size, max_iter=max_iter, eta0=eta0),
                                  X_RAW, y)
        what = None if error is not None else absurdity(est, X_RAW, y)
        if what:
            absurd.append(f"{model} batch_size={batch_size} max_iter={max_iter} "
                          f"eta0={eta0} {schedule}: {what}")
    assert not absurd, "finite but absurd fits:\n" + "\n".join(absurd)


def reference_gd_objectives(X, y, eta, n_epochs):
    """Full-batch gradient descent on J = mean(½(x·w + b − y)²): J before each epoch."""
    A = np.column_stack([X, np.ones(len(y))])
    theta = np.zeros(A.shape[1])
    values = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_epochs):
            r = A @ theta - y
            values.append(float(np.mean(0.5 * r**2)))
            theta = theta - eta * (A.T @ r) / len(y)
    return values


@pytest.mark.parametrize("eta0", [2.5e-6, 1e-5, 1e-3])  # 2 / L = 2.05e-6 here
def test_divergence_error_names_the_epoch_where_the_objective_blew_up(eta0):
    """The epoch and objective in the message are those of plain gradient descent."""
    y = TARGETS["regressor"]
    est = SGDLinearRegressor(preconditioning=None, optimizer="sgd", learning_rate="constant", eta0=eta0,
                             penalty=None, batch_size=None, shuffle=False, tol=None,
                             max_iter=200)
    with pytest.raises(ValueError) as info:
        est.fit(X_RAW, y)
    match = DIVERGED.match(str(info.value))
    assert match, str(info.value)
    epoch, reached = int(match.group(1)), float(match.group(2))
    reference = reference_gd_objectives(X_RAW, y, eta0, 200)
    j0 = reference[0]
    assert all(np.isfinite(reference[:epoch])), "reported after the objective became non-finite"
    # the message quotes the objective of that epoch (3 significant digits) ...
    np.testing.assert_allclose(reached, reference[epoch - 1], rtol=5e-3)
    # ... which really is a blow-up, and all earlier epochs were not
    assert reference[epoch - 1] > ABSURD_FACTOR * j0
    assert epoch > 1 and max(reference[: epoch - 1]) < reference[epoch - 1]
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("model", MODELS)
def test_partial_fit_divergence_is_the_documented_error(model):
    """partial_fit with a too-large step diverges loudly too, for every model."""
    y = TARGETS[model]
    est = make(model, optimizer="sgd", learning_rate="constant", eta0=100.0, batch_size=10)
    kwargs = {} if model == "regressor" else {"classes": np.unique(y)}
    with pytest.raises(ValueError) as info:
        for _ in range(5):
            est.partial_fit(X_RAW, y, **kwargs)
            kwargs = {}
    assert DIVERGED.match(str(info.value)), str(info.value)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
def test_the_suggested_remedy_works(optimizer):
    """A step size that diverges on raw features reaches least squares once they are scaled."""
    y = TARGETS["regressor"]
    params = dict(optimizer=optimizer, learning_rate="constant", eta0=0.01, penalty=None,
                  batch_size=None, max_iter=3000, tol=None)
    with pytest.raises(ValueError, match=DIVERGED):
        SGDLinearRegressor(preconditioning=None, **params).fit(X_RAW, y)
    model = make_pipeline(StandardScaler(), SGDLinearRegressor(preconditioning=None, **params)).fit(X_RAW, y)
    exact = LinearRegression().fit(X_RAW, y)
    np.testing.assert_allclose(model.predict(X_RAW), exact.predict(X_RAW), rtol=1e-6)


@pytest.mark.parametrize("scale, max_iter", [
    (1e-12, 1), (1e-12, 3), (1e-9, 1), (1e-9, 3), (1e-6, 1), (1e-6, 3),
    (1e6, 1), (1e6, 3), (1e12, 1), (1e12, 3),
])
def test_divergence_does_not_depend_on_the_units_of_y(scale, max_iter):
    """Squared-error GD is linear in y: y * scale diverges exactly when y does, at the same epoch."""
    y = TARGETS["regressor"]
    params = dict(optimizer="sgd", learning_rate="constant", eta0=1e-3, penalty=None,
                  batch_size=None, shuffle=False, tol=None, max_iter=max_iter)
    with pytest.raises(ValueError) as unit:
        SGDLinearRegressor(preconditioning=None, **params).fit(X_RAW, y)
    with pytest.raises(ValueError) as scaled:
        SGDLinearRegressor(preconditioning=None, **params).fit(X_RAW, y * scale)
    epoch = [int(DIVERGED.match(str(e.value)).group(1)) for e in (unit, scaled)]
    assert epoch[0] == epoch[1]
