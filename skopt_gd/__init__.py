"""skopt_gd: gradient-descent linear models as first-class scikit-learn estimators."""

from ._classifier import SGDLogisticClassifier
from ._regressor import SGDLinearRegressor
from ._plotting import LossCurveDisplay

__all__ = ["SGDLinearRegressor", "SGDLogisticClassifier", "LossCurveDisplay"]
__version__ = "0.1.0"
