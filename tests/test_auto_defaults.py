"""``batch_size="auto"`` and ``learning_rate="auto"`` stand for the documented explicit
settings (docs/guide/training.md, "The defaults").

The reference of each case is the same estimator with the explicit setting the rule
names, trained on the same data and seed: the two fits must be the same fit
(coefficients, epochs, updates), so a rule that resolved to anything else would
differ. The counts of updates per epoch are checked against ``ceil(n / 128)`` and 1
written out here.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn.linear_model import LinearRegression, LogisticRegression

from skopt_gd import SGDLinearRegressor, SGDLogisticClassifier
from skopt_gd.optimizers import OPTIMIZERS, Adam

N_ROWS, ROWS_PER_BATCH = 300, 128  # 300 rows: 3 mini-batches of at most 128 per epoch


def _data(sparse=False, classify=False):
    rng = np.random.RandomState(0)
    X = rng.randn(N_ROWS, 4) * [1.0, 10.0, 0.1, 3.0] + [0.0, 5.0, 1.0, -2.0]
    y = X @ [1.0, -0.2, 4.0, 0.5] + 0.3 * rng.randn(N_ROWS)
    if classify:
        y = (y > np.median(y)).astype(int)
    if sparse:
        X[np.abs(X) < 1.0] = 0.0
        X = sp.csr_matrix(X)
    return X, y


def _same_fit(a, b):
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert (a.n_iter_, a.t_) == (b.n_iter_, b.t_)
    assert a.loss_curve_ == b.loss_curve_


def test_auto_is_the_default():
    for cls in (SGDLinearRegressor, SGDLogisticClassifier):
        params = cls().get_params()
        assert params["batch_size"] == "auto" and params["learning_rate"] == "auto"


@pytest.mark.parametrize("cls", [SGDLinearRegressor, SGDLogisticClassifier])
def test_dense_fit_is_full_batch_and_sparse_is_mini_batches(cls):
    classify = cls is SGDLogisticClassifier
    dense = cls(random_state=0, max_iter=7, tol=None).fit(*_data(classify=classify))
    assert dense.t_ == dense.n_iter_ == 7  # one update per epoch
    sparse = cls(random_state=0, max_iter=7, tol=None).fit(*_data(True, classify))
    assert sparse.t_ == 7 * -(-N_ROWS // ROWS_PER_BATCH)  # ceil(300 / 128) = 3 per epoch


def test_partial_fit_cuts_dense_chunks_into_mini_batches():
    X, y = _data()
    est = SGDLinearRegressor(random_state=0)
    for _ in range(2):
        est.partial_fit(X, y)
    assert est.t_ == 2 * 3
    ref = SGDLinearRegressor(random_state=0, batch_size=ROWS_PER_BATCH,
                             learning_rate="adaptive")
    for _ in range(2):
        ref.partial_fit(X, y)
    _same_fit(est, ref)


#: the documented resolution at full batch, written out (training.md's list and the
#: start of each cosine run, docs/guide/schedules.md's table)
FULL_BATCH_SCHEDULE = {
    "sgd": "constant", "nesterov": "constant",
    "schedulefree_sgd": "constant", "schedulefree_adam": "constant", "rprop": "adaptive",
}
#: rules whose full-batch "auto" schedule is a cosine decay run to its horizon (tol stops
#: nothing), from this eta0
TO_HORIZON = {"momentum": 0.3, "adam": 0.1, "amsgrad": 0.1, "adamax": 1.0, "nadam": 0.3, "radam": 1.0,
              "rmsprop": 0.1, "adagrad": 2.0, "adadelta": 10.0, "prodigy": 1.0, "lion": 0.01}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("cls", [SGDLinearRegressor, SGDLogisticClassifier])
def test_auto_schedule_at_full_batch_is_the_documented_one(cls, optimizer):
    X, y = _data(classify=cls is SGDLogisticClassifier)
    kw = dict(optimizer=optimizer, random_state=0, max_iter=60)
    if optimizer in TO_HORIZON:
        explicit = dict(tol=None, learning_rate="cosine", eta0=TO_HORIZON[optimizer])
    else:
        explicit = dict(learning_rate=FULL_BATCH_SCHEDULE[optimizer])
    _same_fit(cls(**kw).fit(X, y), cls(**kw, **explicit, batch_size=None).fit(X, y))


@pytest.mark.parametrize("optimizer", ["adam", "lion"])
def test_horizon_rules_keep_adaptive_and_their_auto_rate_with_mini_batches(optimizer):
    """The cosine run and its start are full-batch ``fit``'s: mini-batches and
    ``partial_fit`` keep ``"adaptive"`` from the optimizer's ``auto_rate``."""
    X, y = _data()
    kw = dict(optimizer=optimizer, random_state=0, max_iter=20)
    rate = OPTIMIZERS[optimizer]().auto_rate
    _same_fit(SGDLinearRegressor(**kw, batch_size=32).fit(X, y),
              SGDLinearRegressor(**kw, batch_size=32, learning_rate="adaptive",
                                 eta0=rate).fit(X, y))
    est = SGDLinearRegressor(optimizer=optimizer, random_state=0).partial_fit(X, y)
    ref = SGDLinearRegressor(optimizer=optimizer, random_state=0, learning_rate="adaptive",
                             eta0=rate, batch_size=ROWS_PER_BATCH).partial_fit(X, y)
    _same_fit(est, ref)


@pytest.mark.parametrize("cls", [SGDLinearRegressor, SGDLogisticClassifier])
def test_lion_auto_runs_its_cosine_to_the_end_and_early_stopping_still_stops(cls):
    """Lion's full-batch "auto": cosine from eta0 to 0 over max_iter epochs, all of them
    run (tol stops nothing, no ConvergenceWarning: the end is the schedule's), landing at
    the exact solver's objective; with early_stopping the validation score stops it."""
    X, y = _data(classify=cls is SGDLogisticClassifier)
    if cls is SGDLogisticClassifier:  # 15 % of the labels flipped: a finite optimum
        y = np.where(np.random.RandomState(1).rand(len(y)) < 0.15, 1 - y, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = cls(optimizer="lion", random_state=0, max_iter=400).fit(X, y)
    assert est.n_iter_ == 400
    if cls is SGDLinearRegressor:  # no penalty: least squares
        def J(coef, b):
            return 0.5 * np.mean((y - X @ coef - b) ** 2)
        exact = LinearRegression().fit(X, y)
        zero = J(np.zeros(X.shape[1]), y.mean())
    else:  # mean log loss + alpha ||w||^2 / 2, alpha = 1e-4 = 1 / (C n)
        def J(coef, b):
            z = X @ np.ravel(coef) + np.ravel(b)[0]
            return np.mean(np.logaddexp(0, z) - y * z) + 0.5e-4 * np.sum(np.square(coef))
        exact = LogisticRegression(C=1 / (1e-4 * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
        p = y.mean()
        zero = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    best = J(exact.coef_.ravel(), exact.intercept_)
    assert J(est.coef_.ravel(), est.intercept_) - best <= 1e-3 * (zero - best)
    stopped = cls(optimizer="lion", random_state=0, max_iter=400, early_stopping=True,
                  n_iter_no_change=3, tol=1e-1).fit(X, y)
    assert stopped.n_iter_ < 400


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "schedulefree_sgd"])
def test_auto_schedule_with_mini_batches_is_adaptive(optimizer):
    kw = dict(optimizer=optimizer, random_state=0, max_iter=30)
    X, y = _data(sparse=True)
    _same_fit(SGDLinearRegressor(**kw).fit(X, y),
              SGDLinearRegressor(**kw, batch_size=ROWS_PER_BATCH,
                                 learning_rate="adaptive").fit(X, y))
    X, y = _data()  # an explicit int batch on dense data too
    _same_fit(SGDLinearRegressor(**kw, batch_size=32).fit(X, y),
              SGDLinearRegressor(**kw, batch_size=32, learning_rate="adaptive").fit(X, y))


class _DuckAdam:
    """A user-defined optimizer that is not an ``Optimizer`` subclass (the protocol's
    two methods; the Python loop runs it): Adam's step."""

    def __init__(self):
        self._adam = Adam()

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def init_state(self, params):
        return self._adam.init_state(params)

    def step(self, grad, state, t):
        return self._adam.step(grad, state, t)


def test_user_optimizer_without_the_attribute_gets_adaptive():
    X, y = _data()
    assert not hasattr(_DuckAdam(), "full_batch_schedule")
    kw = dict(random_state=0, max_iter=40, eta0=0.05)
    _same_fit(SGDLinearRegressor(optimizer=_DuckAdam(), **kw).fit(X, y),
              SGDLinearRegressor(optimizer=_DuckAdam(), batch_size=None,
                                 learning_rate="adaptive", **kw).fit(X, y))


@pytest.mark.parametrize("value", ["Auto", "full", 0])
def test_bad_batch_size_names_the_parameter(value):
    with pytest.raises(ValueError, match="batch_size"):
        SGDLinearRegressor(batch_size=value).fit(*_data())


def test_bad_learning_rate_names_the_parameter():
    with pytest.raises(ValueError, match="learning_rate"):
        SGDLinearRegressor(learning_rate="automatic").fit(*_data())


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("learning_rate", ["optimal", "sequential"])
def test_a_schedule_that_ignores_eta0_skips_resolving_it(sparse, learning_rate, monkeypatch):
    """``"optimal"`` never reads ``eta0`` (``1 / (alpha (t0 + t))``): ``eta0="auto"``
    is then not resolved (no smoothness estimate, a pass over X saved per fit), and the
    fit is the same as with any explicit ``eta0``. A ``Sequential`` of such pieces
    alone is the same; one with a piece that reads ``eta0`` resolves it."""
    from skopt_gd import _precondition
    from skopt_gd.schedules import Constant, Optimal, Sequential

    calls = []
    lipschitz = _precondition.lipschitz
    monkeypatch.setattr(_precondition, "lipschitz",
                        lambda *a, **k: calls.append(1) or lipschitz(*a, **k))
    X, y = _data(sparse=sparse, classify=True)
    schedule = ("optimal" if learning_rate == "optimal"
                else Sequential([Optimal(), Optimal()], milestones=[3]))
    params = dict(learning_rate=schedule, batch_size=16, max_iter=5, tol=None,
                  random_state=0)
    auto = SGDLogisticClassifier(**params).fit(X, y)
    assert calls == []
    _same_fit(auto, SGDLogisticClassifier(eta0=123.0, **params).fit(X, y))
    mixed = Sequential([Constant(), Optimal()], milestones=[3])
    SGDLogisticClassifier(**{**params, "learning_rate": mixed}).fit(X, y)
    assert calls == [1]
