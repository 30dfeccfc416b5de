"""Overfitting on 300 MNIST images, and two cures: weight decay and dropout.

A 7-layer ReLU net (784-100x6-10, He init) is trained with SGD (lr 0.01, batch 100) on only 300
training images for 200 epochs, then again with weight decay (L2, lambda 0.1 on the
weights, i.e. a lambda/2 * ||W||^2 penalty) and with dropout (p = 0.15 after each hidden
layer; dropout needs more epochs to fit, so it gets 300 as in the classic setup).
Expected outcome:
- plain: training accuracy reaches ~100% while test accuracy stalls near 70-75%: a gap of
  ~0.25-0.3;
- weight decay: training accuracy stays lower (~90%), the gap shrinks (to ~0.2);
- dropout: the gap shrinks as well, less than with weight decay at this rate.
Measured (train / test / gap): plain 100% / 74.2% / 0.258; weight decay 89.0% / 69.9% /
0.191; dropout (300 epochs) 99.7% / 75.6% / 0.240.
Quick run: 30 epochs with lr 0.05 (1,000 test images): plain fits the 300 images (~100%
train, ~70% test), weight decay already shrinks the gap; dropout keeps training accuracy
below plain's but needs the long run to close the gap.
Plot: overfitting.png (train/test accuracy per epoch for the three nets).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from _common import fit_classifier, he_init, mnist, parse, pyplot, savefig, seed_everything

import nn
import optim

SIZES = [784] + [100] * 6 + [10]


def train(kind: str, data: tuple, epochs: int, lr: float, seed: int) -> dict:
    """Train the net as `kind` ('plain', 'weight decay', 'dropout'); accuracy every 10 epochs."""
    seed_everything(seed)
    model = he_init(nn.models.MLP(SIZES, dropout=0.15 if kind == "dropout" else 0.0))
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    decay = 0.1 if kind == "weight decay" else 0.0
    opt = optim.SGD([{"params": weights, "weight_decay": decay}, {"params": biases}], lr=lr)
    train_set, test_set = data
    return fit_classifier(model, opt, train_set, epochs, 100, seed, test=test_set,
                          every=max(1, epochs // 10))


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the three nets; print final train/test accuracies and gaps; plot the curves."""
    args = parse(__doc__, argv)
    data = mnist(args.data_dir, n_train=300, n_test=1000 if args.quick else None)
    plan = {"plain": 200, "weight decay": 200, "dropout": 300}
    lr = 0.01
    if args.quick:
        plan, lr = {k: 30 for k in plan}, 0.05
    results, histories = {}, {}
    print(f"{'':<13}{'epochs':>7}{'train acc':>11}{'test acc':>10}{'gap':>7}")
    for kind, epochs in plan.items():
        hist = histories[kind] = train(kind, data, epochs, lr, args.seed)
        tr, te = hist["train_acc"][-1], hist["test_acc"][-1]
        results[kind] = {"train_acc": tr, "test_acc": te, "gap": tr - te}
        print(f"{kind:<13}{epochs:>7}{tr:>11.1%}{te:>10.1%}{tr - te:>7.3f}", flush=True)
    savefig(plot_curves(histories), args.out, "overfitting.png")
    return results


def plot_curves(histories: dict[str, dict]) -> Any:
    """Train/test accuracy per epoch, one panel per net, one legend right of the last panel
    (inside a panel it covered the train curve near 100%)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(histories), figsize=(13, 4.0), sharey=True, squeeze=False)
    for ax, (kind, hist) in zip(axes[0], histories.items(), strict=True):
        ax.plot(hist["epoch"], hist["train_acc"], "o-", label="train")
        ax.plot(hist["epoch"], hist["test_acc"], "s-", label="test")
        ax.set(title=kind, xlabel="epoch", ylim=(0, 1.02))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("accuracy")
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return fig


if __name__ == "__main__":
    main()
