"""Learning-rate schedules (PyTorch `torch.optim.lr_scheduler` semantics).

Call `scheduler.step()` once per epoch (per batch for `OneCycleLR`/`CyclicLR`), after
`optimizer.step()`. Most schedules use PyTorch's recursive (chainable) formulas, so a change
made to `group["lr"]` by hand or by another scheduler carries on; `step(epoch)` jumps with the
closed form; `ReduceLROnPlateau.step(metric)` reacts to a validation metric instead.

>>> import autograd as ag
>>> from optim import SGD
>>> opt = SGD([ag.tensor([1.0], requires_grad=True)], lr=1.0)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for _ in range(5):
...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
>>> lrs
[1.0, 0.5, 0.5, 0.25, 0.25]
"""

from optim.lr_scheduler.base import LRScheduler
from optim.lr_scheduler.composite import ChainedScheduler, SequentialLR
from optim.lr_scheduler.cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from optim.lr_scheduler.decay import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
]
