"""The explorer's gradient views in headless Chromium: the grad-flow step slider recolours the
nodes and updates the norm text; a parameter's panel shows its explain_grad."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
import nn
import optim
import viz
from nn.functional import cross_entropy
from tests.viz import test_explore_browser as eb
from tests.viz.test_explore_browser import node, open_page

pytestmark = eb.pytestmark  # skipped, with the reason, where Chromium is not installed
browser = eb.browser  # the same module-scoped headless Chromium fixture

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"


def sigmoid_run(tmp_path: Path) -> Path:
    """A 4-layer sigmoid MLP trained 12 steps, its norms logged every 2 steps, explored."""
    ag.manual_seed(0)
    model = nn.models.MLP([2, 8, 8, 8, 3], activation="sigmoid")
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(30, 2)).astype(np.float32), np.arange(30) % 3
    h = optim.fit(model, cross_entropy, optim.SGD(model.parameters(), lr=2.0), (x, t),
                  epochs=4, batch_size=10, val_split=0, shuffle=False, progress=False,
                  record_grad_flow=2)
    g = ag.trace(lambda xb: cross_entropy(model(xb), ag.Tensor(t)), x)
    return viz.explore(g, tmp_path / "flow.html", grad_flow=h).path


def test_slider_recolours_nodes_and_updates_norms(browser: Any, tmp_path: Path) -> None:
    page, requests, errors = open_page(browser, sigmoid_run(tmp_path))
    vjp = node(page, "n.k === 'bwd' && n.op === 'linear' && n.module === '0'")
    rng = page.locator("#tg-flow-range")
    assert rng.get_attribute("max") == "5"  # steps 0, 2, ..., 10
    vjp.click()
    last_fill = vjp.locator("rect").evaluate("r => r.style.fill")
    last_text = page.locator("#tg-flow-text").inner_text()
    last_panel = page.locator(".tg-flow-norm").inner_text()
    assert "step 10" in page.locator("#tg-flow-step").inner_text() and last_fill
    rng.fill("0")
    assert "step 0 (1 of 6" in page.locator("#tg-flow-step").inner_text()
    assert page.locator("#tg-flow-text").inner_text() != last_text
    assert vjp.locator("rect").evaluate("r => r.style.fill") != last_fill
    panel = page.locator(".tg-flow-norm").inner_text()
    assert "step 0" in panel and panel != last_panel and "0/linear#0" in panel
    assert page.locator(".e.vjp").first.evaluate("e => e.style.stroke") != ""
    assert requests == [page.url] and errors == []


def test_parameter_panel_explains_its_gradient(browser: Any, tmp_path: Path) -> None:
    page, _, errors = open_page(browser, sigmoid_run(tmp_path))
    page.set_viewport_size({"width": 1400, "height": 900})
    w = node(page, "n.k === 'tensor' && n.role === 'param' && n.name === 'weight' && n.c >= 0 "
             "&& tgExplore.D.clusters[n.c].path === '0'")
    w.click()
    box = page.locator("#tg-explain")
    text = box.inner_text()
    assert "explain_grad" in text and "VANISHING" in text and "culprit: sigmoid" in text
    assert box.locator("tr.culprit").count() == 1
    box.locator("tr.culprit").click()  # reveals the culprit's VJP node
    assert page.evaluate("tgExplore.D.nodes[tgExplore.selected()].op") == "sigmoid"
    w.click()
    page.locator("#tg-flow-range").fill("0")
    page.keyboard.press("f")
    page.screenshot(path=str(tmp_path / "grad_flow.png"))
    assert (tmp_path / "grad_flow.png").stat().st_size > 10_000 and errors == []
