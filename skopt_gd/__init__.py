"""skopt_gd: gradient-descent linear models as first-class scikit-learn estimators."""

from ._classifier import SGDLogisticClassifier
from ._cv import SGDLinearRegressorCV, SGDLogisticClassifierCV
from ._regressor import SGDLinearRegressor
from ._plotting import LossCurveDisplay

__all__ = ["SGDLinearRegressor", "SGDLogisticClassifier", "SGDLinearRegressorCV",
           "SGDLogisticClassifierCV", "LossCurveDisplay"]
__version__ = "0.1.0"
