"""tracegrad's optimizers and training tools (PyTorch `torch.optim` conventions).

>>> import autograd as ag, optim
>>> w = ag.tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.Adam([w], lr=0.1)
>>> for _ in range(3):
...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
>>> bool(abs(w.data).max() < 1.8)
True
"""

from autograd.grad_clip import clip_grad_norm_, clip_grad_value_
from optim import lr_scheduler, search
from optim.adadelta import Adadelta, adadelta
from optim.adagrad import Adagrad, adagrad
from optim.adam import Adam, AdamW, adam
from optim.adamax import Adamax, adamax
from optim.asgd import ASGD, asgd
from optim.early_stopping import EarlyStopping
from optim.lbfgs import LBFGS
from optim.nadam import NAdam, nadam
from optim.optimizer import Optimizer
from optim.radam import RAdam, radam
from optim.regularization import l1_penalty, l2_penalty
from optim.rmsprop import RMSprop, rmsprop
from optim.search import Choice, IntUniform, LogUniform, Uniform, random_search
from optim.sgd import SGD, sgd
from optim.training import (
    Ensemble,
    History,
    accuracy,
    evaluate,
    fit,
    iterate_batches,
    predict,
    train_val_split,
)

__all__ = [
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "ASGD",
    "LBFGS",
    "adadelta",
    "adamax",
    "nadam",
    "radam",
    "asgd",
    "Optimizer",
    "sgd",
    "adagrad",
    "rmsprop",
    "adam",
    "lr_scheduler",
    "clip_grad_norm_",
    "clip_grad_value_",
    "l1_penalty",
    "l2_penalty",
    "EarlyStopping",
    "search",
    "random_search",
    "LogUniform",
    "Uniform",
    "IntUniform",
    "Choice",
    "fit",
    "evaluate",
    "predict",
    "iterate_batches",
    "train_val_split",
    "accuracy",
    "Ensemble",
    "History",
]
