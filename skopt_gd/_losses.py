"""Losses: per-sample value and gradient with respect to the raw prediction.

Every loss works on ``raw`` of shape ``(n, k)`` (``k`` outputs, or ``k``
classes for the multinomial loss) and returns values of shape ``(n,)`` and
gradients of shape ``(n, k)``; the training loop forms weighted means of them.
Numerically stable forms are used throughout (no overflow for logits of any size).

Each loss also states how it scales, for the preconditioner (``_precondition.py``):
``degree`` p with ``loss(s r; eps) = s^p loss(r; eps / s)`` in the residual r
(regression; 0 for the classifier, whose targets are not rescaled), and
``curvature``, a bound on its second derivative in the prediction.
"""

import numpy as np
from scipy.special import expit, logsumexp, softmax


def log1pexp(z):
    """Stable ``log(1 + exp(z))``."""
    return np.logaddexp(0.0, z)


class SquaredError:
    """``0.5 (y - raw)^2`` summed over outputs."""

    degree, curvature = 2, 1.0

    def value(self, raw, y):
        r = raw - y
        return 0.5 * np.einsum("ij,ij->i", r, r)

    def gradient(self, raw, y):
        return raw - y


class Huber:
    """Quadratic for ``|r| <= epsilon``, linear beyond (``epsilon |r| - epsilon^2 / 2``)."""

    degree, curvature = 2, 1.0

    def __init__(self, epsilon):
        self.epsilon = epsilon

    def value(self, raw, y):
        a = np.abs(raw - y)
        e = self.epsilon
        return np.where(a <= e, 0.5 * a * a, e * a - 0.5 * e * e).sum(axis=1)

    def gradient(self, raw, y):
        return np.clip(raw - y, -self.epsilon, self.epsilon)


class EpsilonInsensitive:
    """``max(0, |y - raw| - epsilon)`` summed over outputs."""

    degree, curvature = 1, 1.0  # not smooth: 1 scales the columns like squared error

    def __init__(self, epsilon):
        self.epsilon = epsilon

    def value(self, raw, y):
        return np.maximum(np.abs(raw - y) - self.epsilon, 0.0).sum(axis=1)

    def gradient(self, raw, y):
        r = raw - y
        return np.where(np.abs(r) > self.epsilon, np.sign(r), 0.0).astype(raw.dtype)


class BinaryLogLoss:
    """Binary cross-entropy with a sigmoid link; ``y`` in {0, 1}, shape ``(n, 1)``."""

    degree, curvature = 0, 0.25

    def value(self, raw, y):
        return (log1pexp(raw) - y * raw)[:, 0]

    def gradient(self, raw, y):
        return expit(raw) - y

    @staticmethod
    def proba(raw):
        p = expit(raw[:, 0])
        return np.column_stack([1.0 - p, p])


class MultinomialLogLoss:
    """Softmax cross-entropy; ``y`` is one-hot, shape ``(n, n_classes)``."""

    degree, curvature = 0, 0.25

    def value(self, raw, y):
        return logsumexp(raw, axis=1) - np.einsum("ij,ij->i", raw, y)

    def gradient(self, raw, y):
        return softmax(raw, axis=1) - y

    @staticmethod
    def proba(raw):
        return softmax(raw, axis=1)


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
