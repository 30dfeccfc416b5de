"""RELIABILITY case 29: user text can neither break nor inject into the DOT source."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import viz
from tests.viz.conftest import needs_dot, svg_groups, svg_text
from viz.escape import html

EVIL = [
    'say "hi"',
    "back\\slash",
    "trailing\\",
    "<b>x</b>",
    "<lambda> <map>",
    'a" ]; evil [image="/etc/passwd',
    "{braces} & [brackets]",
    "two\nlines",
    "\\N\\G",
    "ünïcødé ∂ λ",
]


def test_html_escapes_markup_and_newlines():
    assert html('<b>"x"</b> & \'y\'') == "&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; &#39;y&#39;"
    assert html("a\nb\r\nc") == "a<br/>b<br/>c"
    assert html("bell\x07") == "bell"
    assert html("\\N") == "\\\u2060N"
    assert len(html("x" * 500, max_len=50)) == 50


def _evil_graph() -> ag.Graph:
    def f(*xs):
        total = xs[0].sum()
        for x in xs[1:]:
            total = total + x.sum()
        return total

    args = [ag.Tensor(np.ones(2), requires_grad=True, name=name) for name in EVIL]
    with ag.module_scope('mod"] ; x [label="pwned'):
        return ag.trace(f, *args)


def test_dot_source_has_one_node_per_tensor_and_no_raw_user_text():
    g = _evil_graph()
    src = viz.draw(g, mode="forward", heat=False).source
    assert "/etc/passwd" in src  # kept, but only inside an HTML label
    assert 'image="' not in src and "image=&quot;" in src
    assert "<b>x</b>" not in src and "&lt;b&gt;x&lt;/b&gt;" in src
    assert 'label="pwned' not in src
    node_lines = [ln for ln in src.splitlines() if ln.strip().startswith("fn")
                  and "[label=" in ln and "->" not in ln]
    assert len(node_lines) == len(g.tensors) + len(g.ops)


@needs_dot
def test_evil_names_render_literally():
    g = _evil_graph()
    svg = viz.draw(g, mode="forward", heat=False).pipe(format="svg").decode()
    groups = svg_groups(svg)
    assert len(groups["node"]) == len(g.tensors) + len(g.ops)
    # Graphviz would expand \N to the node id; viz puts an invisible word joiner after `\`
    text = " ".join(svg_text(n) for n in groups["node"]).replace("\u2060", "")
    for name in ['say "hi"', "back\\slash", "trailing\\", "<b>x</b>", "<lambda> <map>",
                 'a" ]; evil [image="/etc/passwd', "\\N\\G", "ünïcødé ∂ λ", "two", "lines"]:
        assert name in text, name
    assert "<image" not in svg


@pytest.mark.parametrize("mode", ["backward", "both"])
def test_evil_names_in_gradient_views(mode):
    src = viz.draw(_evil_graph(), mode=mode).source
    assert "∂L/∂&lt;lambda&gt; &lt;map&gt;" in src
