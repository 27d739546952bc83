"""Parameter objects: small sklearn-style classes for optimizers and schedules.

They subclass :class:`sklearn.base.BaseEstimator` so that ``get_params``,
``set_params``, ``clone`` and nested grid keys such as ``optimizer__beta1``
work unchanged, and add value equality so that two objects built with the
same hyperparameters compare equal.
"""

from sklearn.base import BaseEstimator


def cached_param_names(cls):
    """``BaseEstimator._get_param_names`` of ``cls``, computed once per class (it inspects
    the signature of ``__init__`` on every call: a fifth of a small fit's time)."""
    names = cls.__dict__.get("_param_names_cache")
    if names is None:
        names = BaseEstimator._get_param_names.__func__(cls)
        cls._param_names_cache = names
    return names


#: parameter tuples that passed ``_validate_params``: ``(class, ((name, type, value), ...))``
_VALIDATED = set()
_SCALARS = (str, int, float, bool, type(None))


def validate_params_once(est):
    """``est._validate_params()``, skipped for a parameter set of plain scalars (strings,
    numbers, ``None``) already validated for this class.

    A grid search validates the same few parameter sets thousands of times, and the
    three validations of a fit (estimator, optimizer, schedule) cost a tenth of a small
    fit. Values of any other type (objects, lists, arrays) are validated every time;
    the value's type is part of the key (``True`` and ``1`` are different values here).
    """
    params = est.get_params(deep=False)
    if not all(type(v) in _SCALARS for v in params.values()):
        est._validate_params()
        return
    key = (type(est), tuple(sorted((k, type(v), v) for k, v in params.items())))
    if key in _VALIDATED:
        return
    est._validate_params()
    if len(_VALIDATED) > 4096:  # bounded: a search over floats never grows it far
        _VALIDATED.clear()
    _VALIDATED.add(key)


class ParamObject(BaseEstimator):
    """Base of hyperparameter-only objects (no state, no logic in ``__init__``)."""

    @classmethod
    def _get_param_names(cls):
        return cached_param_names(cls)

    def _key(self):
        params = self.get_params(deep=False)
        return (type(self), tuple(sorted((k, repr(v)) for k, v in params.items())))

    def __eq__(self, other):
        if not isinstance(other, ParamObject):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())
