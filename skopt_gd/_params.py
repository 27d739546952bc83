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
