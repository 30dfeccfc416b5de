"""Weight initialisation: zero vs constant vs Xavier vs He.

Part 1 (activation histograms per layer; 1000 inputs ~ N(0, 1) of 100 features through 5
layers of 100 units, no training):
- sigmoid with N(0, 1) weights saturates: half or more of the activations pile up within
  0.02 of 0 or 1, where the sigmoid's gradient vanishes;
- sigmoid with N(0, 0.01^2) weights collapses every unit to ~0.5 (std < 0.01): the units
  all say the same thing;
- Xavier keeps sigmoid activations spread out in every layer;
- ReLU with Xavier shrinks layer by layer, He (std sqrt(2/fan_in)) keeps the spread.
Part 2 (the symmetry problem; a 2-10-10-3 ReLU MLP trained with Adam on the spiral set):
- zero init never learns (every hidden unit and its gradient stays 0: 1 distinct unit,
  chance accuracy 33%); constant init keeps all units of a layer identical, so the net
  acts like one unit per layer (1 distinct unit, accuracy ~55%, never above 60%);
- Xavier and He break the symmetry: 10 distinct units per layer and >= 90% accuracy
  (~99% after 100 epochs).
Plots: init_histograms.png, init_symmetry.png.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from _common import accuracy, parse, pyplot, savefig, seed_everything

import autograd as ag
import nn
import optim
from tracegrad.cli.common import train_epoch

INITS: dict[str, Callable[[ag.Tensor], object]] = {
    "zero": nn.init.zeros_,
    "constant": lambda w: nn.init.constant_(w, 0.5),
    "xavier": nn.init.xavier_normal_,
    "he": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}
HIST_CASES = {
    "sigmoid, N(0,1)": ("sigmoid", lambda w: nn.init.normal_(w, std=1.0)),
    "sigmoid, N(0,0.01)": ("sigmoid", lambda w: nn.init.normal_(w, std=0.01)),
    "sigmoid, Xavier": ("sigmoid", nn.init.xavier_normal_),
    "relu, Xavier": ("relu", nn.init.xavier_normal_),
    "relu, He": ("relu", INITS["he"]),
}


def layer_activations(activation: str, init: Callable, x: np.ndarray, layers: int = 5) -> list:
    """Activations of each of `layers` 100-unit layers initialised by `init` (no bias)."""
    acts, h = [], ag.Tensor(x)
    act = ag.sigmoid if activation == "sigmoid" else ag.relu
    with ag.no_grad():
        for _ in range(layers):
            lin = nn.Linear(h.shape[1], 100, bias=False)
            init(lin.weight)
            h = act(lin(h))
            acts.append(h.data.ravel())
    return acts


def symmetry(init_name: str, epochs: int, seed: int) -> dict:
    """Train a 2-10-10-3 MLP initialised by `init_name`; count distinct hidden units."""
    rng = seed_everything(seed)
    model = nn.models.MLP([2, 10, 10, 3])
    for m in model.modules():
        if isinstance(m, nn.Linear):
            INITS[init_name](m.weight)
            nn.init.zeros_(m.bias)
    x, t = nn.data.Spiral(seed=seed).as_arrays()
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(epochs):
        train_epoch(model, opt, x, t, 30, rng)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)][:-1]
    distinct = [len(np.unique(np.round(m.weight.data, 5), axis=0)) for m in linears]
    return {"acc": accuracy(model, x, t), "distinct_units": distinct}


def main(argv: Sequence[str] | None = None) -> dict:
    """Print per-layer activation statistics and the symmetry results; save both plots."""
    args = parse(__doc__, argv)
    seed_everything(args.seed)
    x = np.random.default_rng(args.seed).standard_normal((1000, 100)).astype(np.float32)
    plt = pyplot()
    fig, axes = plt.subplots(len(HIST_CASES), 5, figsize=(13, 2.2 * len(HIST_CASES)))
    stats = {}
    print("activations per layer: std (fraction within 0.02 of 0 or 1 for sigmoid)")
    for row, (name, (act, init)) in zip(axes, HIST_CASES.items(), strict=True):
        acts = layer_activations(act, init, x)
        stds = [float(a.std()) for a in acts]
        sat = [float(np.mean((a < 0.02) | (a > 0.98))) for a in acts]
        stats[name] = {"std": stds, "saturated": sat}
        cells = [f"{s:.3f}" + (f" ({f:.0%})" if act == "sigmoid" else "")
                 for s, f in zip(stds, sat, strict=True)]
        print(f"  {name:<20}" + "  ".join(f"{c:>13}" for c in cells))
        for i, (ax, a) in enumerate(zip(row, acts, strict=True)):
            ax.hist(a, bins=30, range=(0, 1) if act == "sigmoid" else None)
            ax.set_title(f"{name}: layer {i + 1}", fontsize=8)
            ax.tick_params(labelsize=6)
    savefig(fig, args.out, "init_histograms.png")
    epochs = 30 if args.quick else 100
    print(f"symmetry problem: 2-10-10-3 ReLU MLP, spiral set, {epochs} epochs")
    sym = {}
    for name in INITS:
        sym[name] = symmetry(name, epochs, args.seed)
        print(f"  {name:<9} train accuracy {sym[name]['acc']:6.1%}   distinct hidden units per "
              f"layer {sym[name]['distinct_units']}")
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(list(sym), [s["acc"] for s in sym.values()])
    ax.set(ylabel="spiral train accuracy", ylim=(0, 1), title="initialisation vs accuracy")
    savefig(fig, args.out, "init_symmetry.png")
    return {"hist": stats, "symmetry": sym}


if __name__ == "__main__":
    main()
