"""Native data-parallel full-batch training on dask arrays.

``fit(X, y)`` with a ``dask.array`` ``X`` (and ``batch_size=None``) runs the
same training loop as an in-memory fit (``_loop.train``): only the data term
changes. Each epoch's full-batch ``batch_value_and_grad`` maps over the row
chunks of ``X`` on the workers -- every chunk builds an in-memory
``_loop.Problem`` of its rows and returns its weighted loss sum, weight total
and un-normalised gradient -- and a tree reduction adds those on the workers.
Only ``(n_features + 1) x n_outputs`` numbers per chunk travel; the data never
leaves the workers and is never gathered on the client. Parameters, optimizer
state, schedule, penalty, stopping and divergence checks stay on the client in
numpy, exactly as in memory, so the result equals the in-memory fit up to the
summation order of the reduction.

Nothing is persisted here: a lazily defined ``X`` (read from files, generated)
is recomputed chunk by chunk every epoch, so data larger than the cluster's
memory trains in bounded memory; call ``X.persist()`` first when it fits.

dask is imported only when a dask array is actually passed in.
"""

import sys
from dataclasses import dataclass
from functools import partial

import numpy as np
from sklearn.base import clone

from . import _loop
from ._penalties import make_penalty

_SPLIT_EVERY = 8  # fan-in of the tree reduction


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array`` (without importing dask)."""
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(X, da.Array)


@dataclass
class ChunkSpec:
    """What a worker needs to turn one chunk of ``(X, y, sample_weight)`` into a ``Problem``."""

    estimator: object  # an unfitted clone: its ``_encode`` encodes the target
    classes: object  # classes_ (classifier) or None
    class_weight: object  # per-class multipliers aligned with classes, or None
    dtype: object
    loss: object
    fit_intercept: bool

    def problem(self, X_c, y_c, sw_c, check=False):
        """Encode one chunk; with ``check``, validate it as an in-memory fit would."""
        X_c = np.asarray(X_c, dtype=self.dtype)
        if check and not np.isfinite(X_c).all():
            raise ValueError("Input X contains NaN or infinity.")
        Y_c, _ = self.estimator._encode(np.asarray(y_c), self.dtype, reset=True,
                                        classes=self.classes)
        if sw_c is None:
            s_c = np.ones(X_c.shape[0], dtype=self.dtype)
        else:
            s_c = np.asarray(sw_c, dtype=self.dtype).reshape(-1)
            if check:
                _check_chunk_weights(s_c)
        if self.class_weight is not None:
            s_c = s_c * self.class_weight[np.searchsorted(self.classes, np.asarray(y_c))]
        return _loop.Problem(X_c, Y_c, s_c, self.loss, None, self.fit_intercept)


def _check_chunk_weights(s_c):
    if not np.isfinite(s_c).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (s_c < 0).any():
        raise ValueError("Negative values in sample_weight are not allowed.")


# ---- functions that run on the workers ---------------------------------------
def _chunk_setup(X_c, y_c, sw_c, spec):
    """Validate a chunk; return ``[rows, weight total, weighted loss sum at theta=0]``."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = spec.problem(X_c, y_c, sw_c, check=True)
        k = spec.estimator._n_outputs(p.Y, spec.classes)
        zero = float(p.loss.value(np.zeros((p.n_samples, k)), p.Y) @ p.sample_weight)
    return np.array([p.n_samples, float(p.sample_weight.sum()), zero])


def _chunk_value_and_grad(X_c, y_c, sw_c, theta, spec):
    """``(weighted loss sum, weight total, weighted gradient sum)`` of one chunk."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = spec.problem(X_c, y_c, sw_c)
        value, total, grad = p.batch_value_and_grad(slice(None), theta)
        if grad is None:  # every weight of the chunk is zero
            return 0.0, 0.0, np.zeros_like(theta)
        return value, total, grad * total


def _chunk_labels(y_c):
    labels, counts = np.unique(np.asarray(y_c), return_counts=True)
    return labels, counts


def _add(*parts):
    if isinstance(parts[0], tuple):
        return tuple(_add(*column) for column in zip(*parts))
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


def _tree_sum(parts):
    """Sum delayed parts on the workers, ``_SPLIT_EVERY`` at a time."""
    from dask import delayed

    while len(parts) > 1:
        parts = [delayed(_add, pure=True)(*parts[i:i + _SPLIT_EVERY])
                 for i in range(0, len(parts), _SPLIT_EVERY)]
    return parts[0]


# ---- the problem the training loop sees --------------------------------------
class _AllRows:
    """Stands in for a per-row vector of which the loop only takes all rows and their sum."""

    def __init__(self, n_samples, total=None):
        self.n_samples = n_samples
        self.total = total

    def __getitem__(self, rows):
        _require_all_rows(rows, self.n_samples)
        return self

    def sum(self):
        return self.total


def _require_all_rows(rows, n_samples):
    if _loop._count(rows, n_samples) != n_samples:
        raise ValueError("dask arrays are trained full batch (batch_size=None).")


class DaskProblem:
    """Full-batch data term over the chunks of a dask array (see module docstring)."""

    def __init__(self, X, blocks, spec, penalty, n_samples, weight_total):
        self.X = X  # the (lazy) dask array: its shape and dtype size the parameters
        self.blocks = blocks  # [(X_c, y_c, sw_c)] as dask delayed objects
        self.spec = spec
        self.loss = spec.loss
        self.penalty = penalty
        self.fit_intercept = spec.fit_intercept
        self.n_samples = n_samples
        self.Y = _AllRows(n_samples)  # what the loop indexes; the chunks hold the data
        self.sample_weight = _AllRows(n_samples, weight_total)

    def batch_value_and_grad(self, idx, theta):
        """Weighted loss sum, weight total and mean gradient over all rows."""
        import dask
        from dask import delayed

        _require_all_rows(idx, self.n_samples)
        theta_d = delayed(theta.copy(), pure=True)
        spec_d = delayed(self.spec, pure=True)
        parts = [delayed(_chunk_value_and_grad, pure=True)(Xc, yc, sc, theta_d, spec_d)
                 for Xc, yc, sc in self.blocks]
        value, total, grad_sum = dask.compute(_tree_sum(parts))[0]
        if not total > 0:
            return 0.0, total, None
        return float(value), total, grad_sum / total

    def objective(self, theta, X=None, Y=None, sample_weight=None):
        """The documented objective ``J`` on all rows (the only selection there is)."""
        if X is not None:
            _require_all_rows(slice(0, X.shape[0]), self.n_samples)
        value, total, _ = self.batch_value_and_grad(slice(None), theta)
        return value / total + self.penalty.value(theta)


# ---- preparing the data --------------------------------------------------------
def _known_chunks(a):
    return a.compute_chunk_sizes() if any(np.isnan(c) for c in a.chunks[0]) else a


def _on_rows(a, rows):
    """``a`` as a dask array chunked like ``X``'s rows.

    An in-memory ``a`` travels with every epoch's graph (it is small next to
    ``X``, but pass a dask array for very large data).
    """
    import dask.array as da

    chunks = {0: rows, **({1: -1} if a.ndim == 2 else {})}
    if isinstance(a, da.Array):
        return a.rechunk(chunks)
    return da.from_array(a, chunks=tuple(chunks.values()))


def _align(X, y, sample_weight, multi_output):
    """X as (rows-chunked, one column chunk); y and sample_weight on the same row chunks."""
    import dask.array as da

    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D dask array for X, got {X.ndim} dimension(s).")
    X = _known_chunks(X).rechunk({1: -1})
    rows = X.chunks[0]
    blocks_X = list(X.to_delayed()[:, 0])
    y = _known_chunks(y) if isinstance(y, da.Array) else np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"[{X.shape[0]}, {y.shape[0]}].")
    if y.ndim == 2 and y.shape[1] == 1 and not multi_output:
        y = y[:, 0]
    if y.ndim not in (1, 2) or (y.ndim == 2 and not multi_output):
        raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
    y = _on_rows(y, rows)
    blocks_y = list(y.to_delayed().reshape(-1))
    if sample_weight is None:
        return X, y, list(zip(blocks_X, blocks_y, [None] * len(blocks_X)))
    sw = sample_weight if isinstance(sample_weight, da.Array) else np.asarray(sample_weight)
    sw = _known_chunks(sw) if isinstance(sw, da.Array) else sw
    if sw.ndim != 1 or sw.shape[0] != X.shape[0]:
        raise ValueError(f"sample_weight.shape == {sw.shape}, expected ({X.shape[0]},)!")
    blocks_sw = list(_on_rows(sw, rows).to_delayed())
    return X, y, list(zip(blocks_X, blocks_y, blocks_sw))


def _float_dtype(dtype):
    return dtype if dtype in (np.float64, np.float32) else np.dtype(np.float64)


def _targets(est, blocks):
    """Classifier: ``(classes_, per-class weights or None)``; regressor: ``(None, None)``."""
    import dask
    from dask import delayed

    if not est._is_classifier:
        return None, None
    found = dask.compute([delayed(_chunk_labels)(yc) for _, yc, _ in blocks])[0]
    labels = np.concatenate([lab for lab, _ in found])
    classes = est._classes(labels, True, None)  # raises on a single class
    if est.class_weight is None:
        return classes, None
    if est.class_weight == "balanced":  # sklearn: n_samples / (n_classes * bincount(y))
        counts = np.zeros(len(classes))
        for lab, cnt in found:
            np.add.at(counts, np.searchsorted(classes, lab), cnt)
        return classes, counts.sum() / (len(classes) * counts)
    return classes, est._class_weights(classes, classes, False)  # dict: one weight per class


# ---- fit ---------------------------------------------------------------------------
def _check_supported(est, n):
    if est.early_stopping:
        raise ValueError("early_stopping=True is not supported when fitting on a dask array: "
                         "hold out a validation set yourself (e.g. dask_ml.model_selection."
                         "train_test_split) and compare scores, or set early_stopping=False.")
    if est._batch_size(n) < n:  # "auto" is full batch on dense data
        raise ValueError(
            f"fit on a dask array trains full batch on the workers, but batch_size="
            f"{est.batch_size!r} < n_samples={n}. Set batch_size=None, or train mini-batches "
            "with partial_fit over the blocks (dask_ml.wrappers.Incremental).")


def fit(est, X, y, sample_weight):
    """Fit ``est`` on dask arrays: the body of ``BaseSGD._fit`` for full batch on chunks."""
    import dask
    from dask import delayed

    optimizer, schedule = est._resolve_components()
    X, y, blocks = _align(X, y, sample_weight, est._multi_output)
    n, d = X.shape
    if n == 0:
        raise ValueError("Found array with 0 sample(s); fitting needs at least 1.")
    _check_supported(est, n)
    classes, class_weight = _targets(est, blocks)
    n_outputs = est._n_outputs(y, classes)
    dtype = _float_dtype(X.dtype)
    spec = ChunkSpec(clone(est), classes, class_weight, dtype, est._make_loss(n_outputs),
                     est.fit_intercept)
    spec_d = delayed(spec, pure=True)
    setup = [delayed(_chunk_setup, pure=True)(Xc, yc, sc, spec_d) for Xc, yc, sc in blocks]
    rows, total, zero = dask.compute(_tree_sum(setup))[0]
    if not total > 0:
        raise ValueError("sample_weight times class_weight sums to zero.")
    penalty = make_penalty(est.penalty, est.alpha, est.l1_ratio, d)
    problem = DaskProblem(X.astype(dtype), blocks, spec, penalty, n, total)
    state = est._initial_state(optimizer, problem, n_outputs, True, False)
    info = classes if est._is_classifier else y.ndim
    expose = partial(est._fitted_attributes, info=info, names=None, n_features=d,
                     continuing=False)  # the callbacks' model at each epoch
    n_epochs, theta, _ = est._train(problem, optimizer, schedule, state, partial=False,
                                 reference=zero / total,  # full batch: one update an epoch
                                 expose=expose)
    est._assign(theta, state, n_epochs, info, None, d, False)
    return est


