"""Training pictures with matplotlib (the optional `plot` extra): loss/accuracy curves,
per-layer activation histograms, per-layer gradient norms, and 2-D decision boundaries.

Every function returns a `matplotlib.figure.Figure` and saves it when `path=` is given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograd.graph import Graph
from autograd.tensor import Tensor

ACTIVATIONS = ("relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus")


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "viz.plots needs matplotlib: pip install matplotlib (or tracegrad[plot])"
        ) from exc
    return plt


def _finish(fig: Any, path: str | os.PathLike[str] | None) -> Any:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def training_curves(history: Any, path: str | os.PathLike[str] | None = None) -> Any:
    """Loss (and accuracy, when recorded) per epoch, train and validation.

    `history`: a mapping like `{"loss": [...], "val_loss": [...], "acc": [...]}` or an object
    with such a `.history` (what `optim.fit` returns).
    """
    h: Mapping[str, Any] = getattr(history, "history", history)
    panels = [("loss", [k for k in h if "loss" in k]), ("accuracy", [k for k in h if "acc" in k])]
    panels = [(name, keys) for name, keys in panels if keys]
    if not panels:
        raise ValueError(f"history has no loss or accuracy series; keys: {sorted(h)}")
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, (name, keys) in zip(axes[0], panels, strict=True):
        for k in keys:
            ys = np.asarray(h[k], dtype=float)
            ax.plot(np.arange(1, len(ys) + 1), ys, marker="o", ms=3,
                    ls="--" if k.startswith("val") else "-", label=k)
        ax.set(xlabel="epoch", ylabel=name, title=name)
        ax.grid(alpha=0.3)
        ax.legend()
    return _finish(fig, path)


def activations(g: Graph, ops: tuple[str, ...] = ACTIVATIONS) -> dict[str, np.ndarray]:
    """Outputs of the activation ops recorded in `g`, by module path (or op id), in order."""
    out: dict[str, np.ndarray] = {}
    for oid, op in g.ops.items():
        if op.op in ops and oid in g.records:
            out[op.module or f"{op.op} {oid}"] = np.asarray(g.records[oid][1].data)
    return out


def activation_histograms(
    graphs: Graph | Mapping[str, Graph],
    bins: int = 40,
    path: str | os.PathLike[str] | None = None,
) -> Any:
    """One histogram per activation layer; one row per graph (e.g. per initialisation:
    `{"constant": g1, "Xavier": g2, "He": g3}`), so saturation or collapse is visible."""
    rows = {"": graphs} if isinstance(graphs, Graph) else dict(graphs)
    acts = {name: activations(g) for name, g in rows.items()}
    ncols = max((len(a) for a in acts.values()), default=0)
    if ncols == 0:
        raise ValueError(f"no activation ops ({', '.join(ACTIVATIONS)}) in the graph(s)")
    plt = _pyplot()
    fig, axes = plt.subplots(len(rows), ncols, figsize=(2.4 * ncols, 2.2 * len(rows)),
                             squeeze=False, sharey="row")
    for r, (name, layer_acts) in enumerate(acts.items()):
        for c in range(ncols):
            ax = axes[r][c]
            if c >= len(layer_acts):
                ax.axis("off")
                continue
            layer, values = list(layer_acts.items())[c]
            v = values.ravel()
            v = v[np.isfinite(v)]
            ax.hist(v, bins=bins, color="#3f6fb5")
            ax.set_title(f"{layer}\nmean {v.mean():.2g} std {v.std():.2g}", fontsize=8)
            ax.tick_params(labelsize=7)
            if c == 0 and name:
                ax.set_ylabel(name)
    return _finish(fig, path)


def gradient_norms(g: Graph) -> dict[str, float]:
    """Gradient norm of every parameter in `g`, named `module.param`, input side first."""
    owner: dict[str, str | None] = {}
    for op in g.ops.values():
        for tid in op.inputs:
            if tid is not None and tid not in owner:
                owner[tid] = op.module
    out: dict[str, float] = {}
    for tid, tn in g.tensors.items():
        if tn.role != "param" and not (tn.role in ("input", "leaf") and tn.name):
            continue
        if tn.role != "param" and len(tn.shape) < 1:
            continue
        name = ".".join(p for p in (owner.get(tid), tn.name or tid) if p)
        out[name] = tn.grad["norm"] if tn.grad else 0.0
    return out


def gradient_flow(g: Graph, path: str | os.PathLike[str] | None = None) -> Any:
    """Bar chart of per-parameter gradient norms (log scale), input side on the left:
    vanishing gradients show as a slope down toward the input, zero ones in red."""
    if not g.has_backward:
        raise ValueError("the graph has no recorded backward pass (trace a scalar loss)")
    norms = gradient_norms(g)
    if not norms:
        raise ValueError("no parameters in the graph")
    plt = _pyplot()
    names, vals = list(norms), np.array(list(norms.values()))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.35 * len(names) + 2), 3.8))
    floor = vals[vals > 0].min() / 10 if (vals > 0).any() else 1e-12
    colors = ["#c62828" if v == 0 else "#3f6fb5" for v in vals]
    ax.bar(range(len(vals)), np.where(vals > 0, vals, floor), color=colors)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names, rotation=70, ha="right", fontsize=7)
    ax.set(ylabel="‖∂L/∂p‖", title="gradient norm per parameter (input → output)")
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, path)


def decision_boundary(
    predict: Callable[[np.ndarray], Any],
    x: np.ndarray,
    t: np.ndarray,
    resolution: int = 200,
    path: str | os.PathLike[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> Any:
    """Regions of the plane by predicted class, with the data points on top (Spiral demo)
    and a legend naming each class (`class_names`; default `0`, `1`, ...).

    `predict` maps an (N, 2) float array to class scores (N, C) or labels (N,), as an
    ndarray or Tensor (e.g. `lambda a: model(ag.tensor(a))`).
    """
    x = np.asarray(x, dtype=np.float32)
    t = np.asarray(t)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D points of shape (N, 2); got {x.shape}")
    pad = 0.1 * (x.max(axis=0) - x.min(axis=0) + 1e-9)
    lo, hi = x.min(axis=0) - pad, x.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    scores = predict(grid)
    scores = np.asarray(scores.data if isinstance(scores, Tensor) else scores)
    labels = scores.argmax(axis=1) if scores.ndim == 2 else scores.astype(int)
    n_classes = int(max(labels.max(), t.max())) + 1
    if class_names is not None and len(class_names) < n_classes:
        raise ValueError(f"class_names has {len(class_names)} names for {n_classes} classes")
    names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    plt = _pyplot()
    from matplotlib.colors import ListedColormap
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    colors = [plt.get_cmap("tab10")(k % 10) for k in range(n_classes)]
    ax.contourf(xx, yy, labels.reshape(xx.shape), levels=np.arange(n_classes + 1) - 0.5,
                cmap=ListedColormap(colors), alpha=0.3)
    for k in range(n_classes):
        mine = t == k
        ax.scatter(x[mine, 0], x[mine, 1], color=colors[k], s=12, edgecolors="k",
                   linewidths=0.3, label=names[k])
    for axis in (ax.xaxis, ax.yaxis):  # a few round ticks that never run into each other
        axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.tick_params(labelsize=9)
    ax.set(title="decision boundary", xlabel="x₁", ylabel="x₂")
    ax.legend(title="class", loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9,
              borderaxespad=0.0)  # outside the plot: it covers no point
    return _finish(fig, path)
