"""Penalties: value, gradient of the smooth part, and proximal step of the L1 part.

All four penalties are one elastic-net family
``R(w) = l1_ratio ||w||_1 + (1 - l1_ratio) ||w||^2 / 2`` times ``alpha``:
``None`` has ``alpha = 0``, ``"l2"`` has ``l1_ratio = 0`` and ``"l1"`` has
``l1_ratio = 1``. The penalty acts on the coefficient rows only, never on the
intercept row of the packed parameter array.
"""

import numpy as np

from ._jit import driver, shrink

L1_RATIOS = {None: 0.0, "l2": 0.0, "l1": 1.0}


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
        w = theta[: self.n_coef]
        return float(self.l1 * np.abs(w).sum() + 0.5 * self.l2 * np.einsum("ij,ij->", w, w))

    def add_gradient(self, theta, grad):
        """Add the gradient of the smooth (L2) part to ``grad`` in place."""
        if self.l2:
            grad[: self.n_coef] += self.l2 * theta[: self.n_coef]
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


def make_penalty(penalty, alpha, l1_ratio, n_coef):
    """Build the elastic-net member named by the estimator's ``penalty``."""
    if penalty is None:
        return ElasticNet(0.0, 0.0, n_coef)
    ratio = l1_ratio if penalty == "elasticnet" else L1_RATIOS[penalty]
    return ElasticNet(alpha, ratio, n_coef)
