"""viz.explore in a real headless Chromium (Playwright): links, folding, search, no network,
and the load/unfold times of a 20,000-node graph (printed; run with -s to see them)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autograd as ag
import viz
from tests.viz.conftest import small_graph

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                               "(pip install playwright; Debian's chromium is used)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH "
                                "(apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    """The page loaded from file://, with every request it makes and every script error."""
    page = browser.new_page(viewport={"width": 1300, "height": 800})
    requests: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        requests.append(r.request.url)
        if r.request.url == path.as_uri():
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.tgExplore && window.tgExplore.ready")
    return page, requests, errors


def node(page: Any, pred: str) -> Any:
    """The SVG element of the first node matching the JS predicate `pred` (on n)."""
    i = page.evaluate(f"tgExplore.find(n => {pred})")
    assert i >= 0
    return page.locator(f'[data-key="n{i}"]')


def classes(loc: Any) -> list[str]:
    return loc.get_attribute("class").split()


def test_click_links_forward_and_backward(browser: Any, tmp_path: Path) -> None:
    path = viz.explore(small_graph(), tmp_path / "g.html").path
    page, requests, errors = open_page(browser, path)
    tanh = node(page, "n.k === 'op' && n.op === 'tanh'")
    vjp = node(page, "n.k === 'bwd' && n.op === 'tanh'")
    assert "hl" not in classes(vjp)
    tanh.click()
    assert "sel" in classes(tanh) and "hl" in classes(vjp)
    assert page.locator(".e.vjp.hl").count() == 2  # gradient in from multiply, out to add
    panel = page.locator("#tg-panel").inner_text()
    assert "tanh" in panel and "fc1" in panel and "conftest.py:" in panel
    assert "gradient norm" in panel and page.locator("#tg-panel svg.hist rect").count() > 0
    vjp.click()
    assert "sel" in classes(vjp) and "hl" in classes(tanh)
    page.screenshot(path=str(tmp_path / "explorer.png"))
    assert (tmp_path / "explorer.png").stat().st_size > 10_000
    assert requests == [path.as_uri()] and errors == []


def test_fold_unfold_and_search(browser: Any, tmp_path: Path) -> None:
    path = viz.explore(small_graph(), tmp_path / "g.html", depth=1).path
    page, requests, errors = open_page(browser, path)
    assert page.locator(".n.folded").count() == 2  # fc1, forward and backward
    hidden = page.evaluate("tgExplore.state.visibleNodes")
    page.locator(".n.folded").first.click()
    assert page.locator(".n.folded").count() == 0
    assert page.evaluate("tgExplore.state.visibleNodes") > hidden
    page.keyboard.press("f")  # fit the unfolded graph into the view
    page.locator(".cl-label").first.click()  # clicking an open module folds it again
    assert page.locator(".n.folded").count() == 2
    page.locator("#tg-search").fill("matmul")
    assert "2 matches" in page.locator("#tg-results").inner_text()  # matmul and its vjp
    page.locator("#tg-results [data-i]").first.click()
    assert page.locator(".n.folded").count() == 0 and page.locator(".n.sel").count() == 1
    page.keyboard.press("Escape")
    assert page.locator(".n.sel").count() == 0
    assert requests == [path.as_uri()] and errors == []


def big_graph(blocks: int = 40, layers: int = 50) -> ag.Graph:
    """A VGG-like stack of small modules: ~20,000 explorer nodes (tensors, ops, vjps)."""
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal((8, 8)) * 0.3 for _ in range(blocks * layers)]

    def f(x, *w):
        for b in range(blocks):
            with ag.module_scope(f"features{b}"):
                for j in range(layers):
                    with ag.module_scope(f"conv{j}"):
                        x = ag.relu(x @ w[b * layers + j]) + 0.1
        return (x * x).mean()

    return ag.trace(f, rng.standard_normal((4, 8)), *ws)


def test_20000_nodes_open_and_unfold(browser: Any, tmp_path: Path) -> None:
    t = time.perf_counter()
    g = big_graph()
    traced = time.perf_counter() - t
    t = time.perf_counter()
    ex = viz.explore(g, tmp_path / "big.html")
    written = time.perf_counter() - t
    assert ex.n_nodes >= 20_000
    t = time.perf_counter()
    page, requests, errors = open_page(browser, ex.path)
    load = time.perf_counter() - t
    state = page.evaluate("tgExplore.state")
    assert state["visibleNodes"] < 200  # folded to depth=1: one box per block and side
    t = time.perf_counter()
    page.locator(".n.folded").first.click()
    page.wait_for_function(f"tgExplore.state.visibleNodes > {state['visibleNodes']}")
    unfold = time.perf_counter() - t
    after = page.evaluate("tgExplore.state")
    print(f"\nexplorer, {ex.n_nodes} nodes ({ex.layout}): trace {traced:.1f} s, write "
          f"{written:.1f} s ({ex.path.stat().st_size / 1e6:.1f} MB); browser load "
          f"{load * 1000:.0f} ms (script {state['scriptMs']:.0f} ms, first render "
          f"{state['lastRenderMs']:.0f} ms, {state['visibleNodes']} nodes drawn); unfold one "
          f"module {unfold * 1000:.0f} ms (render {after['lastRenderMs']:.0f} ms, "
          f"{after['visibleNodes']} nodes drawn)")
    page.screenshot(path=str(tmp_path / "big.png"))
    assert requests == [ex.path.as_uri()] and errors == []


def test_jupyter_iframe_runs_the_page(browser: Any, tmp_path: Path) -> None:
    """`_repr_html_` (what Jupyter shows) is a sandboxed iframe in which the explorer runs."""
    html = viz.explore(small_graph(), tmp_path / "g.html")._repr_html_()
    page = browser.new_page()
    page.set_content(html)
    frame = page.frames[1]
    frame.wait_for_function("window.tgExplore && window.tgExplore.ready")
    assert frame.locator(".n.bwd").count() == len(small_graph().backward_order)


def test_error_graph_outlines_the_failing_op(browser: Any, tmp_path: Path) -> None:
    import nn

    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(4, 3))
    with pytest.raises(ag.ShapeError), ag.record_on_error():
        model(ag.randn(5, 2))
    path = viz.explore(ag.last_error_graph(), tmp_path / "error.html").path
    page, requests, errors = open_page(browser, path)
    failing = node(page, "n.k === 'op' && n.err")
    assert "err" in classes(failing)
    assert page.locator("rect").evaluate_all(
        "rs => rs.some(r => getComputedStyle(r).stroke === 'rgb(211, 47, 47)')")
    failing.click()
    panel = page.locator("#tg-panel").inner_text()
    assert "raised here (forward)" in panel and "does not match weight" in panel
    assert "2: Linear(in_features=4" in page.locator("svg").first.inner_html()
    assert requests == [path.as_uri()] and errors == []
