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
    ParameterDict,
    ParameterList,
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
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    Identity,
    KLDivLoss,
    L1Loss,
    LeakyReLU,
    Linear,
    LocalResponseNorm,
    LogSoftmax,
    MarginRankingLoss,
    MaxPool2d,
    MSELoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    NLLLoss,
    PoissonNLLLoss,
    ReLU,
    RNNBase,
    Sigmoid,
    SmoothL1Loss,
    SoftMarginLoss,
    Softmax,
    Tanh,
    TripletMarginLoss,
)
from nn.modules.activation import (  # noqa: F401 - activation layers
    CELU,
    GELU,
    GLU,
    SELU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    RReLU,
    SiLU,
    Softmax2d,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
)

# isort: split
from nn.modules import (  # the layers added for PyTorch parity
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AlphaDropout,
    AvgPool1d,
    Conv1d,
    ConvTranspose1d,
    ConvTranspose2d,
    Dropout1d,
    Dropout2d,
    Embedding,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    LayerNorm,
    MaxPool1d,
    MaxUnpool2d,
    PixelShuffle,
    PixelUnshuffle,
    Unflatten,
    Upsample,
)
from nn.parameter import Parameter
from nn.serialization import CheckpointError, load, save

__all__ = [name for name in dir() if not name.startswith("_")]
