"""Compiled epochs: the mini-batch loop of ``_loop.run_epoch`` as one numba call.

A per-sample or small-batch epoch in numpy pays ~30 Python-level operations
per update (µs each); compiled, an update costs what its arithmetic costs.
The numpy loop in ``_loop.py`` stays the reference: every kernel here is
tested equal to it, to round-off (``tests/test_kernels.py``), and is used only
for the component types registered below, with numba installed. Anything
else (a custom optimizer, a subclass, full batch, Fortran-ordered X) runs the
numpy loop.

Why integer codes: numba cannot cache a kernel that takes jitted functions as
arguments, so the kernel would be recompiled in every process. Each
registered class instead maps, through one table keyed by the class, to a
code and a flat vector of its hyperparameters; the compiled switch on the
code mirrors that class's ``step`` / ``prox_scale`` / ``value`` /
``gradient``, formula for formula.

Plain SGD (no momentum) with no L1 part and no averaging keeps the
coefficients as ``scale * v``, so the L2 shrinkage is one multiplication and
an update costs O(non-zeros of its rows), not O(n_features): what makes a
sparse epoch O(nnz) and a per-sample dense epoch as cheap as scikit-learn's.
"""

import contextlib
import math
import threading
import warnings

import numpy as np
import scipy.sparse as sp

from ._losses import BinaryLogLoss, EpsilonInsensitive, Huber, MultinomialLogLoss, SquaredError
from ._penalties import ElasticNet
from .optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, NAdam, RMSprop
from .schedules import Adaptive, Constant, Exponential, InvScaling, Optimal, Step

try:  # numba is a dependency; if it cannot load, the numpy loop runs
    import numba
except Exception:  # pragma: no cover - exercised only without numba
    numba = None

ENABLED = numba is not None
"""Switch for tests and debugging: ``False`` forces the numpy reference loop."""

MIN_UPDATES = 2
"""Epochs with fewer updates than this (full batch) stay in numpy (BLAS wins)."""

# class -> (code, hyperparameter names, state buffer names, scalar state names).
# A class whose get_params() has other names than these runs the numpy loop.
OPTIMIZER_KERNELS = {
    SGD: (0, ("momentum", "dampening", "nesterov"), ("momentum_buffer",), ()),
    Adagrad: (1, ("eps", "initial_accumulator_value"), ("sum",), ()),
    RMSprop: (2, ("rho", "eps", "momentum", "centered"),
              ("square_avg", "grad_avg", "momentum_buffer"), ()),
    Adadelta: (3, ("rho", "eps"), ("square_avg", "acc_delta"), ()),
    Adam: (4, ("beta1", "beta2", "eps", "amsgrad"), ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
           ()),
    Adamax: (5, ("beta1", "beta2", "eps"), ("exp_avg", "exp_inf"), ()),
    NAdam: (6, ("beta1", "beta2", "eps", "momentum_decay"), ("exp_avg", "exp_avg_sq"),
            ("mu_product",)),
}

# schedules whose ``rate`` accepts an array of update counts (the rest: one call each)
VECTOR_SCHEDULES = (Constant, InvScaling, Optimal, Adaptive, Exponential, Step)

# class -> (code, parameter)
LOSS_KERNELS = {
    SquaredError: (0, lambda loss: 0.0),
    Huber: (1, lambda loss: loss.epsilon),
    EpsilonInsensitive: (2, lambda loss: loss.epsilon),
    BinaryLogLoss: (3, lambda loss: 0.0),
    MultinomialLogLoss: (4, lambda loss: 0.0),
}


def _jit(func=None, inline="never"):
    """Compile with numba (cached on disk). Reassociation is allowed, so sums may
    be vectorised (results move by round-off); NaN and inf still propagate.
    ``inline="always"`` for the helpers: a call costs more than a short row."""
    if func is None:
        return lambda f: _jit(f, inline)
    if numba is None:
        return func
    return numba.njit(cache=True, nogil=True, error_model="numpy", inline=inline,
                      fastmath={"reassoc", "contract"}, _nrt=False)(func)


# ---- prefetching: a shuffled epoch reads rows at random; asking for the rows a few
# iterations ahead overlaps their memory latency with the work on the current ones
AHEAD = 16


def _prefetch_intrinsic():
    """``prefetch(array, *index)``: LLVM's prefetch of the element's cache line."""
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def prefetch(typingctx, arr, index):
        def codegen(context, builder, signature, args):
            aryty, idxty = signature.args
            ary = context.make_array(aryty)(context, builder, args[0])
            idx = [context.cast(builder, builder.extract_value(args[1], n), t, types.intp)
                   for n, t in enumerate(idxty)]
            ptr = cgutils.get_item_pointer(context, builder, aryty, ary, idx,
                                           wraparound=False)
            i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
            fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p], fnty)
            builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
            return context.get_dummy_value()
        return types.void(arr, index), codegen
    return prefetch


_prefetch = _prefetch_intrinsic() if numba is not None else None


def _jit_parallel(func):
    if numba is None:
        return func
    return numba.njit(cache=True, nogil=True, error_model="numpy", parallel=True,
                      fastmath={"reassoc", "contract"}, _nrt=False)(func)


_LAUNCH_LOCK = threading.Lock()


def _parallel_launch():
    """Context for a call that starts numba threads. numba's fallback "workqueue" layer
    aborts the process when two Python threads launch at once (e.g. fits under
    joblib's threading backend), so launches take turns there and while the layer is
    not yet known; the "tbb" and "omp" layers are thread-safe and run freely."""
    try:
        if numba.threading_layer() in ("tbb", "omp"):
            return contextlib.nullcontext()
    except ValueError:  # no parallel launch yet: the layer is chosen on the first
        pass
    return _LAUNCH_LOCK


PARALLEL_MIN = 1 << 16
"""Dense batches of at least this many entries (rows x features) share their gradient
among numba's threads; smaller ones cost more to hand out than they save."""


@_jit(inline="always")
def _prefetch_ahead(X, data, indices, indptr, sparse, order, q):
    """Prefetch row ``order[q + AHEAD]`` (its first 512 bytes; for CSR its ``indptr``
    entry, and the non-zeros of row ``order[q + AHEAD // 2]``)."""
    if q + AHEAD < order.shape[0]:
        i = order[q + AHEAD]
        if sparse:
            _prefetch(indptr, (i,))
            p = indptr[order[q + AHEAD // 2]]
            _prefetch(data, (p,))
            _prefetch(indices, (p,))
        else:
            d = X.shape[1]
            for j in range(0, min(d, 64), 8):
                _prefetch(X, (i, j))
            if d <= 64:  # a short row may straddle one more cache line
                _prefetch(X, (i, d - 1))


# ---- the rows of a batch: predictions, loss gradients, accumulation --------------
# Each helper loops over rows ``order[lo:hi]`` with its branches (CSR or dense,
# one output or several, which loss) outside the loop: a branch inside the row
# loop costs more than a short row. ``R`` holds one row per batch sample.
@_jit(inline="always")
def _w(sw, i):
    """Weight of row ``i``; a length-1 ``sw`` means every row weighs ``sw[0]``."""
    return sw[i] if sw.shape[0] != 1 else sw[0]


@_jit(inline="always")
def _row(order, q):
    """Row ``q`` of the epoch: ``order[q]``, or ``q`` itself for an empty ``order``."""
    return order[q] if order.shape[0] else q


@_jit(inline="always")
def _raw_rows(X, data, indices, indptr, sparse, order, lo, hi, theta, k, scale, nc,
              fit_intercept, R):
    """``R[r] = scale * x_i . theta[:d] + intercept`` (theta flat, row-major ``(d + 1, k)``)."""
    for r in range(hi - lo):
        for c in range(k):
            R[r, c] = 0.0
    if sparse:
        for q in range(lo, hi):
            _prefetch_ahead(X, data, indices, indptr, sparse, order, q)
            i = _row(order, q)
            if k == 1:
                acc = 0.0
                for p in range(indptr[i], indptr[i + 1]):
                    acc += data[p] * theta[indices[p]]
                R[q - lo, 0] = acc
            else:
                for p in range(indptr[i], indptr[i + 1]):
                    x, j = data[p], indices[p]
                    for c in range(k):
                        R[q - lo, c] += x * theta[j * k + c]
    elif k == 1:
        for q in range(lo, hi):
            _prefetch_ahead(X, data, indices, indptr, sparse, order, q)
            i, acc = _row(order, q), 0.0
            for j in range(X.shape[1]):
                acc += X[i, j] * theta[j]
            R[q - lo, 0] = acc
    else:
        for q in range(lo, hi):
            _prefetch_ahead(X, data, indices, indptr, sparse, order, q)
            i = _row(order, q)
            for j in range(X.shape[1]):
                x = X[i, j]
                for c in range(k):
                    R[q - lo, c] += x * theta[j * k + c]
    for r in range(hi - lo):
        for c in range(k):
            R[r, c] = scale * R[r, c] + (theta[nc + c] if fit_intercept else 0.0)


@_jit(inline="always")
def _loss_rows(code, eps, R, Y, sw, order, lo, hi, total):
    """Weighted loss sum of the rows (``_losses.py``, loss by loss); ``R`` becomes the
    gradient w.r.t. the raw predictions times ``sw_i / total``."""
    k, value = Y.shape[1], 0.0
    for q in range(lo, hi):
        i, r = _row(order, q), q - lo
        v, share = 0.0, _w(sw, i) / total
        if code == 0:  # SquaredError
            for c in range(k):
                e = R[r, c] - Y[i, c]
                v += 0.5 * e * e
                R[r, c] = e * share
        elif code == 1:  # Huber
            for c in range(k):
                e = R[r, c] - Y[i, c]
                v += 0.5 * e * e if abs(e) <= eps else eps * abs(e) - 0.5 * eps * eps
                R[r, c] = min(max(e, -eps), eps) * share
        elif code == 2:  # EpsilonInsensitive
            for c in range(k):
                e = R[r, c] - Y[i, c]
                v += max(abs(e) - eps, 0.0)
                R[r, c] = ((1.0 if e > 0 else -1.0) if abs(e) > eps else 0.0) * share
        elif code == 3:  # BinaryLogLoss: log(1 + e^z) - y z, gradient sigmoid(z) - y
            z = R[r, 0]
            ez = math.exp(-abs(z))
            v = max(z, 0.0) + math.log1p(ez) - Y[i, 0] * z
            R[r, 0] = ((1.0 / (1.0 + ez) if z >= 0 else ez / (1.0 + ez)) - Y[i, 0]) * share
        else:  # MultinomialLogLoss: logsumexp(z) - z.y, gradient softmax(z) - y
            m = R[r, 0]
            for c in range(1, k):
                m = max(m, R[r, c])
            se = 0.0
            for c in range(k):
                se += math.exp(R[r, c] - m)
            v = m + math.log(se)
            for c in range(k):
                v -= R[r, c] * Y[i, c]
                R[r, c] = (math.exp(R[r, c] - m) / se - Y[i, c]) * share
        value += _w(sw, i) * v
    return value


@_jit(inline="always")
def _axpy_rows(X, data, indices, indptr, sparse, order, lo, hi, G, k, nc, fit_intercept,
               out):
    """``out[:d, c] += sum_r G[r, c] x_i`` and ``out[d, c] += sum_r G[r, c]``."""
    for q in range(lo, hi):
        i, r = _row(order, q), q - lo
        if fit_intercept:
            for c in range(k):
                out[nc + c] += G[r, c]
        if sparse:
            for p in range(indptr[i], indptr[i + 1]):
                x, j = data[p], indices[p]
                for c in range(k):
                    out[j * k + c] += x * G[r, c]
        elif k == 1:
            g0 = G[r, 0]
            for j in range(X.shape[1]):
                out[j] += X[i, j] * g0
        else:
            for j in range(X.shape[1]):
                x = X[i, j]
                for c in range(k):
                    out[j * k + c] += x * G[r, c]


@_jit(inline="always")
def _scatter_rows(X, data, indices, indptr, sparse, order, lo, hi, G, k, nc, fit_intercept,
                  eta, scale, theta, avg, ratio):
    """``v -= (eta / scale) G_r x_i``, ``b -= eta G_r`` and ``u -= ratio * (change of v)``
    (the lazy average); returns the change of ``||v||^2``."""
    dsq, step = 0.0, eta / scale
    for q in range(lo, hi):
        i, r = _row(order, q), q - lo
        if fit_intercept:
            for c in range(k):
                theta[nc + c] -= eta * G[r, c]
        if sparse:
            for p in range(indptr[i], indptr[i + 1]):
                x, j = data[p], indices[p]
                for c in range(k):
                    delta, old = step * x * G[r, c], theta[j * k + c]
                    theta[j * k + c] = old - delta
                    dsq += delta * (delta - 2.0 * old)
                    avg[j * k + c] += ratio * delta
        elif k == 1 and ratio == 0.0:
            s0 = step * G[r, 0]
            for j in range(X.shape[1]):
                delta, old = s0 * X[i, j], theta[j]
                theta[j] = old - delta
                dsq += delta * (delta - 2.0 * old)
        else:
            for j in range(X.shape[1]):
                x = X[i, j]
                for c in range(k):
                    delta, old = step * x * G[r, c], theta[j * k + c]
                    theta[j * k + c] = old - delta
                    dsq += delta * (delta - 2.0 * old)
                    avg[j * k + c] += ratio * delta
    return dsq


@_jit(inline="always")
def _materialize(avg, theta, nc, beta, alpha):
    """Write the lazy average ``beta * u + alpha * v`` out explicitly into ``avg``."""
    for j in range(nc):
        avg[j] = beta * avg[j] + alpha * theta[j]


@_jit(inline="always")
def _penalty_value(theta, nc, l1, l2):
    """``l1 ||w||_1 + l2 ||w||^2 / 2`` over the first ``nc`` entries (``ElasticNet.value``)."""
    a, b = 0.0, 0.0
    for j in range(nc):
        w = theta[j]
        a += abs(w)
        b += w * w
    return l1 * a + 0.5 * l2 * b


# ---- optimizers: mirror of optimizers.py, fused into one pass per update ---------
# Per coordinate: gradient + L2 part -> the optimizer's direction and prox_scale ->
# theta -= eta * direction -> L1 prox -> averaging. The same pass zeroes the
# gradient for the next batch and sums the new penalty (the next batch's
# objective is taken at these parameters).
@_jit(inline="always")
def _ema(bufs, b, j, value, decay):
    bufs[b, j] += (1.0 - decay) * (value - bufs[b, j])


@_jit(inline="always")
def _put(theta, grad, j, direction, prox, eta, l1):
    """Update coordinate ``j`` by ``eta * direction`` and the L1 prox; zero its gradient."""
    w = theta[j] - eta * direction
    if l1 != 0.0:
        w = math.copysign(max(abs(w) - eta * l1 * prox, 0.0), w)
    theta[j] = w
    grad[j] = 0.0
    return w


@_jit(inline="always")
def _average(avg, theta, n_avg):
    """Running mean of the iterates (``_loop._average``)."""
    for j in range(theta.shape[0]):
        avg[j] = theta[j] if n_avg == 1 else avg[j] + (theta[j] - avg[j]) / n_avg


@_jit(inline="always")
def _constants(code, h, flags, scal, t):
    """Per-update scalars of the optimizer (bias corrections, ...); advances scalar state."""
    if code == 0:  # SGD: first step of the momentum buffer, prox_scale
        first, px = (1.0 if flags[0] == 0 else 0.0), 1.0
        if h[0] != 0.0:
            flags[0] = 1
            px = (1.0 - h[1]) / (1.0 - h[0])
            px = 1.0 + h[0] * px if h[2] != 0 else px
        return first, px, 0.0
    if code == 4:  # Adam
        return 1.0 - h[0] ** t, math.sqrt(1.0 - h[1] ** t), 0.0
    if code == 5:  # Adamax
        return 1.0 - h[0] ** t, 0.0, 0.0
    if code == 6:  # NAdam: mu_t, mu_{t+1} and their running product
        mu = h[0] * (1.0 - 0.5 * 0.96 ** (t * h[3]))
        mu_next = h[0] * (1.0 - 0.5 * 0.96 ** ((t + 1) * h[3]))
        scal[0] *= mu
        return ((1.0 - mu) / (1.0 - scal[0]), mu_next / (1.0 - scal[0] * mu_next),
                1.0 - h[1] ** t)
    return 0.0, 0.0, 0.0


@_jit(inline="always")
def _apply(code, h, bufs, cst, grad, theta, eta, l1, l2, l1w, k, lo, hi):
    """Update coordinates ``lo:hi``; returns their ``sum |w|`` and ``sum w^2`` afterwards.
    The L1 threshold of coordinate ``j`` is ``l1 * l1w[j // k]`` (the preconditioner's
    per-row factor; ``l1w`` has one entry per row of theta)."""
    a, b = 0.0, 0.0
    if code == 0:  # SGD: h = momentum, dampening, nesterov
        mu, tau, nesterov = h[0], h[1], h[2] != 0
        for j in range(lo, hi):
            g = grad[j] + l2 * theta[j]
            step = g
            if mu != 0.0:
                bufs[0, j] = g if cst[0] != 0 else bufs[0, j] * mu + (1.0 - tau) * g
                step = g + mu * bufs[0, j] if nesterov else bufs[0, j]
            w = _put(theta, grad, j, step, cst[1], eta, l1 * l1w[j // k])
            a, b = a + abs(w), b + w * w
    elif code == 1:  # Adagrad: h = eps
        for j in range(lo, hi):
            g = grad[j] + l2 * theta[j]
            bufs[0, j] += g * g
            den = math.sqrt(bufs[0, j]) + h[0]
            w = _put(theta, grad, j, g / den, 1.0 / den, eta, l1 * l1w[j // k])
            a, b = a + abs(w), b + w * w
    elif code == 2:  # RMSprop: h = rho, eps, momentum, centered
        rho, eps, mu, centered = h[0], h[1], h[2], h[3] != 0
        for j in range(lo, hi):
            g = grad[j] + l2 * theta[j]
            _ema(bufs, 0, j, g * g, rho)
            second = bufs[0, j]
            if centered:
                _ema(bufs, 1, j, g, rho)
                second = bufs[0, j] - bufs[1, j] ** 2
            den = math.sqrt(second) + eps
            step = g / den
            if mu != 0.0:
                bufs[2, j] = bufs[2, j] * mu + step
                step = bufs[2, j]
            w = _put(theta, grad, j, step, 1.0 / (den * (1.0 - mu)), eta, l1 * l1w[j // k])
            a, b = a + abs(w), b + w * w
    elif code == 3:  # Adadelta: h = rho, eps
        for j in range(lo, hi):
            g = grad[j] + l2 * theta[j]
            _ema(bufs, 0, j, g * g, h[0])
            delta = math.sqrt(bufs[1, j] + h[1]) / math.sqrt(bufs[0, j] + h[1]) * g
            _ema(bufs, 1, j, delta * delta, h[0])
            px = math.sqrt(bufs[1, j] + h[1]) / math.sqrt(bufs[0, j] + h[1])
            w = _put(theta, grad, j, delta, px, eta, l1 * l1w[j // k])
            a, b = a + abs(w), b + w * w
    elif code == 4:  # Adam / AMSGrad: h = beta1, beta2, eps, amsgrad; cst = bias corrections
        for j in range(lo, hi):
            g = grad[j] + l2 * theta[j]
            _ema(bufs, 0, j, g, h[0])
            _ema(bufs, 1, j, g * g, h[1])
            second = bufs[1, j]
            if h[3] != 0:
                bufs[2, j] = max(bufs[2, j], bufs[1, j])
                second = bufs[2, j]
            px = 1.0 / (math.sqrt(second) / cst[1] + h[2])
            w = _put(theta, grad, j, bufs[0, j] / cst[0] * px, px, eta, l1 * l1w[j // k])
            a, b = a + abs(w), b + w * w
    elif code == 5:  # Adamax: h = beta1, beta2, eps
        for j in range(lo, hi):
            g = grad[j] + l2 * theta[j]
            _ema(bufs, 0, j, g, h[0])
            bufs[1, j] = max(h[1] * bufs[1, j], abs(g) + h[2])
            px = 1.0 / (cst[0] * bufs[1, j])
            w = _put(theta, grad, j, bufs[0, j] * px, px, eta, l1 * l1w[j // k])
            a, b = a + abs(w), b + w * w
    else:  # NAdam: h = beta1, beta2, eps, momentum_decay
        for j in range(lo, hi):
            g = grad[j] + l2 * theta[j]
            _ema(bufs, 0, j, g, h[0])
            _ema(bufs, 1, j, g * g, h[1])
            px = 1.0 / (math.sqrt(bufs[1, j] / cst[2]) + h[2])
            w = _put(theta, grad, j, g * cst[0] * px + bufs[0, j] * cst[1] * px, px, eta,
                     l1 * l1w[j // k])
            a, b = a + abs(w), b + w * w
    return a, b


# ---- epochs --------------------------------------------------------------------
@_jit(inline="always")
def _total(sw, order, lo, hi):
    """Weight total of rows ``order[lo:hi]``."""
    total = 0.0
    for q in range(lo, hi):
        total += _w(sw, _row(order, q))
    return total


@_jit(inline="always")
def _positive(sw, order, lo, hi):
    """How many rows of ``order[lo:hi]`` have a positive weight (the batch's ``|B|``)."""
    if sw.shape[0] == 1:
        return hi - lo
    count = 0
    for q in range(lo, hi):
        count += _w(sw, _row(order, q)) > 0
    return count


@_jit(inline="always")
def _divisor(total, sbar, rows):
    """What a batch's weighted gradient sum is divided by (``_loop.batch_divisor``)."""
    return rows * sbar if sbar > 0 else total


@_jit(inline="always")
def _batch(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, theta, scale, nc,
           fit_intercept, loss_code, eps, G, sbar):
    """Loss sum and weight total of rows ``order[lo:hi]`` at ``scale * theta``; their
    weighted loss gradients (w.r.t. raw, over ``_divisor``) go to ``G``."""
    total = _total(sw, order, lo, hi)
    if not total > 0:
        return 0.0, total
    _raw_rows(X, data, indices, indptr, sparse, order, lo, hi, theta, Y.shape[1], scale, nc,
              fit_intercept, G)
    div = _divisor(total, sbar, _positive(sw, order, lo, hi))
    return _loss_rows(loss_code, eps, G, Y, sw, order, lo, hi, div), total


@_jit(inline="always")
def _blocks_grad(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block, theta, nc,
                 fit_intercept, loss_code, eps, total, G, out, want_grad):
    """Loss sum of rows ``order[lo:hi]``; with ``want_grad`` their share of the mean
    gradient (weights over ``total``) is added to ``out``. Rows go in blocks of
    ``block``, each read for its predictions and again for the gradient while still
    in cache: one pass over the rows' memory."""
    value = 0.0
    for blo in range(lo, hi, block):
        bhi = min(blo + block, hi)
        _raw_rows(X, data, indices, indptr, sparse, order, blo, bhi, theta, Y.shape[1], 1.0,
                  nc, fit_intercept, G)
        value += _loss_rows(loss_code, eps, G, Y, sw, order, blo, bhi, total)
        if want_grad:
            _axpy_rows(X, data, indices, indptr, sparse, order, blo, bhi, G, Y.shape[1], nc,
                       fit_intercept, out)
    return value


@_jit_parallel
def _batch_grad_threads(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block, theta,
                        nc, fit_intercept, loss_code, eps, total, Gt, partial, values):
    """``_blocks_grad`` for a large dense batch, its rows shared out among
    ``values.shape[0]`` threads: thread ``t``'s loss sum goes to ``values[t]``, its
    gradient share is added to ``partial[t]``."""
    threads = values.shape[0]
    for t in numba.prange(threads):
        values[t] = _blocks_grad(X, data, indices, indptr, sparse, Y, sw, order,
                                 lo + (hi - lo) * t // threads,
                                 lo + (hi - lo) * (t + 1) // threads, block, theta, nc,
                                 fit_intercept, loss_code, eps, total, Gt[t], partial[t],
                                 True)


@_jit(inline="always")
def _batch_grad(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block, theta, nc,
                fit_intercept, loss_code, eps, G, grad, Gt, partial, values, sbar):
    """Loss sum and weight total of rows ``order[lo:hi]``; their mean loss gradient
    (over ``_divisor``) is added to ``grad``, on ``values.shape[0]`` threads when there
    are several."""
    total = _total(sw, order, lo, hi)
    if not total > 0:
        return 0.0, total
    div = _divisor(total, sbar, _positive(sw, order, lo, hi))
    if values.shape[0] < 2:
        return _blocks_grad(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block,
                            theta, nc, fit_intercept, loss_code, eps, div, G, grad,
                            True), total
    _batch_grad_threads(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block, theta,
                        nc, fit_intercept, loss_code, eps, div, Gt, partial, values)
    value = 0.0
    for t in range(values.shape[0]):
        value += values[t]
        for j in range(grad.shape[0]):
            grad[j] += partial[t, j]
            partial[t, j] = 0.0
    return value, total


@_jit(inline="always")
def _forward(pmode, Mf, md, shift, phi, out, d, k, fit_intercept):
    """``out = theta'`` of ``phi`` (``_precondition.Preconditioner.forward``): ``w' = M v``
    (``Mf`` full, ``pmode == 2``; ``md`` diagonal), ``b' = c - shift . w'``."""
    nc = d * k
    if pmode == 2:
        for i in range(d):
            for c in range(k):
                out[i * k + c] = 0.0
            for j in range(d):
                m = Mf[i, j]
                for c in range(k):
                    out[i * k + c] += m * phi[j * k + c]
    else:
        for j in range(d):
            for c in range(k):
                out[j * k + c] = md[j] * phi[j * k + c]
    if fit_intercept:
        for c in range(k):
            acc = phi[nc + c]
            for j in range(shift.shape[0]):
                acc -= shift[j] * out[j * k + c]
            out[nc + c] = acc


@_jit(inline="always")
def _pullback(pmode, Mf, md, shift, grad, tmp, d, k, fit_intercept):
    """``grad`` (in theta') becomes the gradient in phi: ``M^T (g_w - shift g_b)``
    (``Preconditioner.pullback``); the intercept entries stay."""
    nc = d * k
    for j in range(d):
        for c in range(k):
            g = grad[j * k + c]
            if fit_intercept and shift.shape[0]:
                g -= shift[j] * grad[nc + c]
            tmp[j * k + c] = g
    if pmode == 2:
        for i in range(nc):
            grad[i] = 0.0
        for j in range(d):
            for i in range(d):
                m = Mf[j, i]
                for c in range(k):
                    grad[i * k + c] += m * tmp[j * k + c]
    else:
        for j in range(d):
            for c in range(k):
                grad[j * k + c] = md[j] * tmp[j * k + c]


@_jit
def _epoch(X, data, indices, indptr, sparse, Y, sw, order, batch_size, block, rates, theta,
           avg, grad, G, Gt, partial, values, bufs, flags, scal, hyper, opt_code, loss_code,
           eps, l1, l2, d, fit_intercept, average, counters, pmode, Mf, md, shift, l1w, thp,
           tmp, sbar):
    """The updates of one epoch (``_loop._update``, in order). ``counters`` (in/out):
    t, samples seen, n_avg, epoch objective sum, diverged flag, diverging value.
    With a preconditioner (``pmode`` 1 diagonal, 2 full) ``theta`` holds phi: each
    batch is taken at ``thp = theta'``, its gradient pulled back to phi."""
    n, k = Y.shape
    nc, P = d * k, theta.shape[0]
    t, seen, n_avg, t_start = int(counters[0]), counters[1], int(counters[2]), int(counters[0])
    a, b = _penalty_value(theta, nc, 1.0, 0.0), 2.0 * _penalty_value(theta, nc, 0.0, 1.0)
    l2_phi = l2 if pmode == 0 else 0.0  # with a preconditioner L2 acts at theta'
    epoch_value = 0.0
    for lo in range(0, n, batch_size):
        hi = min(lo + batch_size, n)
        src = theta
        if pmode != 0:
            _forward(pmode, Mf, md, shift, theta, thp, d, k, fit_intercept)
            src = thp
        value, total = _batch_grad(X, data, indices, indptr, sparse, Y, sw, order, lo, hi,
                                   block, src, nc, fit_intercept, loss_code, eps, G, grad, Gt,
                                   partial, values, sbar)
        if not total > 0:
            continue
        if not math.isfinite(value):
            counters[4], counters[5] = 1.0, value
            break
        if pmode != 0:
            if l1 != 0.0 or l2 != 0.0:
                value += total * _penalty_value(thp, nc, l1, l2)
            for j in range(nc):
                grad[j] += l2 * thp[j]
            _pullback(pmode, Mf, md, shift, grad, tmp, d, k, fit_intercept)
        elif l1 != 0.0 or l2 != 0.0:
            value += total * (l1 * a + 0.5 * l2 * b)
        t += 1
        seen += hi - lo
        if average and seen >= average:
            n_avg += 1
        eta, cst = rates[t - t_start - 1], _constants(opt_code, hyper, flags, scal, t)
        a, b = _apply(opt_code, hyper, bufs, cst, grad, theta, eta, l1, l2_phi, l1w, k, 0, nc)
        _apply(opt_code, hyper, bufs, cst, grad, theta, eta, 0.0, 0.0, l1w, k, nc, P)
        if average and seen >= average:
            _average(avg, theta, n_avg)
        epoch_value += value
    counters[0], counters[1], counters[2], counters[3] = t, seen, n_avg, epoch_value


@_jit
def _epoch_scaled(X, data, indices, indptr, sparse, Y, sw, order, batch_size, rates, theta,
                  avg, G, loss_code, eps, l2, d, fit_intercept, average, counters, sbar):
    """Plain SGD with an L2 (or no) penalty in O(non-zeros of the batch) per update.

    The coefficients are kept as ``scale * v`` (``v`` in ``theta``): the L2
    shrinkage of an update multiplies ``scale`` and only the batch's columns of
    ``v`` change; ``sq`` tracks ``||v||^2`` for the objective. Their running
    average is kept as ``beta * u + alpha * v`` (``u`` in ``avg``): an update
    changes the two scalars, and ``u`` only where ``v`` changed.
    """
    n, k = Y.shape
    nc = d * k
    t, seen, n_avg, t_start = int(counters[0]), counters[1], int(counters[2]), int(counters[0])
    scale, epoch_value, beta, alpha = 1.0, 0.0, 1.0, 0.0
    sq = 2.0 * _penalty_value(theta, nc, 0.0, 1.0)
    for lo in range(0, n, batch_size):
        hi = min(lo + batch_size, n)
        value, total = _batch(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, theta,
                              scale, nc, fit_intercept, loss_code, eps, G, sbar)
        if not total > 0:
            continue
        if not math.isfinite(value):
            counters[4], counters[5] = 1.0, value
            break
        value += total * 0.5 * l2 * scale * scale * sq
        t += 1
        eta = rates[t - t_start - 1]
        new_scale = scale * (1.0 - eta * l2)
        # fold the scale into v before it underflows; sooner while averaging, where
        # beta * u + alpha * v cancels to about |scale| / |its average| digits
        if abs(new_scale) < (1e-3 if n_avg else 1e-9):
            if n_avg:
                _materialize(avg, theta, nc, beta, alpha)
                beta, alpha = 1.0, 0.0
            for j in range(nc):
                theta[j] *= new_scale
            sq, new_scale = 2.0 * _penalty_value(theta, nc, 0.0, 1.0), 1.0
        scale = new_scale
        sq += _scatter_rows(X, data, indices, indptr, sparse, order, lo, hi, G, k, nc,
                            fit_intercept, eta, scale, theta, avg,
                            alpha / beta if n_avg else 0.0)
        seen += hi - lo
        epoch_value += value
        if average and seen >= average:
            n_avg += 1
            f = 1.0 - 1.0 / n_avg
            beta, alpha = (1.0, scale) if n_avg == 1 else (beta * f, alpha * f + scale / n_avg)
            for j in range(nc, nc + k if fit_intercept else nc):
                avg[j] = theta[j] if n_avg == 1 else avg[j] + (theta[j] - avg[j]) / n_avg
            if n_avg == 1:
                for j in range(nc):
                    avg[j] = 0.0
            elif beta < 1e-6:  # keep u from growing like 1 / beta
                _materialize(avg, theta, nc, beta, alpha)
                beta, alpha = 1.0, 0.0
    if n_avg:
        _materialize(avg, theta, nc, beta, alpha)
    for j in range(nc):
        theta[j] *= scale
    counters[0], counters[1], counters[2], counters[3] = t, seen, n_avg, epoch_value


@_jit_parallel
def _full_pass(X, data, indices, indptr, sparse, Y, sw, none, theta, nc, fit_intercept,
               loss_code, eps, total, block, G, values, partial, want_grad):
    """Loss sum and (optionally) mean gradient over all rows, one pass over X.

    Thread ``t`` takes the ``t``-th contiguous share of the rows, in blocks of
    ``block`` rows small enough to be read for the predictions and again for
    the gradient while in cache; its sums go to ``values[t]`` and ``partial[t]``.
    ``none`` is an empty row order (rows as stored).
    """
    n, threads = Y.shape[0], values.shape[0]
    for t in numba.prange(threads):
        values[t] = _blocks_grad(X, data, indices, indptr, sparse, Y, sw, none,
                                 n * t // threads, n * (t + 1) // threads, block, theta, nc,
                                 fit_intercept, loss_code, eps, total, G[t], partial[t],
                                 want_grad)


@_jit
def _full_pass_serial(X, data, indices, indptr, sparse, Y, sw, none, theta, nc, fit_intercept,
                      loss_code, eps, total, block, G, values, partial, want_grad):
    """``_full_pass`` on one thread (same arguments, one share of the rows)."""
    values[0] = _blocks_grad(X, data, indices, indptr, sparse, Y, sw, none, 0, Y.shape[0],
                             block, theta, nc, fit_intercept, loss_code, eps, total, G[0],
                             partial[0], want_grad)


# ---- the row order of a shuffled epoch: RandomState.shuffle, compiled -----------------
@_jit
def _mt19937_twist(key):
    """Refill the 624 words of an MT19937 state (numpy's ``mt19937_gen``)."""
    for i in range(624):
        y = (int(key[i]) & 0x80000000) | (int(key[(i + 1) % 624]) & 0x7FFFFFFF)
        key[i] = int(key[(i + 397) % 624]) ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)


@_jit
def _mt19937_shuffle(order, key, pos):
    """``RandomState.shuffle(order)`` drawing from the MT19937 state ``(key, pos)``:
    the same bounded draws (mask and reject) and swaps; returns the new ``pos``."""
    for i in range(order.shape[0] - 1, 0, -1):
        mask = i
        for shift in (1, 2, 4, 8, 16):
            mask |= mask >> shift
        while True:
            if pos == 624:
                _mt19937_twist(key)
                pos = 0
            y = int(key[pos])
            pos += 1
            y ^= y >> 11
            y ^= (y << 7) & 0x9D2C5680
            y ^= (y << 15) & 0xEFC60000
            y ^= y >> 18
            if y & mask <= i:
                break
        j = y & mask
        order[i], order[j] = order[j], order[i]
    return pos


def permutation(n, rng):
    """``rng.permutation(n)``, bit for bit, with ``rng`` advanced the same, as int32
    where it fits: the shuffle compiled (~3x faster) for a legacy MT19937 ``rng``."""
    order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
    state = rng.get_state(legacy=False)
    if numba is None or state["bit_generator"] != "MT19937" or n >= 2**31:
        rng.shuffle(order)
        return order
    key = np.array(state["state"]["key"], dtype=np.uint32)
    state["state"]["pos"] = _mt19937_shuffle(order, key, int(state["state"]["pos"]))
    state["state"]["key"] = key
    rng.set_state(state)
    return order


# ---- Python side: resolved once per fit, one call per epoch -----------------------
def _weights(sw, dtype):
    """Contiguous weights for the kernels; uniform ones (a zero-stride view) as one value."""
    if sw.ndim == 1 and sw.shape[0] > 1 and sw.strides[0] == 0:
        sw = sw[:1]
    return np.ascontiguousarray(sw, dtype=dtype)


def _layout_ok(X):
    """Whether the kernels read X as it is: CSR, or a C-contiguous ndarray."""
    if sp.issparse(X):
        return X.format == "csr"
    return isinstance(X, np.ndarray) and X.flags.c_contiguous


def _kernel_X(X):
    """X as the kernels take it: ``(dense X, (data, indices, indptr))``, with empty
    stand-ins for the half X does not use."""
    dtype = X.dtype
    if sp.issparse(X):
        return np.zeros((1, 1), dtype), (X.data, X.indices, X.indptr)
    empty = np.zeros(0, dtype=np.int32)
    return X, (np.zeros(0, dtype), empty, empty)


def epoch_runner(problem, plan, precond):
    """A compiled replacement of the numpy epoch for this fit, or ``None``."""
    layout_ok = _layout_ok(problem.X)
    opt = OPTIMIZER_KERNELS.get(type(plan.optimizer))
    loss = LOSS_KERNELS.get(type(problem.loss))
    if opt is not None and set(plan.optimizer.get_params(deep=False)) != set(opt[1]):
        opt = None
    if (not ENABLED or not layout_ok or opt is None or loss is None
            or type(problem.penalty) is not ElasticNet
            or -(-problem.n_samples // plan.batch_size) < MIN_UPDATES):
        return None
    return CompiledEpochs(problem, plan, opt, loss, precond)


class CompiledEpochs:
    """Packs the state into flat arrays, calls the kernel, unpacks (O(parameters))."""

    def __init__(self, problem, plan, opt, loss, precond):
        self.problem, self.plan = problem, plan
        self._precondition(precond, problem.X.shape[1])
        self.opt_code, names, self.buffers, self.scalars = opt
        self.hyper = np.array([getattr(plan.optimizer, name) for name in names], np.float64)
        self.loss_code, self.eps = loss[0], float(loss[1](problem.loss))
        X, dtype = problem.X, problem.X.dtype
        self.Y = np.ascontiguousarray(problem.Y, dtype=dtype)
        self.sw = _weights(problem.sample_weight, dtype)
        self.sparse = sp.issparse(X)
        self.X, self.csr = _kernel_X(X)
        # dense rows per cache block of a batch (~32 KiB); CSR rows are short: whole batch
        self.block = plan.batch_size if self.sparse else max(
            8, (1 << 15) // (X.itemsize * max(X.shape[1], 1)))
        pen = problem.penalty
        # w = scale * v pays where an update touches few coefficients: sparse rows or
        # dense batches of a few rows (else the plain per-update pass is as cheap)
        self.scaled = (self.opt_code == 0 and not plan.optimizer.momentum and not pen.l1
                       and (self.sparse or plan.batch_size < 8) and self.pmode == 0)

    def _precondition(self, pre, d):
        """The preconditioner as the kernel takes it (``_epoch``'s ``pmode`` ... ``sbar``)."""
        self.pmode = {None: 0, "diag": 1, "full": 2}[pre.mode]
        self.Mf = pre.M if self.pmode == 2 else np.zeros((0, 0))
        self.md = pre.M if self.pmode == 1 else np.zeros(0)
        self.shift = pre.shift if (pre.shift is not None and pre.fit_intercept) else np.zeros(0)
        weights = pre.prox_weights()
        self.l1w = np.ones(d + 1)
        if not np.isscalar(weights):
            self.l1w[:d] = weights[:d, 0]
        self.l1w[d] = 0.0  # the intercept row is never penalised
        self.sbar = float(pre.weight_mean)

    def rates(self, t, count, eta0):
        """Learning rates of updates ``t + 1 .. t + count`` (``Schedule.rate``)."""
        schedule = self.plan.schedule
        steps = np.arange(t + 1, t + count + 1)
        if type(schedule) in VECTOR_SCHEDULES:
            return np.ascontiguousarray(np.broadcast_to(
                np.asarray(schedule.rate(steps, eta0), dtype=np.float64), steps.shape))
        return np.array([schedule.rate(int(s), eta0) for s in steps], dtype=np.float64)

    def __call__(self, st, order):
        """Run one epoch on ``st``: (objective sum, diverging value or None), or
        ``None`` if the kernel cannot be compiled here (then the numpy loop runs)."""
        global ENABLED
        if not ENABLED:
            return None
        try:
            return self._run(st, order)
        except numba.core.errors.NumbaError as exc:  # compilation: before any update
            ENABLED = False
            warnings.warn(f"skopt_gd: compiled epochs disabled, using the numpy loop ({exc!r:.200})",
                          RuntimeWarning, stacklevel=2)
            return None

    def _run(self, st, order):
        pb, n, bs = self.problem, self.problem.n_samples, self.plan.batch_size
        if order is None:  # rows in their stored order
            order = np.zeros(0, dtype=np.int32)
        if not st.theta.flags.c_contiguous:
            st.theta = np.ascontiguousarray(st.theta)
        theta, shape = st.theta.reshape(-1), st.theta.shape
        rates = self.rates(st.t, -(-n // bs), st.eta_base)
        counters = np.array([st.t, st.samples_seen, st.n_avg, 0.0, 0.0, 0.0])
        d, pen = pb.X.shape[1], pb.penalty
        G = np.zeros((bs, shape[1]))  # per-row loss gradients of a batch
        avg = (np.zeros_like(theta) if st.avg_theta is None
               else np.ascontiguousarray(st.avg_theta, dtype=theta.dtype).reshape(-1).copy())
        if self.scaled:
            _epoch_scaled(self.X, *self.csr, self.sparse, self.Y, self.sw, order, bs, rates,
                          theta, avg, G, self.loss_code, self.eps, pen.l2, d, pb.fit_intercept,
                          self.plan.average, counters, self.sbar)
        else:
            bufs, flags, scal = self._pack(st)
            threads = 1
            if not self.sparse and bs * d >= PARALLEL_MIN:
                threads = numba.get_num_threads()
            Gt = np.zeros((threads, self.block, shape[1]))
            partial = np.zeros((threads, theta.size), dtype=theta.dtype)
            with _parallel_launch() if threads > 1 else contextlib.nullcontext():
                _epoch(self.X, *self.csr, self.sparse, self.Y, self.sw, order, bs, self.block,
                       rates, theta, avg, np.zeros_like(theta), G, Gt, partial,
                       np.zeros(threads), bufs, flags, scal, self.hyper, self.opt_code,
                       self.loss_code, self.eps, pen.l1, pen.l2, d, pb.fit_intercept,
                       self.plan.average, counters, self.pmode, self.Mf, self.md, self.shift,
                       self.l1w, np.zeros_like(theta), np.zeros_like(theta), self.sbar)
            self._unpack(st, bufs, flags, scal)
        st.n_avg = int(counters[2])
        if st.n_avg:
            st.avg_theta = avg.reshape(shape)
        st.t, st.samples_seen = int(counters[0]), int(counters[1])
        return float(counters[3]), (float(counters[5]) if counters[4] else None)

    def _pack(self, st):
        present = [st.opt_state.get(name) is not None for name in self.buffers]
        bufs = np.zeros((len(self.buffers), st.theta.size), dtype=st.theta.dtype)
        for b, name in enumerate(self.buffers):
            if present[b]:
                bufs[b] = st.opt_state[name].reshape(-1)
        scal = np.array([st.opt_state[name] for name in self.scalars] or [0.0], np.float64)
        return bufs, np.array(present, dtype=np.int64), scal

    def _unpack(self, st, bufs, flags, scal):
        for b, name in enumerate(self.buffers):
            if name in st.opt_state and flags[b]:
                st.opt_state[name] = bufs[b].reshape(st.theta.shape).copy()
        for s, name in enumerate(self.scalars):
            st.opt_state[name] = float(scal[s])


def full_value_and_grad(problem, theta, want_grad=True):
    """``Problem.batch_value_and_grad`` over all rows in one compiled pass (threads over
    row shares), or ``None`` where the numpy blocks run instead."""
    X = problem.X
    loss = LOSS_KERNELS.get(type(problem.loss))
    if not (ENABLED and _layout_ok(X) and loss is not None and theta.flags.c_contiguous):
        return None
    sw = problem.sample_weight
    total = sw.sum()
    if not total > 0:
        return 0.0, total, None
    threads = min(numba.get_num_threads(), max(1, X.shape[0] // 1024))
    block = max(8, (1 << 15) // (8 * max(X.shape[1], 1)))  # ~32 KiB of dense rows
    flat, k = theta.reshape(-1), theta.shape[1]
    dtype = X.dtype
    Xd, csr = _kernel_X(X)
    values = np.zeros(threads)
    partial = np.zeros((threads, flat.size) if want_grad else (threads, 1), dtype)
    # one share: the serial kernel (a parallel launch costs more than a small pass,
    # and much more while other processes hold the cores)
    kernel = _full_pass if threads > 1 else _full_pass_serial
    with _parallel_launch() if threads > 1 else contextlib.nullcontext():
        kernel(Xd, *csr, sp.issparse(X), np.ascontiguousarray(problem.Y, dtype=dtype),
               _weights(sw, dtype), np.zeros(0, np.int32), flat, X.shape[1] * k,
               problem.fit_intercept, loss[0], float(loss[1](problem.loss)), float(total),
               block, np.zeros((threads, block, k)), values, partial, want_grad)
    grad = partial.sum(axis=0).reshape(theta.shape) if want_grad else None
    return float(values.sum()), total, grad
