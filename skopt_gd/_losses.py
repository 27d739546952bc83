"""Losses: per-sample value and gradient with respect to the raw prediction.

Every loss works on ``raw`` of shape ``(n, k)`` (``k`` outputs, or ``k``
classes for the multinomial loss) and returns values of shape ``(n,)`` and
gradients of shape ``(n, k)``; the training loop forms weighted means of them.
Targets ``y`` are ``(n, k)`` for regression and ``(n, 1)`` for the classifier: the
binary label (0 or 1), or the multinomial class index (no one-hot ``n x k`` copy).
Numerically stable forms are used throughout (no overflow for logits of any size).

Each loss also states how it scales, for the preconditioner (``_precondition.py``):
``degree`` p with ``loss(s r; eps) = s^p loss(r; eps / s)`` in the residual r
(regression; 0 for the classifier, whose targets are not rescaled), and
``curvature``, a bound on its second derivative in the prediction.
"""

import math

import numpy as np
from scipy.special import expit, softmax

from ._jit import Compiled, driver, hook, readable


@hook(inline=True)
def row(h, R, Y, r, i, share):
    """Loss of row ``i`` at raw predictions ``R[r]``; ``R[r]`` becomes its gradient
    w.r.t. the raw predictions times ``share`` (the owner's ``row``)."""


@driver
def _rows(h, R, Y, values, share):
    for i in range(R.shape[0]):
        values[i] = row(h, R, Y, i, i, share)


class Loss(Compiled):
    """Base: the formula is the static ``row``; ``value`` / ``gradient`` run it."""

    _hyper_names = ()

    def _run(self, raw, y):
        R = np.array(raw, dtype=np.float64, order="C", ndmin=2)
        values = np.empty(R.shape[0])
        _rows(self.packed(), R, readable(np.ascontiguousarray(y, dtype=np.float64)), values,
              1.0)
        return values, R

    def value(self, raw, y):
        """Per-sample loss, shape ``(n,)``."""
        return self._run(raw, y)[0]

    def value_and_gradient(self, raw, y):
        """Per-sample loss ``(n,)`` and its gradient w.r.t. the raw predictions ``(n, k)``,
        in float64, from one pass of ``row``."""
        return self._run(raw, y)

    def gradient(self, raw, y):
        """Gradient w.r.t. the raw predictions, shape ``(n, k)``."""
        return self._run(raw, y)[1].astype(np.asarray(raw).dtype, copy=False)


class SquaredError(Loss):
    """``0.5 (y - raw)^2`` summed over outputs."""

    degree, curvature = 2, 1.0

    @staticmethod
    def row(h, R, Y, r, i, share):
        v = 0.0
        for c in range(Y.shape[1]):
            e = R[r, c] - Y[i, c]
            v += 0.5 * e * e
            R[r, c] = e * share
        return v


class Huber(Loss):
    """Quadratic for ``|r| <= epsilon``, linear beyond (``epsilon |r| - epsilon^2 / 2``)."""

    degree, curvature = 2, 1.0
    _hyper_names = ("epsilon",)

    def __init__(self, epsilon):
        self.epsilon = epsilon

    @staticmethod
    def row(h, R, Y, r, i, share):
        v, eps = 0.0, h.epsilon
        for c in range(Y.shape[1]):
            e = R[r, c] - Y[i, c]
            v += 0.5 * e * e if abs(e) <= eps else eps * abs(e) - 0.5 * eps * eps
            R[r, c] = min(max(e, -eps), eps) * share
        return v


class EpsilonInsensitive(Loss):
    """``max(0, |y - raw| - epsilon)`` summed over outputs."""

    degree, curvature = 1, 1.0  # not smooth: 1 scales the columns like squared error
    _hyper_names = ("epsilon",)

    def __init__(self, epsilon):
        self.epsilon = epsilon

    @staticmethod
    def row(h, R, Y, r, i, share):
        v, eps = 0.0, h.epsilon
        for c in range(Y.shape[1]):
            e = R[r, c] - Y[i, c]
            v += max(abs(e) - eps, 0.0)
            R[r, c] = ((1.0 if e > 0 else -1.0) if abs(e) > eps else 0.0) * share
        return v


class BinaryLogLoss(Loss):
    """Binary cross-entropy with a sigmoid link; ``y`` in {0, 1}, shape ``(n, 1)``:
    ``log(1 + e^z) - y z``, gradient ``sigmoid(z) - y``, in forms stable for any ``z``."""

    degree, curvature = 0, 0.25

    @staticmethod
    def row(h, R, Y, r, i, share):
        z = R[r, 0]
        ez = math.exp(-abs(z))
        R[r, 0] = ((1.0 / (1.0 + ez) if z >= 0 else ez / (1.0 + ez)) - Y[i, 0]) * share
        return max(z, 0.0) + math.log1p(ez) - Y[i, 0] * z

    @staticmethod
    def proba(raw):
        p = expit(raw[:, 0])
        return np.column_stack([1.0 - p, p])

    @staticmethod
    def local_curvature(raw):
        """Second derivative of each row's loss at ``raw``: ``p (1 - p)`` (at most
        ``curvature``; ``BaseSGD._refine`` whitens with it)."""
        p = expit(raw[:, 0])
        return p * (1.0 - p)


class MultinomialLogLoss(Loss):
    """Softmax cross-entropy ``logsumexp(z) - z_y``, gradient ``softmax(z) - e_y``;
    ``y`` is the class index (stored as a float), shape ``(n, 1)``; ``raw`` has one
    column per class."""

    degree, curvature = 0, 0.25

    @staticmethod
    def row(h, R, Y, r, i, share):
        k, label = R.shape[1], int(Y[i, 0])
        m = R[r, 0]
        for c in range(1, k):
            m = max(m, R[r, c])
        se = 0.0
        for c in range(k):
            se += math.exp(R[r, c] - m)
        v = m + math.log(se) - R[r, label]
        for c in range(k):
            R[r, c] = (math.exp(R[r, c] - m) / se - (1.0 if c == label else 0.0)) * share
        return v

    @staticmethod
    def proba(raw):
        return softmax(raw, axis=1)

    @staticmethod
    def local_curvature(raw):
        """Each row's curvature for one whitening shared by the classes: the largest
        diagonal entry ``p_c (1 - p_c)`` of its Hessian ``diag(p) - p p^T``."""
        p = softmax(raw, axis=1)
        return np.max(p * (1.0 - p), axis=1)


def log_proba_binary(raw):
    """Stable ``log [1 - sigmoid, sigmoid]`` of raw shape ``(n, 1)``."""
    from scipy.special import log_expit

    return np.column_stack([log_expit(-raw[:, 0]), log_expit(raw[:, 0])])


def log_proba_multinomial(raw):
    """Stable ``log softmax`` over classes."""
    from scipy.special import log_softmax

    return log_softmax(raw, axis=1)


REGRESSION_LOSSES = {
    "squared_error": lambda epsilon: SquaredError(),
    "huber": Huber,
    "epsilon_insensitive": EpsilonInsensitive,
}
