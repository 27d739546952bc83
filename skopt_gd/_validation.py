"""The only module that imports scikit-learn's private helpers.

A scikit-learn upgrade that moves one of them has exactly one place to fix.
"""

import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: F401 (re-export)
from sklearn.utils._param_validation import Interval, StrOptions, HasMethods  # noqa: F401
from sklearn.utils.metaestimators import available_if  # noqa: F401
from sklearn.utils.multiclass import check_classification_targets  # noqa: F401
from sklearn.utils.validation import (  # noqa: F401
    _check_sample_weight,
    _get_feature_names,
    check_array,
    check_is_fitted,
    check_X_y,
    validate_data,
)

# Array API support (issue 6, used by _array_api.py): namespace/device detection and moves.
from sklearn import get_config  # noqa: E402,F401
from sklearn.utils._array_api import (  # noqa: E402,F401
    _is_numpy_namespace as is_numpy_namespace,
    get_namespace_and_device,
)

try:
    from sklearn.utils._array_api import move_to  # noqa: E402,F401
except ImportError:  # older scikit-learn: the same moves for numpy, torch, CuPy, strict

    def move_to(array, *, xp, device):
        """``array`` in namespace ``xp`` on ``device`` (numpy: on the CPU)."""
        if xp is np:
            for method in ("cpu", "get"):  # torch, CuPy
                if hasattr(array, method) and not isinstance(array, np.ndarray):
                    array = getattr(array, method)()
            return np.asarray(array)
        return xp.asarray(array, device=device)

FLOAT_DTYPES = (np.float64, np.float32)


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category):
    """Warn pointing at the first caller outside this package (the user's ``fit``, or the
    meta-estimator's line that called it), however deep in the package the warning is
    raised (a refinement stage, a ``...CV`` path)."""
    frame, level = sys._getframe(1), 2  # stacklevel 2: warn's caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def check_fit_data(X, y, *, multi_output, y_numeric):
    """Validate ``X`` and ``y`` for a fit without touching the estimator.

    Returns ``(X, y, feature_names)``: X as a float64/float32 array or CSR
    matrix, and the column names of a DataFrame (``None`` otherwise). The
    estimator assigns ``n_features_in_`` / ``feature_names_in_`` itself, only
    once the fit has succeeded.
    """
    if _plain(X, y, multi_output=multi_output, y_numeric=y_numeric):
        return X, y, None
    names = _get_feature_names(X)
    X, y = check_X_y(
        X, y, accept_sparse="csr", dtype=FLOAT_DTYPES, multi_output=multi_output,
        y_numeric=y_numeric, ensure_all_finite=True,
    )
    return X, y, names


def _plain(X, y, *, multi_output, y_numeric):
    """Whether ``check_X_y`` (as ``check_fit_data`` calls it) would return ``X`` and ``y``
    themselves, without a warning or an error: float ndarrays of matching lengths with
    finite entries (sums checked, as scikit-learn's own fast test does).

    Most fits inside a grid search are of such arrays, and ``check_X_y``'s dataframe
    probes cost about as much as a whole small fit's epochs; anything else -- lists,
    dataframes, memmaps, sparse, other dtypes, a column ``y``, a non-finite sum -- takes
    ``check_X_y``, which converts, warns or raises as usual.
    """
    if (type(X) is not np.ndarray or X.dtype not in FLOAT_DTYPES or X.ndim != 2
            or X.shape[0] < 1 or X.shape[1] < 1):
        return False
    if (type(y) is not np.ndarray or y.ndim not in ((1, 2) if multi_output else (1,))
            or y.shape[0] != X.shape[0] or (y.ndim == 2 and y.shape[1] < 1)
            or y.dtype.kind not in ("iuf" if y_numeric else "iubfU")):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()) and (y.dtype.kind != "f" or np.isfinite(y.sum())))


def check_weights(sample_weight, X):
    """Validated sample weights (non-negative, finite, right length, not all zero).

    No weights give a read-only, zero-stride view of a single 1.0 (no n-sized array):
    the compiled kernels read it as "uniform", numpy code broadcasts it as usual.
    """
    if sample_weight is None:
        return np.broadcast_to(np.ones(1, dtype=X.dtype), (X.shape[0],))
    sw = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if not sw.sum() > 0:
        raise ValueError("sample_weight sums to zero: at least one sample needs a positive weight.")
    return sw
