"""RELIABILITY case 29: user text can neither break nor inject into the DOT source."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import viz
from tests.viz.conftest import needs_dot, svg_groups, svg_text
from viz.escape import html, script_json

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


# ----- issue 14 case 9: lone surrogates and script-breaking names, fuzzed through every writer


_any_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()),  # surrogates included
    min_size=1, max_size=30,
)
_HOSTILE = ["<!--<script>", "</script><script>alert(1)</script>", "\ud800lone", "\udfff",
            "a\u2028b\u2029c", "]]><![CDATA[", "&#x3c;", "-->"]


def _named_graph(names: list[str]) -> ag.Graph:
    def f(*xs):
        total = xs[0].sum()
        for x in xs[1:]:
            total = total + x.sum()
        return total

    args = [ag.Tensor(np.ones(2), requires_grad=True, name=n) for n in names]
    with ag.module_scope(names[0]):
        return ag.trace(f, *args)


def _script_of(page: str) -> str:
    head, _, rest = page.partition("<script>")
    body, _, tail = rest.partition("</script>")
    assert "<script" not in tail and "</script" not in tail  # the block closed where meant
    return body


def test_html_replaces_lone_surrogates():
    assert html("a\ud800b") == "a\ufffdb"
    assert script_json(["\ud800<!--"]) == '["\\ud800\\u003c!--"]'


@settings(max_examples=40, deadline=None)
@given(st.lists(_any_text, min_size=1, max_size=3))
def test_fuzzed_names_give_utf8_encodable_dot(names):
    g = _named_graph(names)
    src = viz.draw(g, mode="forward", heat=False).source
    src.encode("utf-8")  # a lone surrogate would raise here
    node_lines = [ln for ln in src.splitlines() if ln.strip().startswith("fn")
                  and "[label=" in ln and "->" not in ln]
    assert len(node_lines) == len(g.tensors) + len(g.ops)  # no name split or added a node


@needs_dot
@settings(max_examples=6, deadline=None)
@given(st.lists(st.one_of(_any_text, st.sampled_from(_HOSTILE)), min_size=1, max_size=2))
def test_fuzzed_names_render_to_valid_svg(tmp_path_factory, names):
    out = tmp_path_factory.mktemp("svg") / "g.svg"
    viz.render(_named_graph(names), out)
    groups = svg_groups(out.read_text(encoding="utf-8"))  # parses as XML
    assert groups["node"]


@needs_dot
@pytest.mark.parametrize("name", _HOSTILE)
def test_backward_steps_page_survives_hostile_names(tmp_path, name):
    page = viz.backward_steps(_named_graph([name, "ok"]), tmp_path)
    text = page.read_text(encoding="utf-8")
    script = _script_of(text)
    assert "<!--" not in script and "<script" not in script.lower()
    frames_json = script.split("const frames = ", 1)[1].split(";\n", 1)[0]
    frames = json.loads(frames_json)
    assert len(frames) == len(list(tmp_path.glob("step_*.svg")))
