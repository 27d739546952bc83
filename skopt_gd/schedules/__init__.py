r"""Learning-rate schedules: pure functions of the 1-based update count ``t``.

A schedule holds hyperparameters only. ``rate(t, eta0)`` gives the learning
rate of update ``t`` from the base rate ``eta0``; the training loop multiplies
the optimizer's direction by it, and nowhere else is a learning rate applied.

``on_plateau(eta0)`` is called when the epoch objective has not improved by
``tol`` for ``n_iter_no_change`` epochs (:class:`Adaptive`: its ``patience``): it
returns the new base rate to go on with, or ``None`` to stop training (the
default, and what every schedule but :class:`Adaptive` does).

Parameters left as ``None`` (``Optimal``'s ``alpha`` and ``t0``, the lengths of
the decays, ``Cyclic.max_lr``) are filled in by the estimator at the start of
``fit`` from its own parameters; see :meth:`Schedule.bind`. Lengths count
updates, as torch's schedulers count their steps when stepped once per
optimizer step: our update ``t`` takes the rate torch's scheduler gives after
``t - 1`` steps, and every torch counterpart named below gives the same rates
to float64 round-off.

Each class writes its rate once, as the static ``lr`` (``_base.py`` tells how
string and list hyperparameters enter it). All run in the compiled engine except
:class:`Sequential` (it holds other schedules; the engine takes its rates from
Python, one epoch at a time, each piece compiled) and a :class:`MultiStep` with
more than 11 milestones.

Examples
--------
>>> from skopt_gd.schedules import InvScaling
>>> InvScaling(power_t=0.5).rate(t=4, eta0=0.1)
0.05
"""

from ._base import Schedule, lr, plateau
from ._classic import Adaptive, Constant, Cosine, Exponential, InvScaling, Optimal, Step
from ._cyclic import Cyclic, OneCycle
from ._decay import CosineWarmRestarts, LinearWarmup, MultiStep, Polynomial
from ._sequential import Sequential

__all__ = [
    "Schedule", "Constant", "InvScaling", "Optimal", "Adaptive", "Exponential",
    "Step", "Cosine", "LinearWarmup", "OneCycle", "CosineWarmRestarts", "Polynomial",
    "MultiStep", "Cyclic", "Sequential", "SCHEDULES",
]

SCHEDULES = {
    "constant": Constant,
    "invscaling": InvScaling,
    "optimal": Optimal,
    "adaptive": Adaptive,
    "exponential": Exponential,
    "step": Step,
    "cosine": Cosine,
    "linear": LinearWarmup,
    "onecycle": OneCycle,
    "cosine_restarts": CosineWarmRestarts,
    "polynomial": Polynomial,
    "multistep": MultiStep,
    "cyclic": Cyclic,
}
"""Alias -> class; the estimator builds ``InvScaling(power_t=self.power_t)``."""
