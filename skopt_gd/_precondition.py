r"""The preconditioned parametrization of ``preconditioning="auto"``.

The optimizer works on parameters :math:`\phi = (v, c)` tied to the user's
coefficients and intercept by one affine map, learned from the training data
of the first ``fit`` / ``partial_fit`` call:

.. math::
    w = s\, M v, \qquad b = m + s\,(c - \mu^\top M v)

where :math:`\mu` is the weighted column mean of dense X (0 for sparse X or
``fit_intercept=False``), :math:`m, s` the regression target's weighted mean
and standard deviation (0 and 1 for the classifier), and :math:`M` either

* ``"full"`` (dense X, no L1 part, few features): the symmetric whitening
  :math:`M = D^{-1} Q \Lambda^{-1/2} Q^\top` of the curvature
  :math:`\kappa\,\mathrm{Cov}(X) + \lambda_2 I = D Q \Lambda Q^\top D`, so the
  objective's Hessian in :math:`\phi` is about the identity; or
* ``"diag"``: :math:`M = D^{-1}`, :math:`D_j = \sqrt{\kappa \mathrm{Var}(x_j) + \lambda_2}`
  (Jacobi), which keeps the L1 proximal step exact: :math:`w_j = 0 \iff v_j = 0`.

:math:`\kappa` is the loss's curvature (1 squared error and Huber, 1/4 log loss)
and :math:`\lambda_2` the L2 part of the penalty in these units.

In :math:`\phi` the objective is :math:`\tilde J = J / s^p` (:math:`p = 2` for
squared error and Huber, 1 for epsilon-insensitive, 0 for the classifier), the
data term is that of the targets :math:`(y - m)/s` with the loss threshold
:math:`\epsilon / s`, and the penalty is evaluated at :math:`\theta' = (Mv,
c - \mu^\top M v)`: strengths :math:`\alpha \rho s^{1-p}` (L1) and
:math:`\alpha(1-\rho) s^{2-p}` (L2). So :math:`\tilde J` has the same minimizer
as :math:`J`, and a run to convergence lands where ``preconditioning=None`` does.

The training loop computes the data term and the penalty at :math:`\theta'`
(``forward``) and takes the optimizer's step on :math:`\phi` with the pulled
back gradient (``pullback``, :math:`M^\top`); dense X is never copied or
centred. Sparse X is never densified: its columns are scaled in a copy of its
non-zero values (``column_scale``; a single common scale when a penalty is
active, so that the penalty stays the same for every column) and :math:`M = I`.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._jit import driver, kernel

FULL_MAX_FEATURES = 256
"""Dense problems with at most this many features (and at most four times the batch
size) are whitened in full; larger ones get the diagonal (Jacobi) scaling."""

STATS_ROWS = 1 << 15
"""Rows the covariance of a full whitening is estimated on (evenly strided)."""

CLIP = 1e-10
"""Directions of eigenvalue below ``CLIP * largest`` (collinear columns, fewer rows than
columns) are left out of the whitening, as ``lstsq``'s ``rcond`` leaves them out: the
data do not determine them, and the fit keeps them at zero (its start)."""


@kernel
def _rows_sum(A, x, out, d, k):
    """``out[i, c] = sum_j A[j, i] x[j, c]`` (flat, ``k`` outputs) as a sum of the rows of
    ``A`` (``j`` ascending in each entry): the inner loop has no reduction, and
    vectorises with one output."""
    for i in range(d * k):
        out[i] = 0.0
    if k == 1:
        for j in range(d):
            p = x[j]
            for i in range(d):
                out[i] += A[j, i] * p
    else:
        for j in range(d):
            for i in range(d):
                m = A[j, i]
                for c in range(k):
                    out[i * k + c] += m * x[j * k + c]


@kernel
def _forward(pmode, Mf, md, shift, phi, out, d, k, fit_intercept):
    """``out = theta'`` of ``phi`` (``_precondition.Preconditioner.forward``): ``w' = M v``
    (``Mf = (M, M^T)`` full, ``pmode == 2``: the rows of ``M^T``; ``md`` diagonal),
    ``b' = c - shift . w'``. The loops run over the coefficients inside the outputs: with
    one output each is one flat loop (an inner loop of trip count one over the outputs
    cost more than its multiply and kept the loop from vectorising)."""
    nc = d * k
    if pmode == 2:
        _rows_sum(Mf[1], phi, out, d, k)
    else:
        for c in range(k):
            for j in range(d):
                out[j * k + c] = md[j] * phi[j * k + c]
    if fit_intercept:
        for c in range(k):
            acc = phi[nc + c]
            for j in range(shift.shape[0]):
                acc -= shift[j] * out[j * k + c]
            out[nc + c] = acc


@kernel
def _pullback(pmode, Mf, md, shift, grad, tmp, d, k, fit_intercept):
    """``grad`` (in theta') becomes the gradient in phi: ``M^T (g_w - shift g_b)``
    (``Preconditioner.pullback``); the intercept entries stay. A diagonal ``M`` acts
    element-wise, in place; the loops are ordered as ``_forward``'s."""
    nc = d * k
    centred = fit_intercept and shift.shape[0] > 0
    dest = grad if pmode == 1 else tmp
    for c in range(k):
        gb = grad[nc + c] if centred else 0.0
        for j in range(d):
            g = grad[j * k + c] - shift[j] * gb if centred else grad[j * k + c]
            dest[j * k + c] = md[j] * g if pmode == 1 else g
    if pmode == 2:
        _rows_sum(Mf[0], tmp, grad, d, k)  # M^T t as a sum of the rows of M


@kernel
def _diag_inverse(md, shift, wb, out, d, k, fit_intercept):
    """``out = phi`` of ``wb = theta'`` for a diagonal ``M`` (the inverse of ``_forward``):
    ``v = w' / md``, ``c = b' + shift . w'``. The compiled plain-SGD epoch maps back with
    it, and :meth:`Preconditioner.from_original` (warm starts) through ``_inverse_all``."""
    nc = d * k
    for j in range(d):
        for c in range(k):
            out[j * k + c] = wb[j * k + c] / md[j]
    if fit_intercept:
        for c in range(k):
            acc = wb[nc + c]
            for j in range(shift.shape[0]):
                acc += shift[j] * wb[j * k + c]
            out[nc + c] = acc


@driver
def _forward_all(pmode, Mf, md, shift, phi, out, d, k, fit_intercept):
    _forward(pmode, Mf, md, shift, phi, out, d, k, fit_intercept)


@driver
def _inverse_all(md, shift, wb, out, d, k, fit_intercept):
    _diag_inverse(md, shift, wb, out, d, k, fit_intercept)


@driver
def _pullback_all(pmode, Mf, md, shift, grad, tmp, d, k, fit_intercept):
    _pullback(pmode, Mf, md, shift, grad, tmp, d, k, fit_intercept)


@dataclass
class Preconditioner:
    """The affine map from the optimizer's parameters ``phi`` to ``theta' = (Mv, c - mu.Mv)``
    and on to the user's ``theta``. ``mode`` is ``None`` (identity), ``"diag"`` or ``"full"``."""

    n_features: int
    fit_intercept: bool
    mode: object = None
    M: np.ndarray = None  # (d,) for "diag", (d, d) for "full"
    shift: np.ndarray = None  # (d,) column means, or None
    y_loc: np.ndarray = None  # (k,)
    y_scale: float = 1.0
    degree: int = 0  # p: the objective in phi is J / y_scale**p
    column_scale: np.ndarray = None  # sparse X: the scaling applied to its values
    weight_mean: float = 1.0  # mean training weight of the first call
    # "full" whitened on all its rows: (kappa, l2, rows, weight sum), which ``lipschitz``
    # recognises (its curvature is then the identity by construction); else None
    whitened: tuple = None

    @property
    def objective_scale(self):
        """``J = objective_scale * J~``."""
        return float(self.y_scale) ** self.degree

    def prox_weights(self):
        """Per-row factor of the L1 threshold in ``phi`` (``|M_jj|``; 1 for the intercept
        row, which the penalty never touches), shaped like a column of ``phi``."""
        if self.mode != "diag":
            return 1.0
        return np.append(np.abs(self.M), [1.0] * self.fit_intercept)[:, None]

    def kernel_args(self):
        """``(pmode, Mf, md, shift)`` of ``_forward`` / ``_pullback``: 0 identity, 1 diagonal
        (``md``), 2 full (``Mf``: ``M`` and ``M^T``, each C-ordered); ``shift`` empty
        without centring. Built once per map: the Python loop maps every update, and a
        full ``Mf`` is two ``d x d`` copies."""
        args = self.__dict__.get("_kernel_args")
        if args is None:
            pmode = {None: 0, "diag": 1, "full": 2}[self.mode]
            Mf = (np.ascontiguousarray(np.stack([self.M, self.M.T]), np.float64)
                  if pmode == 2 else np.zeros((2, 0, 0)))
            md = np.ascontiguousarray(self.M, np.float64) if pmode == 1 else np.zeros(0)
            shift = (np.ascontiguousarray(self.shift, np.float64)
                     if (self.shift is not None and self.fit_intercept) else np.zeros(0))
            args = self.__dict__["_kernel_args"] = (pmode, Mf, md, shift)
        return args

    def __getstate__(self):
        """Pickles without ``kernel_args``'s copies (rebuilt on first use)."""
        state = dict(self.__dict__)
        state.pop("_kernel_args", None)
        return state

    def forward(self, phi):
        """``theta'`` of ``phi`` (``phi`` itself for the identity; ``_forward``)."""
        if self.mode is None:
            return phi
        flat = np.ascontiguousarray(phi, dtype=np.float64).reshape(-1)
        out = np.empty_like(flat)
        _forward_all(*self.kernel_args(), flat, out, self.n_features, phi.shape[1],
                     self.fit_intercept)
        return out.reshape(phi.shape).astype(phi.dtype, copy=False)

    def pullback(self, grad):
        """Gradient in ``phi`` of a gradient ``grad`` in ``theta'`` (``_pullback``)."""
        if self.mode is None:
            return grad
        flat = np.ascontiguousarray(grad, dtype=np.float64).reshape(-1).copy()
        _pullback_all(*self.kernel_args(), flat, np.empty_like(flat), self.n_features,
                      grad.shape[1], self.fit_intercept)
        return flat.reshape(grad.shape).astype(grad.dtype, copy=False)

    def to_original(self, phi):
        """The user's ``theta`` (coefficient rows, then the intercept) of ``phi``."""
        theta = np.array(self.forward(phi), dtype=phi.dtype, copy=True)
        d = self.n_features
        if self.column_scale is not None:
            theta[:d] *= self.column_scale[:, None]
        theta *= self.y_scale
        if self.fit_intercept:
            theta[d] += self.y_loc
        return theta

    def from_original(self, theta):
        """``phi`` of the user's ``theta`` (warm starts); the inverse of ``to_original``."""
        d = self.n_features
        t = np.array(theta, dtype=np.float64, copy=True)
        if self.fit_intercept:
            t[d] -= self.y_loc
        t /= self.y_scale
        if self.column_scale is not None:
            t[:d] /= self.column_scale[:, None]
        if self.mode is None:
            return t.astype(theta.dtype)
        _, _, md, shift = self.kernel_args()
        flat = np.ascontiguousarray(t).reshape(-1)
        phi = np.empty_like(flat)
        _inverse_all(md if self.mode == "diag" else np.ones(d), shift, flat, phi, d,
                     t.shape[1], self.fit_intercept)
        phi = phi.reshape(t.shape)
        if self.mode == "full":  # v solves M v = w' (the intercept is the kernel's)
            phi[:d] = np.linalg.lstsq(self.M, t[:d], rcond=None)[0]
        return phi.astype(theta.dtype)


def mean_weight(sw):
    """``s_bar``: the mean of the positive training weights (zero-weight rows are as if
    absent; see ``_loop.batch_divisor``)."""
    if sw.ndim and sw.shape[0] > 1 and sw.strides[0] == 0:  # uniform: one shared value
        return float(sw[0])
    sw = np.asarray(sw)
    return float(sw[sw > 0].mean()) if sw.ndim and sw.shape[0] > 1 else float(sw.mean())


def identity(n_features, fit_intercept, n_outputs, weight_mean=1.0):
    """The map of ``preconditioning=None``: the optimizer works on ``theta`` itself."""
    return Preconditioner(n_features, fit_intercept, y_loc=np.zeros(n_outputs),
                          weight_mean=weight_mean)


SPARSE_BLOCK_NNZ = 1 << 18
"""Non-zeros per row block of the sparse column moments."""

STATS_BLOCK_BYTES = 1 << 19
"""Bytes of dense rows per block of the statistics below: their temporaries stay far
below 10 % of X (the memory target)."""


def row_blocks(X, block_bytes):
    """Row slices of about ``block_bytes`` of dense X each (one slice for sparse X)."""
    n = X.shape[0]
    step = n
    if isinstance(X, np.ndarray):
        step = max(64, block_bytes // max(X.shape[1] * X.itemsize, 1))
    return [slice(lo, lo + step) for lo in range(0, n, step)] or [slice(0, 0)]


def _weighted_moments(X, sw, center, variances=True):
    """Weighted column means (or zeros) and (``variances``; else ``None``) variances
    (second moments uncentred)."""
    total = float(sw.sum())
    if sp.issparse(X):  # in row blocks of the CSR arrays: no copy of X's non-zeros
        X, d = X.tocsr(), X.shape[1]
        if not X.has_canonical_format:  # duplicate entries: the value is their sum
            X = X.copy()
            X.sum_duplicates()
        second, step = np.zeros(d), max(1, X.shape[0] * SPARSE_BLOCK_NNZ // max(X.nnz, 1))
        for lo in range(0, X.shape[0], step):
            ptr = X.indptr[lo:lo + step + 1]
            v = np.asarray(X.data[ptr[0]:ptr[-1]], dtype=np.float64)
            w = np.repeat(np.asarray(sw[lo:lo + step], dtype=np.float64), np.diff(ptr))
            second += np.bincount(X.indices[ptr[0]:ptr[-1]], weights=v * v * w, minlength=d)
        return np.zeros(d), second / total
    mean = _weighted_sum(X, sw) / total if center else np.zeros(X.shape[1])
    if not variances:
        return mean, None
    return mean, _weighted_sum(X, sw, lambda B: (B - mean) ** 2) / total


def _weighted_sum(A, sw, f=None):
    """``sum_i s_i f(a_i)`` (``f`` the identity if ``None``) over the rows of dense ``A``,
    in float64 row blocks of ``STATS_BLOCK_BYTES``: no n-sized temporaries, float32 data
    copied one block at a time, and each block's weights a real vector -- a uniform
    ``sw`` is a zero-stride view, which numpy's matmul reads in a loop 6x slower than
    BLAS (15 ms vs 2.5 at 80,000 x 100)."""
    out = np.zeros(A.shape[1])
    for block in row_blocks(A, STATS_BLOCK_BYTES):
        B = np.asarray(A[block], dtype=np.float64)
        out += np.ascontiguousarray(sw[block], dtype=np.float64) @ (B if f is None else f(B))
    return out


def _strided(X, sw, rows):
    """About ``rows`` evenly strided rows of X and their weights (float64)."""
    stride = max(1, X.shape[0] // rows)
    return X[::stride], np.asarray(sw[::stride], dtype=np.float64)


def _covariance(X, sw, mean):
    """Weighted covariance of dense X's (evenly strided) rows about ``mean``."""
    rows, weights = _strided(X, sw, STATS_ROWS)
    if not weights.sum() > 0:
        rows, weights = X, np.asarray(sw, dtype=np.float64)
    cov = np.zeros((X.shape[1], X.shape[1]))
    for block in row_blocks(rows, STATS_BLOCK_BYTES):
        B = np.asarray(rows[block], dtype=np.float64) - mean
        cov += (B * weights[block, None]).T @ B
    return cov / weights.sum()


def _whitening(cov, kappa, l2):
    """``M`` with ``M^T (kappa cov + l2 I) M ~ I`` on the span of the data (Jacobi
    first, then eigen)."""
    scale = np.sqrt(np.maximum(kappa * np.diag(cov) + l2, 0.0))
    flat = ~(np.diag(cov) > 0)  # constant columns: no information, a coefficient of 0
    scale[~(scale > 0)] = 1.0
    H = (kappa * cov + l2 * np.eye(len(cov))) / np.outer(scale, scale)
    H[flat, :] = H[:, flat] = 0.0
    lam, Q = np.linalg.eigh((H + H.T) / 2)
    keep = lam > CLIP * max(lam.max(), 1e-300)
    inv_root = np.zeros_like(lam)
    inv_root[keep] = 1.0 / np.sqrt(lam[keep])
    M = ((Q * inv_root) @ Q.T) / scale[:, None]  # the symmetric H^(-1/2): unique, so
    M[flat, :] = 0.0  # the same data give the same phi (per-coordinate optimizers care)
    return M


def _target(Y, sw, fit_intercept, degree):
    """Target location ``m`` (per output) and common scale ``s`` of the regression."""
    if degree == 0:
        return np.zeros(Y.shape[1]), 1.0
    total = float(np.sum(sw))
    loc = _weighted_sum(Y, sw) / total if fit_intercept else np.zeros(Y.shape[1])
    spread = float(np.sqrt(np.mean(_weighted_sum(Y, sw, lambda B: (B - loc) ** 2)) / total))
    return loc, (spread if np.isfinite(spread) and spread > 0 else 1.0)


def whitens(X, batch_size, l1):
    """Whether ``fit`` whitens in full (else diagonal scaling, or columns for sparse X)."""
    d = X.shape[1]
    return not sp.issparse(X) and d <= FULL_MAX_FEATURES and d <= 4 * batch_size and not l1


def statistics(X, sw, *, fit_intercept, full):
    """What ``fit`` reads of X: weighted column means, and the variances (diagonal
    scalings) or (``full``) the covariance. They do not depend on the penalty's
    strength, so fits of several ``alpha`` on the same rows can share them
    (``fit(..., stats=...)``: the ``...CV`` path does)."""
    mean, var = _weighted_moments(X, sw, center=fit_intercept and not sp.issparse(X),
                                  variances=not full)
    return mean, var, (_covariance(X, sw, mean) if full else None)


def fit(X, Y, sw, *, fit_intercept, kappa, degree, l1, l2, batch_size, stats=None):
    """Learn the preconditioner of ``(X, Y)`` with weights ``sw``.

    ``l1`` and ``l2`` are the penalty's strengths in the user's units (``alpha *
    l1_ratio`` and ``alpha * (1 - l1_ratio)``); ``kappa`` the loss's curvature;
    ``degree`` its homogeneity ``p`` in the residual; ``stats`` a ``statistics`` of the
    same rows with the covariance when ``fit`` uses it (computed here if ``None``).
    """
    n, d = X.shape
    y_loc, y_scale = _target(Y, sw, fit_intercept, degree)
    l2_here = l2 * y_scale ** (2 - degree)  # the L2 strength in theta' units
    sparse = sp.issparse(X)
    full = whitens(X, batch_size, l1)
    if stats is None or (full and stats[2] is None):
        stats = statistics(X, sw, fit_intercept=fit_intercept, full=full)
    mean, var, cov = stats
    common = dict(n_features=d, fit_intercept=fit_intercept, y_loc=y_loc, y_scale=y_scale,
                  degree=degree, weight_mean=mean_weight(sw))
    shift = mean if fit_intercept and not sparse else None
    if full:
        exact = n <= min(STATS_ROWS, LIPSCHITZ_ROWS)  # the covariance of all rows
        return Preconditioner(**common, mode="full", M=_whitening(cov, kappa, l2_here),
                              shift=shift, whitened=(float(kappa), float(l2_here), n,
                                                     float(np.sum(sw))) if exact else None)
    if var is None:  # statistics made for a full whitening, which reads no variances
        var = _weighted_moments(X, sw, center=fit_intercept and not sparse)[1]
    scale = np.sqrt(np.maximum(kappa * var + l2_here, 0.0))
    scale[~(scale > 0)] = 1.0
    if sparse:
        if l1 or l2:  # one scale for all columns: the penalty acts alike on each
            scale = np.full(d, float(np.sqrt(np.mean(scale**2))))
        return Preconditioner(**common, column_scale=1.0 / scale)
    return Preconditioner(**common, mode="diag", M=1.0 / scale, shift=shift)


def scale_sparse(X, column_scale):
    """CSR ``X @ diag(column_scale)``: a copy of the values only (never densified; the
    scaled values are computed in that copy, no other temporary of their size)."""
    data = column_scale[X.indices].astype(X.dtype, copy=False)
    np.multiply(X.data, data, out=data)
    return sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape)


LIPSCHITZ_ROWS = 1 << 12
"""Rows (evenly strided) the power iteration of ``lipschitz`` runs on."""


def _phi_rows(pre, Xs):
    """The rows of the design in phi, ``M^T (x_i - mu)`` (dense; CSR rows as they are)."""
    if sp.issparse(Xs) or pre.mode is None:
        return Xs
    B = np.asarray(Xs, dtype=np.float64)
    if pre.shift is not None and pre.fit_intercept:
        B = B - pre.shift
    return B @ pre.M if pre.mode == "full" else B * pre.M


def _top_row(rows, pre):
    """The largest ``||z_i||^2`` over blocks of the rows mapped to phi (``z_i``)."""
    top_row = 0.0
    for block in row_blocks(rows, STATS_BLOCK_BYTES):
        Z = _phi_rows(pre, rows[block])
        top_row = max(top_row, float(np.einsum("ij,ij->i", Z, Z).max(initial=0.0)))
    return top_row


def row_moments(X, sw, pre):
    """``(rows, weights, G)``: ``lipschitz``'s evenly strided rows of dense X, their
    weights and the weighted Gram matrix ``G`` of ``(x_i - shift, c)`` (``shift`` the
    map's centring, ``c`` 1 with an intercept, else 0); ``None`` where ``lipschitz``
    reads no Gram matrix (sparse or wide X). ``G`` depends on the map only
    through its centring (the column means, the same at every penalty strength), so
    fits of several ``alpha`` on the same rows can share it (the ``...CV`` path does):
    the Gram matrix of the rows in phi is ``A^T G A`` for ``A = diag(M, 1)``."""
    if not _exact_smoothness(X):
        return None
    rows, weights = _strided(X, sw, LIPSCHITZ_ROWS)
    return rows, weights, _gram(rows, weights, pre)


def _exact_smoothness(X):
    """Whether ``lipschitz`` takes the top eigenvalue of a (d+1)^2 matrix (dense X of
    at most ``FULL_MAX_FEATURES`` columns) rather than power iterations on the rows."""
    return not sp.issparse(X) and X.shape[1] <= FULL_MAX_FEATURES


def _gram(rows, weights, pre):
    """``row_moments``' ``G`` of these rows."""
    shift = pre.shift if pre.shift is not None and pre.fit_intercept else None
    G = np.zeros((rows.shape[1] + 1, rows.shape[1] + 1))
    for block in row_blocks(rows, STATS_BLOCK_BYTES):
        B = np.asarray(rows[block], dtype=np.float64)
        A = np.column_stack([B if shift is None else B - shift,
                             np.full(B.shape[0], float(pre.fit_intercept))])
        G += (A * weights[block, None]).T @ A
    return G


def _phi_gram(G, pre):
    """``A^T G A``, ``A = diag(M, 1)``: ``row_moments``' Gram matrix in phi."""
    if pre.mode is None:
        return G.copy()
    d = G.shape[0] - 1
    H = np.empty_like(G)
    if pre.mode == "full":
        H[:d, :d] = pre.M.T @ G[:d, :d] @ pre.M
        H[:d, d] = pre.M.T @ G[:d, d]
    else:
        H[:d, :d] = G[:d, :d] * np.outer(pre.M, pre.M)
        H[:d, d] = pre.M * G[:d, d]
    H[d, :d], H[d, d] = H[:d, d], G[d, d]
    return H


def _top_eigenvalue(rows, weights, total, pre, curvature, l2, pen, need_rows, G):
    """Largest eigenvalue of the Hessian bound of ``lipschitz`` from its (d+1)^2 matrix,
    and the largest squared row norm in phi (``need_rows``; else 0). ``G``: the rows'
    ``row_moments`` (``None``: computed here, where needed).

    A full whitening of these very rows at this curvature and L2 strength
    (``pre.whitened``) makes the bound the identity on the span of the data, and the
    curvature for the intercept: ``M^T (kappa Cov + l2 I) M`` is the projector on the
    directions kept, and centred rows have no cross term with the intercept.
    """
    d = rows.shape[1]
    top_row = _top_row(rows, pre) if need_rows else 0.0
    if pre.whitened == (curvature, l2, rows.shape[0], total):
        return max(1.0 if np.any(pre.M) else 0.0, curvature * pre.fit_intercept), top_row
    H = _phi_gram(_gram(rows, weights, pre) if G is None else G, pre)
    H *= curvature / total
    H[:d, :d] += l2 * (pre.M.T @ pre.M if pre.mode == "full" else np.diag(pen))
    return float(np.linalg.eigvalsh((H + H.T) / 2)[-1]), top_row


def lipschitz(X, sw, pre, *, curvature, l2, batch_size, n_samples=None, iterations=30,
              moments=None):
    r"""Smoothness of a batch gradient of the objective in phi (for ``eta0="auto"``).

    ``L_B = n(B-1)/(B(n-1)) L + (n-B)/(B(n-1)) L_max`` (Gower et al. 2019, the
    expected smoothness of sampling batches of ``B`` of ``n`` rows), ``L`` the
    largest eigenvalue of the Hessian bound ``kappa Z^T S Z / sum S + l2 M^T M``
    (power iteration) and ``L_max`` the largest ``kappa ||z_i||^2`` of one row,
    with ``z_i`` the row in phi (and 1 for the intercept), on evenly strided rows.
    ``moments``: ``row_moments(X, sw, pre)`` where already known (computed here where
    needed if ``None``).
    """
    pen = np.ones(X.shape[1]) if pre.mode is None else (
        np.sum(pre.M**2, axis=0) if pre.mode == "full" else pre.M**2)
    rows, weights, G = moments or (*_strided(X, sw, LIPSCHITZ_ROWS), None)
    total = weights.sum() if weights.sum() > 0 else 1.0
    if _exact_smoothness(X):
        n = X.shape[0] if n_samples is None else n_samples
        # the one-row bound L_max: for batches smaller than the data, and for a single
        # row, whose smoothness _batch_smoothness takes to be that bound
        top, norms = _top_eigenvalue(rows, weights, total, pre, curvature, l2, pen,
                                     min(batch_size, n) < n or n == 1, G)
        return _batch_smoothness(top, curvature * (norms + pre.fit_intercept) + l2 * pen.max(),
                                 n, batch_size)
    Z = _phi_rows(pre, rows)
    u = np.linspace(1.0, 2.0, X.shape[1] + 1)
    top = 0.0
    for _ in range(iterations):
        u /= np.linalg.norm(u)
        raw = np.asarray(Z @ u[:-1]).ravel() + (u[-1] if pre.fit_intercept else 0.0)
        Hu = np.empty_like(u)
        Hu[:-1] = curvature * np.asarray(Z.T @ (weights * raw)).ravel() / total
        Hu[-1] = curvature * (weights @ raw) / total if pre.fit_intercept else 0.0
        Hu[:-1] += l2 * (pre.M.T @ (pre.M @ u[:-1]) if pre.mode == "full" else pen * u[:-1])
        top, u = float(u @ Hu), Hu
    rows = (np.asarray(Z.multiply(Z).sum(axis=1)).ravel() if sp.issparse(Z)
            else np.einsum("ij,ij->i", Z, Z))
    top_row = curvature * (float(rows.max(initial=0.0)) + pre.fit_intercept) + l2 * pen.max()
    return _batch_smoothness(top, top_row, X.shape[0] if n_samples is None else n_samples,
                             batch_size)


def _batch_smoothness(top, top_row, n, batch_size):
    """Gower et al.'s expected smoothness of batches of ``batch_size`` of ``n`` rows from
    the full-gradient smoothness ``top`` and the largest one-row smoothness ``top_row``."""
    B = min(batch_size, n)
    if n == 1:
        return max(top_row, np.finfo(float).tiny)
    L_B = n * (B - 1) / (B * (n - 1)) * top + (n - B) / (B * (n - 1)) * top_row
    return max(L_B, top, np.finfo(float).tiny)
