"""When it breaks: the graph up to the error.

A small CNN classifier has a classic bug: its first fully connected layer expects 16*5*5
inputs, but the convolutions hand it 16*4*4 (the 28x28 image shrinks to 4x4, not 5x5).
Run inside `ag.record_on_error()`, the ShapeError propagates as usual, and the graph recorded
up to it is kept: `viz.last_error_graph()` draws every op that ran, in its module, with the
failing `linear` outlined in red, its input shapes and dtypes, the message and the line of
this file that called it. Then a custom `ag.Function` whose backward returns a gradient of
the wrong shape: the same picture, in both passes, says which VJP broke and both shapes.
Expected outcome: ShapeError in `fc1` (`linear`, inputs (8, 256) and (120, 400)); then a
ShapeError in backward naming `Doubler`'s VJP, shape (8, 120) returned for an (8, 1, 120)
input. Plots: error_graph_forward.png, error_graph_backward.png (need Graphviz's `dot`; the
.dot source is written without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import parse, seed_everything

import autograd as ag
import nn
import viz


class SmallCNN(nn.Module):
    """LeNet-like: two conv + pool stages, then fc1 sized for the wrong image size."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # the bug: 16 * 4 * 4 for 28x28 images
        self.fc2 = nn.Linear(120, 10)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        return self.fc2(self.fc1(self.features(x)).relu())


class Doubler(ag.Function):
    """y = 2x, with a backward that forgets the middle axis (a wrong-shape VJP)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x * 2.0

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return (g * 2.0).reshape(g.shape[0], -1)  # (8, 120) for an (8, 1, 120) input


def _draw(out: Path, name: str) -> Path:
    drawing = viz.last_error_graph()
    try:
        return viz.render(drawing, out / f"{name}.png")
    except viz.GraphvizNotFound:
        return viz.render(drawing, out / f"{name}.dot")


def main(argv: Sequence[str] | None = None) -> dict:
    """Hit both failures inside `record_on_error()`; draw each kept graph; return what failed."""
    args = parse(__doc__, argv)
    seed_everything(args.seed)
    x = ag.tensor(np.random.default_rng(args.seed).random((8, 1, 28, 28), dtype=np.float32))
    model = SmallCNN()
    results = {}
    try:
        with ag.record_on_error():
            model(x)
    except ag.ShapeError as exc:
        print(f"forward:  {type(exc).__name__}: {exc}")
        err = ag.last_error_graph().error
        results["forward"] = err
        print(f"          kept {len(ag.last_error_graph().ops)} ops; failing op "
              f"{err['op_name']} in {err['module']} at {err['location']}")
        print(f"          drawn: {_draw(args.out, 'error_graph_forward')}")
    head = nn.Linear(256, 120)  # a working fc1, for the backward example
    features = model.features(x).detach()
    try:
        with ag.record_on_error():
            y = Doubler.apply(head(features).reshape(8, 1, 120))
            model.fc2(y.relu()).sum().backward()
    except ag.ShapeError as exc:
        print(f"backward: {type(exc).__name__}: {exc}")
        err = ag.last_error_graph().error
        results["backward"] = err
        print(f"          {err['op_name']}: {err['detail']}")
        print(f"          drawn: {_draw(args.out, 'error_graph_backward')}")
    return results


if __name__ == "__main__":
    main()
