"""Shared helpers for viz tests: small traced graphs and SVG parsing."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autograd as ag

SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def small_graph() -> ag.Graph:
    """x @ W + b inside module `fc1`, tanh, squared sum: 3 inputs, 5 ops."""

    def f(x, w, b):
        with ag.module_scope("fc1"):
            h = ag.tanh(x @ w + b)
        return (h * h).sum()

    return ag.trace(f, np.full((2, 3), 0.5), np.full((3, 4), 0.1), np.zeros(4))


def svg_groups(svg: str) -> dict[str, list[ET.Element]]:
    """SVG <g> elements by class: 'node', 'edge', 'cluster'."""
    root = ET.fromstring(svg)
    out: dict[str, list[ET.Element]] = {"node": [], "edge": [], "cluster": []}
    for el in root.iter(f"{SVG}g"):
        cls = el.get("class")
        if cls in out:
            out[cls].append(el)
    return out


def svg_text(el: ET.Element) -> str:
    """All text inside an SVG element, joined by spaces."""
    return " ".join(t.text or "" for t in el.iter(f"{SVG}text"))


def fills(svg: str) -> set[str]:
    """Every fill colour used in the SVG (lower case)."""
    return {c.lower() for c in re.findall(r'fill="(#[0-9a-fA-F]{6})"', svg)}
