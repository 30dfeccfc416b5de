"""tracegrad's neural-network library with PyTorch's conventions: `Module`, `Parameter`,
layers, recurrent nets, losses, `functional` (also `F`), `init`, checkpoints (`save`/`load`),
ready-made `models` and `data` loading.

>>> import nn
>>> net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
>>> loss = nn.CrossEntropyLoss()(net(ag.randn(8, 4)), ag.tensor(np.arange(8) % 3))  # doctest: +SKIP
"""

from nn import (
    data,
    functional,
    functional_activation,
    hooks,
    init,
    models,
    module,
    modules,
    parameter,
    serialization,
    utils,
)
from nn import functional as F
from nn.module import IncompatibleKeys, Module, functional_call
from nn.modules import *  # noqa: F403 - every layer, container and loss module
from nn.modules import __all__ as _layers
from nn.parameter import Parameter
from nn.serialization import CheckpointError, load, save

# The layers (nn.modules' list), the core API, and the submodules above.
__all__ = [
    *_layers,
    "CheckpointError",
    "F",
    "IncompatibleKeys",
    "Module",
    "Parameter",
    "functional_call",
    "load",
    "save",
    "data",
    "functional",
    "functional_activation",
    "hooks",
    "init",
    "models",
    "module",
    "modules",
    "parameter",
    "serialization",
    "utils",
]
