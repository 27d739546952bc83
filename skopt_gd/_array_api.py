"""Array API path: fit and predict on torch, CuPy or ``array_api_strict`` arrays.

With ``sklearn.set_config(array_api_dispatch=True)`` and ``X`` from a
non-numpy Array API namespace, the data term's products -- the predictions
``X @ theta`` and the gradient ``X.T @ G`` -- run in ``X``'s namespace and on its
device (a GPU for CUDA tensors). Everything of size ``n_samples x n_features`` stays
there. The loss, its gradient and the class probabilities are the package's one
definition of each (``_losses.py``), evaluated on the host on the ``n_samples x
n_outputs`` predictions, which move to the host and their gradients back (a
``1 / n_features`` share of the traffic of reading ``X``).

The training loop itself (optimizer state, schedule, penalty and proximal
step, averaging, stopping) runs unchanged in numpy on the host, on the packed
parameters ``theta`` of ``(n_features + 1) x n_outputs`` numbers: each update
moves ``theta`` to the device and its gradient back -- the same design as the
dask path (``_dask.py``), with the device in place of the workers. The target
is encoded on the host (``n_samples`` labels, not the data) by the
estimators' own code, and stays there with the weights.

Fitted ``coef_`` and ``intercept_`` are arrays of the input's namespace and
device; ``decision_function`` and the regressor's ``predict`` return arrays
there too. ``classes_`` stays a numpy array of labels.
"""

import functools

import numpy as np

from sklearn.utils import check_random_state

from . import _loop, _precondition
from ._penalties import make_penalty
from ._validation import (
    check_weights, get_config, get_namespace_and_device, is_numpy_namespace, move_to,
)


def namespace(*arrays):
    """``(xp, device)`` when dispatch is on and the arrays are not numpy, else ``None``."""
    if not get_config()["array_api_dispatch"]:
        return None
    xp, is_array_api, device = get_namespace_and_device(*arrays)
    if not is_array_api or is_numpy_namespace(xp):
        return None
    return xp, device


def to_numpy(a):
    return move_to(a, xp=np, device="cpu")


def on_host(func, a, space):
    """``func`` of ``a``'s host copy, returned in ``a``'s namespace, device and dtype
    (``space`` is ``(xp, device)``, or ``None`` for a numpy ``a``: ``func(a)``)."""
    if space is None:
        return func(a)
    xp, device = space
    out = np.asarray(func(to_numpy(a)), dtype=_numpy_dtype(a))
    return move_to(out, xp=xp, device=device)


# ---- the problem the training loop sees ---------------------------------------------
class ArrayAPIProblem:
    """The data term of ``_loop.Problem``: ``X @ theta`` and ``X.T @ G`` in ``xp`` on
    ``device``; the loss and its gradient by the package's one definition
    (``Loss.value_and_gradient``) on the host, on the ``n x k`` predictions of the rows
    (``k`` outputs), which move between host and device each batch -- never ``X``."""

    def __init__(self, X, Y, sample_weight, loss, penalty, fit_intercept, xp, device):
        self.xp, self.device = xp, device
        self.X = _Rows(X, self._rows)  # as the loop indexes it
        self.Y, self.sample_weight = Y, sample_weight  # host arrays (n x k, n)
        self.loss, self.penalty, self.fit_intercept = loss, penalty, fit_intercept
        self.n_samples = X.shape[0]
        self.weight_mean = 0.0  # s_bar of the unbiased batch gradient (fit sets it)

    def _rows(self, a, idx):
        if isinstance(idx, slice):
            return a[idx, ...]
        return self.xp.take(a, move_to(np.asarray(idx), xp=self.xp, device=self.device), axis=0)

    def raw(self, X, theta):
        th = move_to(np.ascontiguousarray(theta), xp=self.xp, device=self.device)
        d = X.shape[1]
        out = X @ th[:d, ...]
        return out + th[d, ...] if self.fit_intercept else out

    def batch_value_and_grad(self, idx, theta):
        """Weighted loss sum, weight total and mean gradient over rows ``idx``."""
        xp = self.xp
        Xb, Yb, sb = self._rows(self.X.data, idx), self.Y[idx], self.sample_weight[idx]
        total = float(sb.sum())
        if total <= 0:
            return 0.0, total, None
        values, G = self.loss.value_and_gradient(to_numpy(self.raw(Xb, theta)), Yb)
        G *= (sb / _loop.batch_divisor(int(np.count_nonzero(sb > 0)), self.weight_mean,
                                       total))[:, None]
        Gd = move_to(G.astype(_numpy_dtype(Xb), copy=False), xp=xp, device=self.device)
        parts = [Xb.T @ Gd] + ([xp.sum(Gd, axis=0)[None, :]] if self.fit_intercept else [])
        grad = to_numpy(xp.concat(parts, axis=0) if len(parts) > 1 else parts[0])
        return float(values @ sb), total, grad.astype(theta.dtype, copy=False)

    def objective(self, theta, X=None, Y=None, sample_weight=None):
        """The documented objective ``J`` (on all rows when a selection is given as-is)."""
        X = self.X.data if X is None else X.data
        Y = self.Y if Y is None else Y
        s = self.sample_weight if sample_weight is None else sample_weight
        values = self.loss.value(to_numpy(self.raw(X, theta)), Y)
        return float(values @ s) / float(s.sum()) + self.penalty.value(theta)


class _Rows:
    """A device array that the numpy loop can slice by rows (``a[rows]``)."""

    def __init__(self, data, take):
        self.data, self._take = data, take
        self.shape, self.dtype = data.shape, data.dtype

    def __getitem__(self, rows):
        return self._take(self.data, rows)


# ---- fit and predict ----------------------------------------------------------------
def _check_X(X, xp, n_features=None):
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array for X, got {X.ndim} dimension(s).")
    if X.dtype not in (xp.float64, xp.float32):
        X = xp.astype(X, xp.float64)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the model is expecting "
                         f"{n_features} features as input.")
    return X


def _host_target(est, X, y, sample_weight, first, partial, classes):
    """Targets and weights encoded on the host by the estimator's own code."""
    n, np_dtype = X.shape[0], _numpy_dtype(X)
    y = np.asarray(to_numpy(y) if namespace(y) else y)
    if y.shape[0] != n:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"[{n}, {y.shape[0]}].")
    if est._is_classifier and y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    sw = to_numpy(sample_weight) if namespace(sample_weight) else sample_weight
    sw = check_weights(sw, np.empty((n, 0), dtype=np_dtype))
    Y, info = est._encode(y, np_dtype, reset=first, classes=classes)
    sw = sw * est._class_weights(y, info, partial)
    if not sw.sum() > 0:
        raise ValueError("sample_weight times class_weight sums to zero.")
    return Y, sw, info


def _numpy_dtype(X):
    return np.dtype(np.float32) if "float32" in str(X.dtype) else np.dtype(np.float64)


def fit(est, X, y, sample_weight, optimizer, schedule, *, partial, classes, space):
    """``BaseSGD._fit`` for Array API data: the data term on the device, the loop on the host."""
    xp, device = space
    if est.early_stopping:
        raise ValueError("early_stopping=True is not supported for Array API inputs (torch, "
                         "CuPy, array_api_strict); hold out a validation set yourself.")
    first = not (partial and hasattr(est, "_state"))
    X = _check_X(X, xp, None if first else est.n_features_in_)
    n, d = X.shape
    if n == 0:
        raise ValueError("Found array with 0 sample(s); fitting needs at least 1.")
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError("Input X contains NaN or infinity.")
    Y, sw, info = _host_target(est, X, y, sample_weight, first, partial, classes)
    n_outputs = est._n_outputs(Y, info)
    problem = ArrayAPIProblem(
        X, Y, sw, est._make_loss(n_outputs), make_penalty(est.penalty, est.alpha, est.l1_ratio, d),
        est.fit_intercept, xp, device)
    # _initial_state reads X's shape and dtype, and eta0="auto" its first rows; these
    # fits train in the original coordinates (preconditioning as None), s_bar of call 1
    head = np.asarray(to_numpy(X[:min(4096, n), ...]), dtype=_numpy_dtype(X))
    stand_in = _loop.Problem(head, None, None, None, None, est.fit_intercept)
    pre = (est._state.precond if not first else _precondition.identity(
        d, est.fit_intercept, n_outputs, weight_mean=_precondition.mean_weight(sw)))
    state = est._initial_state(optimizer, stand_in, n_outputs, first, partial, pre=pre)
    problem.weight_mean = state.precond.weight_mean
    zero = problem.objective(np.zeros_like(state.theta)) - problem.penalty.value(state.theta * 0)
    reference = max(zero, state.loss_curve[-1] if state.loss_curve else 0.0)
    continuing = partial and not first
    attributes = functools.partial(est._fitted_attributes, info=info, names=None,
                                   n_features=d, continuing=continuing)

    def expose(theta, state, n_epochs):  # the callbacks' model at each epoch
        attrs = attributes(theta, state, n_epochs)
        return {**attrs, **_on_device(attrs["coef_"], attrs["intercept_"], xp, device)}

    n_epochs, theta, _ = est._train(problem, optimizer, schedule, state, partial=partial,
                                 reference=reference, rng=check_random_state(est.random_state),
                                 expose=expose)
    est._assign(theta, state, n_epochs, info, None, d, continuing)
    for name, value in _on_device(est.coef_, est.intercept_, xp, device).items():
        setattr(est, name, value)
    return est


def _on_device(coef, intercept, xp, device):
    """``coef_`` and ``intercept_`` in X's namespace, on its device (fitted on the host)."""
    return {"coef_": move_to(np.asarray(coef), xp=xp, device=device),
            "intercept_": move_to(np.asarray(intercept), xp=xp, device=device)}


def decision(est, X, xp, device):
    """Raw scores ``X @ coef_.T + intercept_`` of shape (n, n_outputs), in ``X``'s namespace."""
    X = _check_X(X, xp, est.n_features_in_)
    coef = move_to(est.coef_, xp=xp, device=device)
    coef = xp.astype(coef[None, :] if coef.ndim == 1 else coef, X.dtype)
    intercept = xp.astype(xp.reshape(move_to(est.intercept_, xp=xp, device=device), (-1,)),
                          X.dtype)
    return X @ coef.T + intercept


# ---- classifier labels from raw scores (n, 1) or (n, k) in xp ---------------------------
def predict_labels(classes, raw, xp, device):
    """``classes_[index of the best score]``; numeric labels come back on ``device``."""
    idx = xp.astype(raw[:, 0] > 0, xp.int64) if raw.shape[1] == 1 else xp.argmax(raw, axis=1)
    if classes.dtype.kind in "biuf":
        return xp.take(move_to(classes, xp=xp, device=device), idx, axis=0)
    return classes[to_numpy(idx)]
