"""The compiled engine: the mini-batch loop of ``_loop.run_epoch`` as numba calls.

A per-sample or small-batch epoch in numpy pays ~30 Python-level operations
per update (µs each); compiled, an update costs what its arithmetic costs.

No formula of a component is written here. The optimizer's update, the loss
and the schedule's rate are the owning classes' static methods, reached through
the switched ``update`` / ``points`` of ``optimizers._base`` (over the
optimizer's hooks ``begin``, ``coord`` or ``move``, ``point``, ``reduce`` /
``finish``), ``row`` (``_losses``) and ``lr`` (``schedules``): numba specialises the engine per component type
(``_jit.py`` explains the mechanism and why it was chosen). The L1 prox is
``_jit.shrink``; the preconditioner's map is ``_precondition._forward`` /
``_pullback``; the unbiased batch divisor is ``batch_divisor`` here, which the
Python loop calls as well.

Plain SGD (no momentum) with no L1 part and no averaging keeps the
coefficients as ``scale * v``, so the L2 shrinkage is one multiplication and
an update costs O(non-zeros of its rows), not O(n_features): what makes a
sparse epoch O(nnz) and a per-sample dense epoch as cheap as scikit-learn's.
"""

import contextlib
import math
import threading
import warnings
from typing import NamedTuple

import numba
import numpy as np
import scipy.sparse as sp

from . import _rng
from ._jit import kernel, parallel, readable, runs_compiled, switched
from ._losses import Loss, row
from ._penalties import ElasticNet, add_gradient, smooth_gradient, strength, sums
from ._precondition import _diag_inverse, _forward, _pullback
from .schedules import Constant, lr, plateau
from .optimizers._base import points, update

ENABLED = True
"""Switch for tests and debugging: ``False`` forces the Python loop of ``_loop.py``."""

BLAS_MIN_ENTRIES, BLAS_MAX_FEATURES = 1 << 20, 64
"""Full-batch epochs (one update each) of at least ``BLAS_MIN_ENTRIES`` entries of X and
fewer than ``BLAS_MAX_FEATURES`` columns stay in numpy, where two BLAS passes beat the
kernel's fused one (its per-row overhead shows on narrow rows: 1,000,000 x 20). Smaller
or wider ones run compiled: at 442 x 10 (diabetes) a numpy epoch costs 0.19-0.26 ms, a
compiled one 0.02-0.05 ms; at 20,000 x 500, 24-29 ms against 9 ms (this machine,
loaded; /tmp-style timing of ``batch_size=None`` fits, max_iter 12 minus 2)."""


def _jit(func=None, inline="never"):
    """``_jit.kernel``, not inlined by default (entry points)."""
    if func is None:
        return lambda f: _jit(f, inline)
    return kernel(func, inline=inline)


# ---- prefetching: a shuffled epoch reads rows at random; asking for the rows a few
# iterations ahead overlaps their memory latency with the work on the current ones
AHEAD = 16
PREFETCH_MIN_BYTES = 1 << 22
"""Prefetch only where X is this large (beyond this machine's 512 KiB L2 per core, and
a good share of L3): for rows already in cache the prefetch is pure cost, and its
presence in a row loop keeps the loop from being vectorised (442 x 10, diabetes: one
pass over the rows 2 us without, 18 us with, shuffled or not)."""


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


_prefetch = _prefetch_intrinsic()
_jit_parallel = parallel


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
def _ahead(X, data, order):
    """Whether a row loop prefetches: a shuffled epoch (``order``) over a large X. Tested
    before the loop, so the compiler unswitches it into a loop without prefetches."""
    return order.shape[0] > 0 and (X.size + data.size) * X.itemsize >= PREFETCH_MIN_BYTES


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
def _dot_row(X, i, theta):
    """``x_i . theta[:d]`` of dense row ``i`` (one output)."""
    acc = 0.0
    for j in range(X.shape[1]):
        acc += X[i, j] * theta[j]
    return acc


@_jit(inline="always")
def _axpy_row(X, i, g, out):
    """``out[:d] += g x_i`` of dense row ``i`` (one output)."""
    for j in range(X.shape[1]):
        out[j] += X[i, j] * g


@_jit(inline="always")
def _raw_rows(X, data, indices, indptr, sparse, order, lo, hi, theta, k, scale, nc,
              fit_intercept, R):
    """``R[r] = scale * x_i . theta[:d] + intercept`` (theta flat, row-major ``(d + 1, k)``)."""
    for r in range(hi - lo):
        for c in range(k):
            R[r, c] = 0.0
    ahead = _ahead(X, data, order)
    if sparse:
        for q in range(lo, hi):
            if ahead:
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
            if ahead:
                _prefetch_ahead(X, data, indices, indptr, sparse, order, q)
            R[q - lo, 0] = _dot_row(X, _row(order, q), theta)
    else:
        for q in range(lo, hi):
            if ahead:
                _prefetch_ahead(X, data, indices, indptr, sparse, order, q)
            i = _row(order, q)
            for j in range(X.shape[1]):
                x = X[i, j]
                for c in range(k):
                    R[q - lo, c] += x * theta[j * k + c]
    for r in range(hi - lo):
        for c in range(k):
            R[r, c] = scale * R[r, c] + (theta[nc + c] if fit_intercept else 0.0)


@switched(over="row")
def _fused_rows(lh, X, Y, sw, order, lo, hi, theta, nc, fit_intercept, total, R, out,
                want_grad):
    """``_raw_rows``, ``_loss_rows`` and ``_axpy_rows`` of dense rows with one output, row
    by row: each row is read once, while in registers, for its prediction and again for
    its gradient share (the same sums in the same order; ``R[0]`` is the scratch)."""
    b = theta[nc] if fit_intercept else 0.0
    value = 0.0
    for q in range(lo, hi):
        i = _row(order, q)
        R[0, 0] = _dot_row(X, i, theta) + b
        w = _w(sw, i)
        value += w * row(lh, R, Y, 0, i, w / total)
        if want_grad:
            if fit_intercept:
                out[nc] += R[0, 0]
            _axpy_row(X, i, R[0, 0], out)
    return value


@switched(over="row")
def _loss_rows(lh, R, Y, sw, order, lo, hi, total):
    """Weighted loss sum of the rows (the loss's ``row``); ``R`` becomes the gradient
    w.r.t. the raw predictions times ``sw_i / total``."""
    value = 0.0
    for q in range(lo, hi):
        i = _row(order, q)
        value += _w(sw, i) * row(lh, R, Y, q - lo, i, _w(sw, i) / total)
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
            _axpy_row(X, i, G[r, 0], out)
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
        # one output, no average yet: the branch below without its scattered writes to
        # avg (a test inside the loop is not hoisted out of it; 14 % of a per-sample
        # epoch of 16,000 x 10,000 text)
        if sparse and k == 1 and ratio == 0.0:
            s0 = step * G[r, 0]
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                delta, old = s0 * data[p], theta[j]
                theta[j] = old - delta
                dsq += delta * (delta - 2.0 * old)
        elif sparse:
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
def _diag_step(X, data, indices, indptr, order, lo, hi, G, d, fit_intercept, eta, l2, md,
               shift, wb, grad):
    """Plain SGD's step on ``phi`` of a diagonal preconditioner, taken on ``wb = theta'`` (dense
    rows, one output): with ``g`` the batch's gradient in ``theta'`` (``G``'s rows, the L2
    part ``l2 w'`` added) and ``g_b`` its intercept entry, ``phi``'s step ``v -= eta md (g -
    shift g_b)``, ``c -= eta g_b`` is ``w'_j -= eta md_j^2 (g_j - shift_j g_b)`` and ``b' -=
    eta g_b - shift . (w''s decrease)`` here: one pass over the coefficients (a row of
    one-row batches read in it), no map to ``theta'`` and back per update. Returns
    ``||w'||^2``."""
    gb = 0.0
    for q in range(lo, hi):
        gb += G[q - lo, 0]
    one = hi - lo == 1
    if not one:
        for j in range(d):
            grad[j] = 0.0
        _axpy_rows(X, data, indices, indptr, False, order, lo, hi, G, 1, d, False, grad)
    i, g0 = _row(order, lo), G[0, 0]
    centred = shift.shape[0] > 0
    s, sq = 0.0, 0.0
    for j in range(d):
        gj = (g0 * X[i, j] if one else grad[j]) + smooth_gradient(wb[j], l2)
        if centred:
            gj -= shift[j] * gb
        delta = eta * md[j] * md[j] * gj
        wb[j] -= delta
        if centred:
            s += shift[j] * delta
        sq += wb[j] * wb[j]
    if fit_intercept:
        wb[d] += s - eta * gb
    return sq


@_jit(inline="always")
def _materialize(avg, theta, nc, beta, alpha):
    """Write the lazy average ``beta * u + alpha * v`` out explicitly into ``avg``."""
    for j in range(nc):
        avg[j] = beta * avg[j] + alpha * theta[j]


@_jit(inline="always")
def _penalty_value(theta, nc, l1, l2):
    """The penalty over the first ``nc`` entries (``_penalties.strength`` of ``sums``)."""
    a, b = sums(theta, nc)
    return strength(a, b, l1, l2)


# ---- the update: ``optimizers._base.update`` (gradient + L2 part -> the optimizer's
# hooks -> new parameters -> L1 prox), which also zeroes the gradient for the next batch
# and sums the new penalty (the next batch's objective is taken at these parameters).
@_jit(inline="always")
def _average(avg, theta, n_avg):
    """Running mean of the iterates (``_loop._average``)."""
    for j in range(theta.shape[0]):
        avg[j] = theta[j] if n_avg == 1 else avg[j] + (theta[j] - avg[j]) / n_avg


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
def batch_divisor(n_rows, weight_mean, total):
    """What a batch's weighted gradient sum is divided by: ``|B| * s_bar``, so that the
    batch gradient is the unbiased estimate of the data term's gradient (API.md), or
    the batch's weight ``total`` where no ``s_bar`` is given. Rows of weight zero are
    as if absent: ``|B|`` counts the batch's positive-weight rows and ``s_bar`` is the
    mean positive training weight, so a full batch divides by the weight total."""
    return n_rows * weight_mean if weight_mean > 0 else total


@_jit
def _batch(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, theta, scale, nc,
           fit_intercept, lh, G, sbar):
    """Loss sum and weight total of rows ``order[lo:hi]`` at ``scale * theta``; their
    weighted loss gradients (w.r.t. raw, over ``batch_divisor``) go to ``G``."""
    total = _total(sw, order, lo, hi)
    if not total > 0:
        return 0.0, total
    _raw_rows(X, data, indices, indptr, sparse, order, lo, hi, theta, G.shape[1], scale, nc,
              fit_intercept, G)
    div = batch_divisor(_positive(sw, order, lo, hi), sbar, total)
    return _loss_rows(lh, G, Y, sw, order, lo, hi, div), total


@_jit
def _blocks_grad(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block, theta, nc,
                 fit_intercept, lh, total, G, out, want_grad):
    """Loss sum of rows ``order[lo:hi]``; with ``want_grad`` their share of the mean
    gradient (weights over ``total``) is added to ``out``. Rows go in blocks of
    ``block``, each read for its predictions and again for the gradient while still
    in cache: one pass over the rows' memory. Dense rows with one output (not
    prefetched) go row by row instead (``_fused_rows``): a third of the time on a few
    hundred rows, where the three sweeps over each block cost more than the rows."""
    if not sparse and G.shape[1] == 1 and not _ahead(X, data, order):
        return _fused_rows(lh, X, Y, sw, order, lo, hi, theta, nc, fit_intercept, total, G,
                           out, want_grad)
    value = 0.0
    for blo in range(lo, hi, block):
        bhi = min(blo + block, hi)
        _raw_rows(X, data, indices, indptr, sparse, order, blo, bhi, theta, G.shape[1], 1.0,
                  nc, fit_intercept, G)
        value += _loss_rows(lh, G, Y, sw, order, blo, bhi, total)
        if want_grad:
            _axpy_rows(X, data, indices, indptr, sparse, order, blo, bhi, G, G.shape[1], nc,
                       fit_intercept, out)
    return value


@_jit_parallel
def _batch_grad_threads(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block, theta,
                        nc, fit_intercept, lh, total, Gt, partial, values):
    """``_blocks_grad`` for a large dense batch, its rows shared out among
    ``values.shape[0]`` threads: thread ``t``'s loss sum goes to ``values[t]``, its
    gradient share is added to ``partial[t]``."""
    threads = values.shape[0]
    for t in numba.prange(threads):
        values[t] = _blocks_grad(X, data, indices, indptr, sparse, Y, sw, order,
                                 lo + (hi - lo) * t // threads,
                                 lo + (hi - lo) * (t + 1) // threads, block, theta, nc,
                                 fit_intercept, lh, total, Gt[t], partial[t],
                                 True)


@_jit(inline="always")
def _batch_grad(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block, theta, nc,
                fit_intercept, lh, G, grad, Gt, partial, values, sbar):
    """Loss sum and weight total of rows ``order[lo:hi]``; their mean loss gradient
    (over ``batch_divisor``) is added to ``grad``, on ``values.shape[0]`` threads when there
    are several."""
    total = _total(sw, order, lo, hi)
    if not total > 0:
        return 0.0, total
    div = batch_divisor(_positive(sw, order, lo, hi), sbar, total)
    if values.shape[0] < 2:
        return _blocks_grad(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block,
                            theta, nc, fit_intercept, lh, div, G, grad,
                            True), total
    _batch_grad_threads(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, block, theta,
                        nc, fit_intercept, lh, div, Gt, partial, values)
    value = 0.0
    for t in range(values.shape[0]):
        value += values[t]
        for j in range(grad.shape[0]):
            grad[j] += partial[t, j]
            partial[t, j] = 0.0
    return value, total


@_jit
def _epoch(X, data, indices, indptr, sparse, Y, sw, order, batch_size, block, rates, theta,
           avg, grad, G, Gt, partial, values, bufs, scal, prox, hyper, phases, lh, l1, l2, d,
           fit_intercept, average, counters, pmode, Mf, md, shift, l1w, thp, thy, tmp, sbar):
    """The updates of one epoch (``_loop._update``, in order). ``counters`` (in/out):
    t, samples seen, n_avg, epoch objective sum, diverged flag, diverging value.
    ``phases`` is the optimizer's ``(shifts, reduces)``: with ``shifts`` each batch is
    taken at its gradient point ``thy`` (``theta`` stays the exposed point). With a
    preconditioner (``pmode`` 1 diagonal, 2 full) ``theta`` holds phi: each batch is
    taken at ``thp = theta'`` of that point, its gradient pulled back to phi."""
    n, k = Y.shape[0], G.shape[1]  # G: one row of loss gradients per output
    nc, P = d * k, theta.shape[0]
    t, seen, n_avg, t_start = int(counters[0]), counters[1], int(counters[2]), int(counters[0])
    a, b = sums(theta, nc)
    l2_phi = l2 if pmode == 0 else 0.0  # with a preconditioner L2 acts at theta'
    epoch_value = 0.0
    shifts, reduces = phases
    for lo in range(0, n, batch_size):
        hi = min(lo + batch_size, n)
        at = theta
        if shifts:
            points(hyper, bufs, theta, thy)
            at = thy
        src = at
        if pmode != 0:
            _forward(pmode, Mf, md, shift, at, thp, d, k, fit_intercept)
            src = thp
        value, total = _batch_grad(X, data, indices, indptr, sparse, Y, sw, order, lo, hi,
                                   block, src, nc, fit_intercept, lh, G, grad, Gt,
                                   partial, values, sbar)
        if not total > 0:
            continue
        if not math.isfinite(value):
            counters[4], counters[5] = 1.0, value
            break
        if pmode != 0:
            a, b = add_gradient(thp, grad, nc, l2)
            if l1 != 0.0 or l2 != 0.0:
                value += total * strength(a, b, l1, l2)
            _pullback(pmode, Mf, md, shift, grad, tmp, d, k, fit_intercept)
        elif l1 != 0.0 or l2 != 0.0:
            if shifts:
                a, b = sums(at, nc)
            value += total * strength(a, b, l1, l2)
        t += 1
        seen += hi - lo
        if average and seen >= average:
            n_avg += 1
        eta = rates[t - t_start - 1]
        a, b = update(hyper, scal, bufs, t, eta, grad, at, theta, l1, l2_phi, l1w, k, nc, prox,
                      reduces)
        if average and seen >= average:
            _average(avg, theta, n_avg)
        epoch_value += value
    counters[0], counters[1], counters[2], counters[3] = t, seen, n_avg, epoch_value


@_jit
def _epoch_scaled(X, data, indices, indptr, sparse, Y, sw, order, batch_size, rates, theta,
                  avg, G, lh, l2, d, fit_intercept, average, counters, sbar, pmode, Mf, md,
                  shift, wb, grad):
    """Plain SGD with an L2 (or no) penalty in O(non-zeros of the batch) per update.

    The coefficients are kept as ``scale * v`` (``v`` in ``theta``): the L2
    shrinkage of an update multiplies ``scale`` and only the batch's columns of
    ``v`` change; ``sq`` tracks ``||v||^2`` for the objective. Their running
    average is kept as ``beta * u + alpha * v`` (``u`` in ``avg``): an update
    changes the two scalars, and ``u`` only where ``v`` changed.

    With a diagonal preconditioner (``pmode`` 1: dense rows, one output, no average)
    the epoch runs on ``wb = theta'`` instead (``_forward`` of phi, and back at the
    end), each update one ``_diag_step``.
    """
    n, k = Y.shape[0], G.shape[1]  # G: one row of loss gradients per output
    nc = d * k
    t, seen, n_avg, t_start = int(counters[0]), counters[1], int(counters[2]), int(counters[0])
    scale, epoch_value, beta, alpha = 1.0, 0.0, 1.0, 0.0
    diag = pmode == 1
    if diag:
        _forward(pmode, Mf, md, shift, theta, wb, d, k, fit_intercept)
    else:
        wb = theta
    sq = 2.0 * _penalty_value(wb, nc, 0.0, 1.0)
    for lo in range(0, n, batch_size):
        hi = min(lo + batch_size, n)
        value, total = _batch(X, data, indices, indptr, sparse, Y, sw, order, lo, hi, wb,
                              scale, nc, fit_intercept, lh, G, sbar)
        if not total > 0:
            continue
        if not math.isfinite(value):
            counters[4], counters[5] = 1.0, value
            break
        value += total * 0.5 * l2 * scale * scale * sq
        t += 1
        eta = rates[t - t_start - 1]
        seen += hi - lo
        epoch_value += value
        if diag:
            sq = _diag_step(X, data, indices, indptr, order, lo, hi, G, d, fit_intercept, eta,
                            l2, md, shift, wb, grad)
            continue
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
    if diag:
        _diag_inverse(md, shift, wb, theta, d, 1, fit_intercept)
    for j in range(nc):
        theta[j] *= scale
    counters[0], counters[1], counters[2], counters[3] = t, seen, n_avg, epoch_value


@_jit_parallel
def _full_pass(X, data, indices, indptr, sparse, Y, sw, none, theta, nc, fit_intercept,
               lh, total, block, G, values, partial, want_grad):
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
                                 fit_intercept, lh, total, G[t], partial[t],
                                 want_grad)


@_jit
def _full_pass_serial(X, data, indices, indptr, sparse, Y, sw, none, theta, nc, fit_intercept,
                      lh, total, block, G, values, partial, want_grad):
    """``_full_pass`` on one thread (same arguments, one share of the rows)."""
    values[0] = _blocks_grad(X, data, indices, indptr, sparse, Y, sw, none, 0, Y.shape[0],
                             block, theta, nc, fit_intercept, lh, total, G[0],
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
    if not _rng.is_mt19937(rng) or n >= 2**31:
        rng.shuffle(order)
        return order
    key, pos, store = _rng.mt_state(rng)
    pos[0] = _mt19937_shuffle(order, key, pos[0])
    store()
    return order


# ---- the whole fit: epochs, shuffling, rates, stopping and the divergence guard ---------
@_jit(inline="always")
def stop_update(stop, value, sign):
    """scikit-learn's no-improvement counter. ``stop`` = (best, count, tol): ``count``
    restarts when ``sign * (value - best) > tol`` (``tol < 0``: no tolerance, never
    counts); returns whether ``value`` is better than ``best`` (which it then becomes)."""
    gain = sign * (value - stop[0])
    if stop[2] >= 0:
        stop[1] = 0.0 if gain > stop[2] else stop[1] + 1.0
    if gain > 0:
        stop[0] = value
        return True
    return False


STATUS_RAN, STATUS_CONVERGED, STATUS_DIVERGED = 0, 1, 2

# ``run`` (in/out): what one ``_fit`` call does, and the base rate it leaves
RUN_EPOCHS, RUN_SHUFFLE, RUN_WEIGHT, RUN_LIMIT, RUN_STOPPER, RUN_PATIENCE, RUN_ETA, \
    RUN_RATES_GIVEN = range(8)


@_jit
def _fit(X, data, indices, indptr, sparse, Y, sw, order, key, keypos, batch_size, block,
         rates, theta, avg, grad, G, Gt, partial, values, bufs, scal, prox, hyper, phases, lh,
         sh, l1, l2, d, fit_intercept, average, counters, pmode, Mf, md, shift, l1w, thp, thy,
         tmp, sbar, scaled, run, stop, curve):
    """Up to ``run[RUN_EPOCHS]`` epochs in one call (``_loop.train``'s epoch loop): a fresh
    row order per epoch (``RandomState.shuffle``'s draws from ``key``/``keypos``), the
    schedule's rates from the base rate ``run[RUN_ETA]``, the epoch, its objective into
    ``curve``, the divergence limit, and (``run[RUN_STOPPER]``) the plateau rule with
    the schedule's ``plateau``. Returns ``(epochs run, status)``; a diverging value is
    left in ``counters[5]``."""
    n = Y.shape[0]
    epochs, status = 0, STATUS_RAN
    for e in range(int(run[RUN_EPOCHS])):
        if run[RUN_SHUFFLE] != 0:
            for i in range(n):
                order[i] = i
            keypos[0] = _mt19937_shuffle(order, key, keypos[0])
        if run[RUN_RATES_GIVEN] == 0:
            t0 = int(counters[0])
            for q in range(rates.shape[0]):
                rates[q] = lr(sh, t0 + 1 + q, run[RUN_ETA])
        if scaled:
            _epoch_scaled(X, data, indices, indptr, sparse, Y, sw, order, batch_size, rates,
                          theta, avg, G, lh, l2, d, fit_intercept, average, counters, sbar,
                          pmode, Mf, md, shift, thp, grad)
        else:
            _epoch(X, data, indices, indptr, sparse, Y, sw, order, batch_size, block, rates,
                   theta, avg, grad, G, Gt, partial, values, bufs, scal, prox, hyper, phases,
                   lh, l1, l2, d, fit_intercept, average, counters, pmode, Mf, md, shift, l1w,
                   thp, thy, tmp, sbar)
        epochs += 1
        if counters[4] != 0:
            status = STATUS_DIVERGED
            break
        obj = counters[3] / run[RUN_WEIGHT]
        curve[e] = obj
        if not obj <= run[RUN_LIMIT]:  # NaN or beyond the limit
            counters[5] = obj
            status = STATUS_DIVERGED
            break
        if run[RUN_STOPPER] != 0:
            stop_update(stop, obj, -1.0)
            if stop[1] >= run[RUN_PATIENCE]:
                reduced = plateau(sh, run[RUN_ETA])
                if reduced < 0:
                    status = STATUS_CONVERGED
                    break
                run[RUN_ETA] = reduced
                stop[1] = 0.0
    return epochs, status


# ---- Python side: resolved once per fit, one call per epoch -----------------------
def _weights(sw, dtype):
    """Contiguous weights for the kernels; uniform ones (a zero-stride view) as one value."""
    if sw.ndim == 1 and sw.shape[0] > 1 and sw.strides[0] == 0:
        sw = sw[:1]
    return readable(np.ascontiguousarray(sw, dtype=dtype))


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
        return np.zeros((1, 1), dtype), (readable(X.data), readable(X.indices),
                                         readable(X.indptr))
    empty = np.zeros(0, dtype=np.int32)
    return readable(X), (np.zeros(0, dtype), empty, empty)


BLOCK_BYTES = 1 << 15
"""Dense rows of a batch go through the kernels in blocks of about this size (L1-sized:
each block is read for its predictions and again for the gradient while in cache)."""


def _block_rows(X):
    """Rows of dense ``X`` per block of ``BLOCK_BYTES`` (at least 8)."""
    return max(8, BLOCK_BYTES // (X.dtype.itemsize * max(X.shape[1], 1)))


def _blas_epoch(n, d, batch_size):
    """Whether the numpy loop's BLAS passes run this fit's epochs faster (see
    ``BLAS_MIN_ENTRIES``)."""
    return batch_size >= n and n * d >= BLAS_MIN_ENTRIES and d < BLAS_MAX_FEATURES


def epoch_runner(problem, plan, precond, n_outputs):
    """A compiled replacement of the numpy epoch for this fit, or ``None``."""
    if (not ENABLED or not _layout_ok(problem.X) or not runs_compiled(plan.optimizer)
            or not isinstance(problem.loss, Loss) or type(problem.penalty) is not ElasticNet
            or _blas_epoch(problem.n_samples, problem.X.shape[1], plan.batch_size)):
        return None
    return CompiledEpochs(problem, plan, precond, n_outputs)


class CompiledEpochs:
    """Lays the fit out as ``_fit`` takes it and calls it: once for a whole fit, or once
    per epoch where Python has work between epochs (verbose lines, a validation score)."""

    def __init__(self, problem, plan, precond, n_outputs):
        self.problem, self.plan = problem, plan
        self._precondition(precond, problem.X.shape[1])
        self.hyper = plan.optimizer.packed()
        self.phases = tuple(bool(p) for p in type(plan.optimizer).phases())
        X = problem.X
        # the data as the full passes take them (shared with the final objective check)
        inputs = _pass_inputs(problem)
        self.X, self.csr, self.Y, self.sw, self.lh = (inputs.X, inputs.csr, inputs.Y,
                                                      inputs.sw, inputs.lh)
        self.sparse = sp.issparse(X)
        # dense rows per cache block of a batch; CSR rows are short: the whole batch
        self.block = plan.batch_size if self.sparse else _block_rows(X)
        pen, opt = problem.penalty, plan.optimizer
        # w = scale * v pays where an update touches few coefficients: sparse rows or
        # dense batches of a few rows (else the plain per-update pass is as cheap).
        # It is SGD's update (direction = gradient, prox multiplier 1) in closed form;
        # with a diagonal preconditioner (dense rows) and one output, taken on theta'
        # (``_diag_step``), where the lazy average does not follow.
        self.scaled = (opt.plain_gradient() and not pen.l1 and (self.sparse or plan.batch_size < 8)
                       and (self.pmode == 0 or (self.pmode == 1 and not plan.average
                                                and n_outputs == 1)))

    def _precondition(self, pre, d):
        """The preconditioner as the kernel takes it (``_epoch``'s ``pmode`` ... ``sbar``)."""
        self.pmode, self.Mf, self.md, self.shift = pre.kernel_args()
        weights = pre.prox_weights()
        self.l1w = np.ones(d + 1)
        if not np.isscalar(weights):
            self.l1w[:d] = weights[:d, 0]
        self.l1w[d] = 0.0  # the intercept row is never penalised
        self.sbar = float(pre.weight_mean)

    def rates(self, t, count, eta0):
        """Learning rates of updates ``t + 1 .. t + count`` (``Schedule.lr``)."""
        return self.plan.schedule.rates(t + 1, count, eta0)

    def run(self, st, epochs, rng, run, stop, curve):
        """Run up to ``epochs`` epochs on ``st`` with ``_fit`` (``run``, ``stop`` and
        ``curve`` as it takes them; ``run[RUN_ETA]`` is read from and written back to
        ``st.eta_base``); returns ``(epochs run, status, diverging value)``, or ``None``
        if the kernel cannot be compiled here (nothing has run: the numpy loop takes
        over, and does for the rest of the process)."""
        global ENABLED
        try:
            return self._run(st, epochs, rng, run, stop, curve)
        except numba.core.errors.NumbaError as exc:  # typing fails before any update
            ENABLED = False
            warnings.warn("skopt_gd: compiled epochs disabled, using the numpy loop "
                          f"({exc!r:.200})", RuntimeWarning, stacklevel=3)
            return None

    def _run(self, st, epochs, rng, run, stop, curve):
        pb, n, bs = self.problem, self.problem.n_samples, self.plan.batch_size
        if not st.theta.flags.c_contiguous:
            st.theta = np.ascontiguousarray(st.theta)
        theta, shape = st.theta.reshape(-1), st.theta.shape
        updates = -(-n // bs)
        schedule = self.plan.schedule
        run[RUN_ETA], run[RUN_EPOCHS] = st.eta_base, epochs
        shuffle, key, keypos, store = self._order_source(rng)
        run[RUN_SHUFFLE] = shuffle
        if runs_compiled(schedule):
            sh, rates = schedule.packed(), np.empty(updates)
            run[RUN_RATES_GIVEN] = 0
        else:  # a Python schedule: its rates for this one epoch, in Python
            sh, rates = Constant().packed(), self.rates(st.t, updates, st.eta_base)
            run[RUN_RATES_GIVEN] = 1
        order = np.empty(n if shuffle else 0, dtype=np.int32)
        counters = np.array([st.t, st.samples_seen, st.n_avg, 0.0, 0.0, 0.0])
        d, pen = pb.X.shape[1], pb.penalty
        G = np.zeros((bs, shape[1]))  # per-row loss gradients of a batch
        avg = (np.zeros_like(theta) if st.avg_theta is None
               else np.ascontiguousarray(st.avg_theta, dtype=theta.dtype).reshape(-1).copy())
        threads = 1
        if not self.sparse and bs * d >= PARALLEL_MIN and not self.scaled:
            threads = numba.get_num_threads()
        Gt = np.zeros((threads, self.block, shape[1]))
        partial = np.zeros((threads, theta.size), dtype=theta.dtype)
        opt = st.opt_state
        try:
            with _parallel_launch() if threads > 1 else contextlib.nullcontext():
                done, status = _fit(
                    self.X, *self.csr, self.sparse, self.Y, self.sw, order, key, keypos, bs,
                    self.block, rates, theta, avg, np.zeros_like(theta), G, Gt, partial,
                    np.zeros(threads), opt["buffers"], opt["scalars"], opt["prox"], self.hyper,
                    self.phases, self.lh, sh, pen.l1, pen.l2, d, pb.fit_intercept,
                    self.plan.average, counters, self.pmode, self.Mf, self.md, self.shift,
                    self.l1w, np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta),
                    self.sbar, self.scaled, run, stop, curve)
        finally:  # the generator advanced as ``done`` permutations would
            if store is not None:
                store()
        st.eta_base = float(run[RUN_ETA])
        st.n_avg = int(counters[2])
        if st.n_avg:
            st.avg_theta = avg.reshape(shape)
        st.t, st.samples_seen = int(counters[0]), int(counters[1])
        return done, status, float(counters[5])

    def _order_source(self, rng):
        """``(shuffle, key, keypos, store)``: the MT19937 words the kernel draws row
        orders from (``permutation``'s draws, bit for bit; ``_rng.mt_state``)."""
        plan = self.plan
        if not plan.shuffle or plan.batch_size >= self.problem.n_samples:
            return 0, np.zeros(624, np.uint32), np.zeros(1, np.int64), None
        return (1, *_rng.mt_state(rng))

    def can_shuffle(self, rng):
        """Whether ``rng`` is one whose draws the kernel reproduces (legacy MT19937)."""
        return (not self.plan.shuffle or self.plan.batch_size >= self.problem.n_samples
                or (_rng.is_mt19937(rng) and self.problem.n_samples < 2**31))


class _PassInputs(NamedTuple):
    """The arguments of a full pass that depend only on the problem (``_pass_inputs``)."""

    total: float  # the weight sum
    threads: int
    block: int
    X: np.ndarray  # dense X, or an empty stand-in for CSR
    csr: tuple  # (data, indices, indptr), or empty stand-ins for dense X
    Y: np.ndarray
    sw: np.ndarray
    lh: tuple  # the loss's packed hyperparameters


def _pass_threads(X):
    """Threads of a full pass over X: one per ``PARALLEL_MIN`` stored entries, at most
    numba's. A pass over fewer entries costs less than a parallel launch, and the
    launched threads keep spinning afterwards on the cores the next BLAS call needs
    (measured: a 4,000 x 13 default fit spent 2 ms in a two-thread pass of 30 us of
    work, and 3 ms in its next 0.3 ms covariance product)."""
    entries = X.nnz if sp.issparse(X) else X.size
    return int(min(numba.get_num_threads(), max(1, entries // PARALLEL_MIN)))


def _pass_inputs(problem):
    """What every full pass over ``problem``'s rows reads, resolved once per problem
    (``None`` where the numpy blocks run): checking, aliasing and packing it per call
    cost ~45 us of Python, five times the pass itself on a table of a few hundred rows."""
    if "_pass_inputs" not in problem.__dict__:
        X, inputs = problem.X, None
        if _layout_ok(X) and isinstance(problem.loss, Loss):
            sw = problem.sample_weight
            dtype = X.dtype
            inputs = _PassInputs(
                float(sw.sum()), _pass_threads(X),
                _block_rows(X), *_kernel_X(X),
                readable(np.ascontiguousarray(problem.Y, dtype=dtype)), _weights(sw, dtype),
                problem.loss.packed())
        problem._pass_inputs = inputs
    return problem._pass_inputs


def full_value_and_grad(problem, theta, want_grad=True):
    """``Problem.batch_value_and_grad`` over all rows in one compiled pass (threads over
    row shares), or ``None`` where the numpy blocks run instead."""
    inputs = _pass_inputs(problem) if ENABLED and theta.flags.c_contiguous else None
    if inputs is None:
        return None
    total, threads, block = inputs.total, inputs.threads, inputs.block
    if not total > 0:
        return 0.0, total, None
    X = problem.X
    flat, k = theta.reshape(-1), theta.shape[1]
    values = np.zeros(threads)
    partial = np.zeros((threads, flat.size) if want_grad else (threads, 1), X.dtype)
    # one share: the serial kernel (a parallel launch costs more than a small pass,
    # and much more while other processes hold the cores)
    kernel = _full_pass if threads > 1 else _full_pass_serial
    with _parallel_launch() if threads > 1 else contextlib.nullcontext():
        kernel(inputs.X, *inputs.csr, sp.issparse(X), inputs.Y, inputs.sw, _NO_ROWS, flat,
               X.shape[1] * k, problem.fit_intercept, inputs.lh, total, block,
               np.zeros((threads, block, k)), values, partial, want_grad)
    grad = partial.sum(axis=0).reshape(theta.shape) if want_grad else None
    return float(values.sum()), total, grad


_NO_ROWS = np.zeros(0, np.int32)  # "all rows, in order" for the full pass
