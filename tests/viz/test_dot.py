"""Structure of the drawings: nodes, edges, clusters, colours, marks (SVGs via real `dot`)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import autograd as ag
import viz
from tests.viz.conftest import fills, needs_dot, small_graph, svg_groups, svg_text
from viz import style
from viz.layout import find_repeat, plan

nn = pytest.importorskip("nn", reason="nn package not importable yet")


def _svg(dot) -> str:
    return dot.pipe(format="svg").decode()


def _expected_nodes(g: ag.Graph, mode: str = "both", legend: bool = True) -> int:
    """Forward: every tensor and op; backward: those that carry a gradient."""
    fwd = len(g.tensors) + len(g.ops)
    bwd = sum(t.requires_grad for t in g.tensors.values()) + sum(
        g.tensors[o.output].requires_grad for o in g.ops.values())
    return {"forward": fwd, "backward": bwd, "both": fwd + bwd}[mode] + int(legend)


def _centre_y(node) -> float:
    ys = []
    for el in node.iter():
        pts = el.get("points") or el.get("d") or ""
        ys += [float(p.split(",")[1]) for p in re.findall(r"-?[\d.]+,-?[\d.]+", pts)]
        if el.get("cy"):
            ys.append(float(el.get("cy")))
    return (min(ys) + max(ys)) / 2


def _cluster_titles(svg: str) -> list[str]:
    return [svg_text(c).split(" ")[0] for c in svg_groups(svg)["cluster"]]


# ----- small graph: counts and views -----


def test_forward_view_counts():
    g = small_graph()
    src = viz.draw(g, mode="forward", heat=False).source
    nodes = [ln for ln in src.splitlines() if "[label=" in ln and "->" not in ln]
    edges = [ln for ln in src.splitlines() if "->" in ln and "style=invis" not in ln]
    assert len(nodes) == len(g.tensors) + len(g.ops) == 13
    assert len(edges) == len(g.edges) == 13  # x*x keeps both edges into multiply


def test_backward_view_mirrors_forward():
    g = small_graph()
    src = viz.draw(g, mode="backward").source
    assert src.count("dir=back") == len(g.edges)
    for name in ("SumBackward #1", "MultiplyBackward #2", "TanhBackward #3",
                 "AddBackward #4", "MatmulBackward #5"):
        assert name in src
    assert "g @ bᵀ" in src and "aᵀ @ g" in src and "g·(1−y²)" in src
    assert "∂L/∂x" in src and "‖g‖ = " in src


@needs_dot
def test_both_mode_pairs_every_node_on_one_rank():
    g = small_graph()
    dot = viz.draw(g, mode="both")
    assert dot.source.count("rank=same") == len(g.tensors) + len(g.ops) + 1  # + x, w, b in order
    svg = _svg(dot)
    titles = _cluster_titles(svg)
    assert "forward" in titles and "backward" in titles
    assert titles.count("fc1") == 2  # the module cluster on both sides
    groups = svg_groups(svg)
    assert len(groups["node"]) == _expected_nodes(g)  # + heat legend

    def y_of(label: str) -> float:
        return _centre_y(next(n for n in groups["node"] if svg_text(n).startswith(label)))

    assert y_of("x") == pytest.approx(y_of("∂L/∂x"))
    assert y_of("output") == pytest.approx(y_of("∂L/∂output"))


def test_bad_arguments():
    g = small_graph()
    with pytest.raises(ValueError, match="mode must be"):
        viz.draw(g, mode="sideways")
    with pytest.raises(TypeError, match="Tensor or an ag.Graph"):
        viz.draw([1, 2, 3])
    with pytest.raises(ValueError, match="depth must be"):
        viz.draw(g, depth=0)


# ----- heat -----


def test_heat_scale_is_diverging_and_monotone_in_blue():
    assert style.heat_color(1.0) == "#f7f7f7"
    assert style.heat_color(0.0) == style.ZERO_GRAD_COLOR
    assert style.heat_color(1e-20) == style.heat_color(1e-8) == "#08306b"
    assert style.heat_color(1e20) == "#67001f"
    blues = [int(style.heat_color(10.0**-e)[5:7], 16) for e in range(0, 9)]
    assert blues == sorted(blues, reverse=True) or blues[0] >= blues[-1]
    assert style.text_color("#08306b") == "#ffffff"
    assert style.text_color("#f7f7f7") == "#000000"


@needs_dot
def test_sigmoid20_gradients_fade_toward_the_input():
    ag.manual_seed(0)
    model = nn.models.MLP([8] * 21 + [1], activation="sigmoid")
    loss = (model(ag.randn(4, 8)) ** 2).mean()
    g = viz.as_graph(loss)
    weights = [t for t in g.tensors.values() if t.role == "param" and len(t.shape) == 2]
    norms = [t.grad["norm"] for t in weights]  # input side first
    assert norms[0] < 1e-12 < 1e-2 < norms[-1]
    dot = viz.draw(g, mode="forward", depth=1, values=False, rankdir="LR")
    svg = _svg(dot)
    assert "gradient norm" in svg and "vanishing" in svg  # the legend
    first = style.heat_color(norms[0])
    last = style.heat_color(norms[-1])
    assert first == "#08306b" and first in fills(svg) and last in fills(svg)
    boxes = [n for n in svg_groups(svg)["node"] if "weight (8, 8)" in svg_text(n)]
    assert len(boxes) == 20  # one box per Linear with its weight's gradient norm


# ----- models: MLP, LeNet5, RNN, grad(grad(f)) -----


@needs_dot
def test_mlp_clusters_and_parameters():
    model = nn.models.MLP([4, 8, 8, 3])
    loss = model(ag.randn(5, 4)).sum()
    g = viz.as_graph(loss)
    svg = _svg(viz.draw(g, mode="both"))
    titles = _cluster_titles(svg)
    for k in ("0", "1", "2", "3", "4"):
        assert titles.count(k) == 2
    nodes = svg_groups(svg)["node"]
    assert len(nodes) == _expected_nodes(g)
    params = [n for n in nodes if svg_text(n).startswith(("weight", "bias"))]
    assert len(params) == 6
    assert style.ROLE_STYLE["param"]["fillcolor"] in fills(svg)
    x_edges = sum(1 for e in g.edges if not g.tensors.get(e.src, g.tensors[g.outputs[0]])
                  .requires_grad)
    assert len(svg_groups(svg)["edge"]) == 2 * len(g.edges) - x_edges


def _lenet_graph() -> ag.Graph:
    pytest.importorskip("autograd.ops.conv", reason="conv2d kernels (autograd.ops.conv) not landed")
    model = nn.models.LeNet5(input_size=32)  # the 1998 layout on 32x32 images
    x = ag.randn(2, 1, 32, 32)
    return viz.as_graph(nn.functional.cross_entropy(model(x), ag.Tensor(np.array([3, 7]))))


@needs_dot
def test_lenet5_full_and_collapsed_by_module():
    g = _lenet_graph()
    full = _svg(viz.draw(g, mode="forward"))
    modules = {op.module for op in g.ops.values() if op.module}
    paths = {p for m in modules for p in (m, m.split(".")[0])}
    assert set(_cluster_titles(full)) == paths
    assert any("conv2d" in svg_text(n) for n in svg_groups(full)["node"])
    top = sorted({m.split(".")[0] for m in modules})
    collapsed = viz.draw(g, mode="forward", depth=1)
    svg = _svg(collapsed)
    boxes = [n for n in svg_groups(svg)["node"] if "ops:" in svg_text(n)
             or svg_text(n).split(" ")[0] in top]
    assert {svg_text(b).split(" ")[0] for b in boxes} >= set(top)
    assert len(svg_groups(svg)["node"]) < len(svg_groups(full)["node"]) / 2
    assert "0.weight (6, 1, 5, 5)" in svg and "fc1.weight (120, 400)" in svg
    assert any(svg_text(n).startswith("data (2, 1, 32, 32)") for n in svg_groups(svg)["node"])
    assert style.MODULE_BOX_STYLE["fillcolor"] in fills(svg) or "box3d" in collapsed.source


@needs_dot
def test_rnn_repeated_steps_collapse():
    # unrolled by hand: nn.RNN runs a padded batch as one sequence primitive
    cell, x = nn.RNNCell(3, 5), ag.randn(10, 2, 3)
    h, outs = None, []
    for t in range(10):
        h = cell(x[t], h)
        outs.append(h)
    g = viz.as_graph(ag.stack(outs).sum())
    full = viz.draw(g, mode="both")
    folded = viz.draw(g, mode="both", collapse_repeats=True)
    svg = _svg(folded)
    nodes = svg_groups(svg)["node"]
    # a step is one fused rnn_tanh_cell: 8 of 10 steps fold
    assert len(nodes) < len(svg_groups(_svg(full))["node"]) * 0.6
    repeat = [n for n in nodes if "more repeats" in svg_text(n)]
    assert len(repeat) == 2  # forward and backward
    assert "× 8 more repeats" in svg_text(repeat[0])
    assert style.REPEAT_BOX_STYLE["fillcolor"] in fills(svg)


def test_find_repeat():
    assert find_repeat(list("xabcabcabcabcy")) == (1, 3, 4)
    assert find_repeat(list("abcd")) is None
    assert find_repeat(list("abab")) is None  # fewer than 3 repeats


@needs_dot
def test_grad_of_grad_graph():
    x = ag.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (ag.tanh(x) ** 3).sum()
    y.backward(create_graph=True)
    gx = x.grad  # recorded: the backward pass of y as a graph
    g = viz.as_graph(gx.sum())
    assert g.has_backward and len(g.ops) > 5
    svg = _svg(viz.draw(g, mode="both"))
    nodes = svg_groups(svg)["node"]
    assert len(nodes) == _expected_nodes(g)
    text = " ".join(svg_text(n) for n in nodes)
    assert "TanhBackward" in text and "MultiplyBackward" in text


def test_traced_second_derivative():
    g = ag.trace(lambda x: ag.grad(lambda z: (z ** 3).sum())(x).sum(), np.array([1.0, 2.0]))
    src = viz.draw(g, mode="both").source
    assert g.has_backward and "PowerBackward" in src


# ----- marks -----


@needs_dot
def test_nan_origin_is_marked():
    def f(x):
        return ag.log(x - 1.0).sum()  # log of a negative number: NaN starts at `log`

    with np.errstate(invalid="ignore"):
        g = ag.trace(f, np.array([0.5, 2.0]))
    assert g.first_nonfinite()["forward"] is not None
    svg = _svg(viz.draw(g, mode="both"))
    marked = [n for n in svg_groups(svg)["node"] if "first NaN/inf" in svg_text(n)]
    assert marked and all(svg_text(n).split(" ")[0] in ("log", "(2,)", "LogBackward")
                          for n in marked)
    assert style.ALERT.lower() in svg.lower()


def test_unused_parameter_is_flagged():
    lin_used, lin_unused = nn.Linear(3, 2), nn.Linear(3, 2)

    def f(x):
        lin_unused(x)  # computed, then dropped: no path to the loss
        return lin_used(x).sum()

    g = ag.trace(f, np.ones((1, 3)))
    assert len(g.parameters_without_gradient_path()) == 2
    src = viz.draw(g, mode="both").source
    assert src.count("this layer will not train") == 4  # weight and bias, both views


from autograd.registry import REGISTRY, primitive  # noqa: E402

if "_test_viz_bad_square" in REGISTRY:
    _bad_square = REGISTRY["_test_viz_bad_square"]
else:
    _bad_square = primitive("_test_viz_bad_square")(lambda x: x * x)
    _bad_square.defvjp(lambda g, ans, x: g * x)  # wrong on purpose: misses the factor 2


@needs_dot
def test_check_paints_failing_op_red_with_values():
    def f(x, w):
        return _bad_square(ag.tanh(x @ w)).sum()

    gc = ag.gradcheck_graph(f, (np.full((2, 3), 0.3), np.full((3, 2), 0.2)))
    assert len(gc.failing) == 1
    svg = _svg(viz.draw(gc, check=True))
    bad = [n for n in svg_groups(svg)["node"] if "local vjp" in svg_text(n)]
    assert len(bad) == 2  # forward op and its backward
    text = svg_text(bad[0])
    assert "analytic" in text and "numeric" in text
    assert style.FAILED_CHECK_STYLE["fillcolor"] in fills(svg)
    with pytest.raises(ValueError, match="gradcheck_graph"):
        viz.draw(gc.graph, check=True)
    assert "local vjp" not in viz.draw(gc, check=False).source


def test_source_and_timing_overlays():
    g = small_graph()
    src = viz.draw(g, mode="both", source=True, timing=True).source
    assert "conftest.py:" in src
    assert "fwd " in src and "bwd " in src and "saved " in src
    assert "conftest.py:" not in viz.draw(g).source


# ----- size cap -----


def _chain(n: int) -> ag.Graph:
    def f(x):
        for _ in range(n):
            x = ag.tanh(x)
        return x.sum()

    return ag.trace(f, np.ones(3))


def test_size_cap_collapses_then_refuses():
    g = _chain(60)
    with pytest.warns(UserWarning, match="collapse_repeats=True"):
        dot = viz.draw(g, mode="forward", max_nodes=40)
    assert "more repeats" in dot.source
    with pytest.raises(viz.GraphTooLarge, match="max_nodes=5"):
        viz.draw(g, mode="forward", max_nodes=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.draw(g, mode="forward")  # under the default cap: drawn in full


def test_plan_hides_module_internals():
    g = small_graph()
    p = plan(g, depth=1)
    assert list(p.groups) == ["module:fc1"]
    assert set(p.groups["module:fc1"].ops) == {"op0", "op1", "op2"}
    # 8 tensors - 2 hidden inside fc1 + multiply, sum + the fc1 box
    assert p.size == 9
    assert p.cluster["module:fc1"] is None and "t5" in p.tensors and "t3" not in p.tensors
