"""tracegrad's neural-network library with PyTorch's conventions: `Module`, `Parameter`,
layers, recurrent nets, losses, `functional` (also `F`), `init`, checkpoints (`save`/`load`),
ready-made `models` and `data` loading.

>>> import nn
>>> net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
>>> loss = nn.CrossEntropyLoss()(net(ag.randn(8, 4)), ag.tensor(np.arange(8) % 3))  # doctest: +SKIP
"""

from nn import data, functional, init, models, utils
from nn import functional as F
from nn.module import (
    IncompatibleKeys,
    Module,
    ModuleDict,
    ModuleList,
    Sequential,
    functional_call,
)
from nn.modules import (
    ELU,
    GRU,
    LSTM,
    RNN,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Conv2d,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    GRUCell,
    Identity,
    L1Loss,
    LeakyReLU,
    Linear,
    LocalResponseNorm,
    LogSoftmax,
    LSTMCell,
    MaxPool2d,
    MSELoss,
    MultiheadAttention,
    NLLLoss,
    ReLU,
    RNNBase,
    RNNCell,
    RNNCellBase,
    Sigmoid,
    Softmax,
    Tanh,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from nn.parameter import Parameter
from nn.serialization import CheckpointError, load, save

__all__ = [name for name in dir() if not name.startswith("_")]
