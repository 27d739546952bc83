r"""Optimizers: update rules as small parameter objects.

An optimizer holds hyperparameters only. The estimator owns the state: it
calls ``state = opt.init_state(params)`` once, then for every update
``t = 1, 2, ...``::

    direction = opt.step(grad, state, t)     # updates ``state`` in place
    params -= eta_t * direction              # the one place eta_t appears

Each class reproduces the algorithm documented for the ``torch.optim``
optimizer of the same name, or of its reference implementation
(``schedulefree``, ``prodigyopt``), with weight decay off (penalties are
handled by the estimator), to float64 round-off. Rules that read the
parameters (schedule-free's average, Prodigy's distance to the start) are
called as ``params = opt.update(params, grad, state, t, eta_t)`` instead. Its formula is written once, as the class's
``begin`` / ``coord`` static methods (see :mod:`skopt_gd.optimizers._base`),
which both ``step`` and the compiled training engine run.

``prox_scale(state, t)`` gives the optimizer's per-coordinate step
multiplier at a stationary point (the diagonal metric of the update). The
L1 proximal step soft-thresholds by ``eta_t * alpha * l1_ratio * prox_scale``,
so that the fixed points of every optimizer satisfy the Lasso optimality
conditions exactly. Sign-based rules (``Rprop``, ``Lion``) have no such
multiplier: they set ``l1_prox = False`` and the estimators refuse an L1 part
with them.

Examples
--------
>>> import numpy as np
>>> from skopt_gd.optimizers import Adam
>>> opt = Adam(beta1=0.5, eps=0.0)
>>> state = opt.init_state(np.zeros(2))
>>> opt.step(np.array([1.0, -2.0]), state, t=1)
array([ 1., -1.])
"""

from ._adam import Adam, Adamax, NAdam
from ._adaptive import Adadelta, Adagrad, RMSprop
from ._base import Optimizer
from ._lion import Lion
from ._prodigy import Prodigy
from ._radam import RAdam
from ._rprop import Rprop
from ._schedulefree import ScheduleFreeAdam, ScheduleFreeSGD
from ._sgd import SGD

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "Adamax",
    "NAdam", "RAdam", "Rprop", "Lion", "ScheduleFreeSGD", "ScheduleFreeAdam", "Prodigy",
    "OPTIMIZERS",
]

OPTIMIZERS = {
    "sgd": lambda: SGD(),
    "momentum": lambda: SGD(momentum=0.9),
    "nesterov": lambda: SGD(momentum=0.9, nesterov=True),
    "adagrad": lambda: Adagrad(),
    "rmsprop": lambda: RMSprop(),
    "adadelta": lambda: Adadelta(),
    "adam": lambda: Adam(),
    "amsgrad": lambda: Adam(amsgrad=True),
    "adamax": lambda: Adamax(),
    "nadam": lambda: NAdam(),
    "radam": lambda: RAdam(),
    "rprop": lambda: Rprop(),
    "lion": lambda: Lion(),
    "schedulefree_sgd": lambda: ScheduleFreeSGD(),
    "schedulefree_adam": lambda: ScheduleFreeAdam(),
    "prodigy": lambda: Prodigy(),
}
"""Alias -> factory of the optimizer object the alias stands for."""
