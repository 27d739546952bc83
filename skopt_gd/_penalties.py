"""Penalties: value, gradient of the smooth part, and proximal step of the L1 part.

All four penalties are one elastic-net family
``R(w) = l1_ratio ||w||_1 + (1 - l1_ratio) ||w||^2 / 2`` times ``alpha``:
``None`` has ``alpha = 0``, ``"l2"`` has ``l1_ratio = 0`` and ``"l1"`` has
``l1_ratio = 1``. The penalty acts on the coefficient rows only, never on the
intercept row of the packed parameter array.
"""

import numpy as np

from ._jit import driver, kernel, shrink

L1_RATIOS = {None: 0.0, "l2": 0.0, "l1": 1.0}


# ---- the formulas, once: the compiled engine inlines these; the methods below run them
@kernel
def sum_terms(a, b, w):
    """``sums`` with coordinate ``w`` added: ``(a + |w|, b + w^2)``."""
    return a + abs(w), b + w * w


@kernel
def sums(theta, n):
    """``(sum |w|, sum w^2)`` over the first ``n`` entries of a flat parameter array."""
    a, b = 0.0, 0.0
    for j in range(n):
        a, b = sum_terms(a, b, theta[j])
    return a, b


@kernel
def strength(abs_sum, sq_sum, l1, l2):
    """The elastic-net value ``l1 ||w||_1 + l2 ||w||^2 / 2`` from the two sums."""
    return l1 * abs_sum + 0.5 * l2 * sq_sum


@kernel
def smooth_gradient(w, l2):
    """Gradient of the smooth part ``l2 w^2 / 2`` at one coordinate."""
    return l2 * w


@kernel
def add_gradient(theta, grad, n, l2):
    """``grad[:n] +=`` the smooth part's gradient at ``theta``; returns ``sums(theta, n)``,
    taken in the same loop (the preconditioned update needs both at theta')."""
    a, b = 0.0, 0.0
    for j in range(n):
        w = theta[j]
        a, b = sum_terms(a, b, w)
        grad[j] += smooth_gradient(w, l2)
    return a, b


@driver
def _value(theta, n, l1, l2):
    a, b = sums(theta, n)
    return strength(a, b, l1, l2)


@driver
def _add_gradient(theta, grad, n, l2):
    add_gradient(theta, grad, n, l2)


@driver
def _shrink_all(w, threshold):
    for j in range(w.shape[0]):
        w[j] = shrink(w[j], threshold[j])


def soft_threshold(w, threshold):
    """``sign(w) max(|w| - threshold, 0)`` (``_jit.shrink``), elementwise, in place."""
    flat = w.reshape(-1)  # a view: w is a C-ordered block of the parameters
    _shrink_all(flat, np.broadcast_to(np.asarray(threshold, np.float64), w.shape)
                .astype(np.float64).reshape(-1))
    return w


class ElasticNet:
    """``alpha (l1_ratio ||w||_1 + (1 - l1_ratio) ||w||_2^2 / 2)`` on the first ``n_coef`` rows."""

    def __init__(self, alpha, l1_ratio, n_coef):
        self.l1 = alpha * l1_ratio
        self.l2 = alpha * (1.0 - l1_ratio)
        self.n_coef = n_coef

    def rescaled(self, l1_factor, l2_factor):
        """The same penalty with its L1 and L2 strengths multiplied (a change of units)."""
        out = ElasticNet(0.0, 0.0, self.n_coef)
        out.l1, out.l2 = self.l1 * l1_factor, self.l2 * l2_factor
        return out

    @property
    def active(self):
        return bool(self.l1 or self.l2)

    def value(self, theta):
        """The penalty at ``theta`` (``strength`` of its ``sums``)."""
        theta = np.ascontiguousarray(theta, dtype=np.float64)
        return float(_value(theta.reshape(-1), self.n_coef * _width(theta), self.l1, self.l2))

    def add_gradient(self, theta, grad):
        """Add the gradient of the smooth (L2) part to ``grad`` in place."""
        if self.l2:
            n = self.n_coef * _width(theta)
            flat = grad.reshape(-1)
            if not (grad.flags.c_contiguous and grad.dtype == np.float64):  # a copy: add back
                flat = np.ascontiguousarray(grad, dtype=np.float64).reshape(-1)
            _add_gradient(np.ascontiguousarray(theta, dtype=np.float64).reshape(-1), flat,
                          n, self.l2)
            if not np.shares_memory(flat, grad):
                grad[...] = flat.reshape(grad.shape)
        return grad

    def prox(self, theta, eta, scale):
        """Proximal step of the L1 part with step ``eta * scale`` (per coordinate)."""
        if self.l1:
            scale = np.asarray(scale, dtype=np.float64)
            if scale.size == theta.size:
                scale = scale.reshape(theta.shape)
            if scale.ndim and scale.shape[0] == theta.shape[0]:
                scale = scale[: self.n_coef]
            soft_threshold(theta[: self.n_coef], eta * self.l1 * scale)
        return theta


def _width(theta):
    """Entries per parameter row (outputs or classes) of a ``(rows, k)`` or flat array."""
    return theta.shape[1] if theta.ndim == 2 else 1


def make_penalty(penalty, alpha, l1_ratio, n_coef):
    """Build the elastic-net member named by the estimator's ``penalty``."""
    if penalty is None:
        return ElasticNet(0.0, 0.0, n_coef)
    ratio = l1_ratio if penalty == "elasticnet" else L1_RATIOS[penalty]
    return ElasticNet(alpha, ratio, n_coef)
