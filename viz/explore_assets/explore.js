// tracegrad graph explorer: renders the embedded layout as SVG, only what folding leaves visible.
// All user text reaches the page through textContent, never through HTML.
(function () {
  "use strict";
  const t0 = performance.now();
  const D = JSON.parse(document.getElementById("tg-data").textContent);
  const N = D.nodes, E = D.edges, C = D.clusters;
  const NS = "http://www.w3.org/2000/svg";
  const BAND = 40;  // height of the row band a folded module takes
  const $ = (id) => document.getElementById(id);
  const svg = $("tg-svg"), view = $("tg-view");
  const gC = $("tg-clusters"), gE = $("tg-edges"), gN = $("tg-nodes");
  const folded = new Uint8Array(C.length);
  const producer = new Int32Array(N.length).fill(-1);
  for (const [s, d, k] of E) if (k === 0 && N[s].k === "op") producer[d] = s;
  let rep = new Int32Array(C.length), pos = new Map(), edgeEl = new Map();
  let selected = -1, matches = [], T = { s: 1, x: 0, y: 0 };
  const state = { loadMs: 0, lastRenderMs: 0, visibleNodes: 0, visibleEdges: 0 };
  const hooks = { render: [], panel: [] };  // added views (explore_flow.js) redraw with these

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function short(s) { return s.length > 40 ? s.slice(0, 39) + "\u2026" : s; }
  function foldToDepth() {
    for (let i = 0; i < C.length; i++) folded[i] = D.depth != null && C[i].depth >= D.depth ? 1 : 0;
  }
  function computeRep() {  // outermost folded ancestor of each cluster (parents come first)
    for (let i = 0; i < C.length; i++) {
      const p = C[i].parent;
      rep[i] = p >= 0 && rep[p] >= 0 ? rep[p] : (folded[i] ? i : -1);
    }
  }
  function keyOf(i) {
    const c = N[i].c;
    if (c >= 0 && rep[c] >= 0) return "c" + rep[c] + (N[i].k === "bwd" ? "b" : "f");
    return "n" + i;
  }
  function drawNode(key, cls, x, y, w, h, label, title) {
    const g = el("g", { class: "n " + cls, "data-key": key, transform: `translate(${x},${y})` }, gN);
    el("rect", { x: -w / 2, y: -h / 2, width: w, height: h, rx: 3 }, g);
    el("text", {}, g).textContent = short(label);
    el("title", {}, g).textContent = title;
    pos.set(key, { x, y, w, h, g });
  }

  let ymap = (y) => y;
  function compactRows() {  // folded modules' rows shrink to one band each, so no empty space
    const iv = [];
    for (let ci = 0; ci < C.length; ci++) {
      if (rep[ci] !== ci) continue;
      const b = C[ci].box.f || C[ci].box.b;
      iv.push([b[1], b[3]]);
    }
    iv.sort((a, b) => a[0] - b[0]);
    const bands = [];
    for (const [a, b] of iv) {  // overlapping rows go to the band that starts first
      const last = bands[bands.length - 1];
      const start = last ? Math.max(a, last[1]) : a;
      if (b > start) bands.push([start, b]);
    }
    let removed = 0;
    for (const band of bands) {  // [start, end, shift of what lies above it]
      band.push(removed);
      removed += Math.max(0, band[1] - band[0] - BAND);
    }
    ymap = (y) => {
      let lo = 0, hi = bands.length - 1, k = -1;
      while (lo <= hi) { const m = (lo + hi) >> 1; if (bands[m][0] <= y) { k = m; lo = m + 1; } else hi = m - 1; }
      if (k < 0) return y;
      const [a, b, shift] = bands[k];
      if (y <= b) return a - shift + Math.min(b - a, BAND) / 2;
      return y - shift - Math.max(0, b - a - BAND);
    };
  }

  function render() {
    const r0 = performance.now();
    computeRep();
    compactRows();
    gC.textContent = ""; gE.textContent = ""; gN.textContent = "";
    pos = new Map(); edgeEl = new Map();
    for (let ci = 0; ci < C.length; ci++) {
      const c = C[ci];
      for (const side of ["f", "b"]) {
        const b = c.box[side];
        if (!b) continue;
        if (rep[ci] === ci) {
          const label = c.name + (side === "b" ? " vjp" : "") + " \u25b8";
          drawNode("c" + ci + side, "folded", (b[0] + b[2]) / 2, ymap((b[1] + b[3]) / 2),
                   Math.max(60, 7 * Math.min(label.length, 40) + 16), 28, label,
                   c.path + (c.title ? ": " + c.title : "") + " (folded: click to unfold)");
        } else if (rep[ci] < 0) {
          const y0 = ymap(b[1]), y1 = ymap(b[3]);
          el("rect", { class: "cl", "data-c": ci, x: b[0] - 6, y: y0 - 14, width: b[2] - b[0] + 12,
                       height: y1 - y0 + 20 }, gC);
          const t = el("text", { class: "cl-label", "data-c": ci, x: b[0] - 4, y: y0 - 4 }, gC);
          t.textContent = c.path + (c.title ? ": " + c.title : "") +
            (side === "b" ? " (backward)" : "") + " \u25be";
        }
      }
    }
    for (let i = 0; i < N.length; i++) {
      const n = N[i];
      if (n.c >= 0 && rep[n.c] >= 0) continue;
      const cls = (n.k === "tensor" ? "tensor " + n.role : n.k) + (n.err ? " err" : "");
      drawNode("n" + i, cls, n.x, ymap(n.y), n.w, n.h, n.label, describe(n));
    }
    for (let ei = 0; ei < E.length; ei++) {
      const [s, d, k] = E[ei];
      const a = keyOf(s), b = keyOf(d);
      if (a === b) continue;
      const key = a + ">" + b;
      if (edgeEl.has(key)) continue;
      const p = pos.get(a), q = pos.get(b);
      const dy = q.y >= p.y ? 1 : -1;
      edgeEl.set(key, el("line", { class: k ? "e vjp" : "e", x1: p.x, y1: p.y + dy * p.h / 2,
                                   x2: q.x, y2: q.y - dy * q.h / 2 }, gE));
    }
    state.visibleNodes = pos.size; state.visibleEdges = edgeEl.size;
    applyMarks();
    for (const h of hooks.render) h();
    state.lastRenderMs = performance.now() - r0;
  }

  function describe(n) {
    if (n.k === "tensor") return (n.name || n.id) + " " + n.dtype + "[" + n.shape.join(",") + "]";
    return n.op + (n.module ? " in " + n.module : "") + (n.loc ? " at " + n.loc : "");
  }
  function linked(i) {  // [nodes, edges] lit up with node i
    const n = N[i], nodes = new Set([i]), edges = new Set();
    let f = n.k === "op" ? i : n.k === "bwd" ? n.fw : producer[i];
    if (n.k === "tensor" && f < 0) return [nodes, edges];
    const fn = N[f];
    nodes.add(f);
    if (fn.bw !== undefined) nodes.add(fn.bw);
    for (const s of fn.saved || []) nodes.add(s);
    if (fn.out !== undefined) nodes.add(fn.out);
    for (let ei = 0; ei < E.length; ei++) {
      const [s, d, k] = E[ei];
      if ((k === 1 && (s === fn.bw || d === fn.bw)) || (k === 0 && (s === f || d === f))) edges.add(ei);
    }
    return [nodes, edges];
  }
  function applyMarks() {
    for (const e of svg.querySelectorAll(".hl,.sel,.match")) e.classList.remove("hl", "sel", "match");
    for (const i of matches) pos.get(keyOf(i))?.g.classList.add("match");
    if (selected < 0) return;
    const [nodes, edges] = linked(selected);
    for (const i of nodes) pos.get(keyOf(i))?.g.classList.add("hl");
    for (const ei of edges) edgeEl.get(keyOf(E[ei][0]) + ">" + keyOf(E[ei][1]))?.classList.add("hl");
    pos.get(keyOf(selected))?.g.classList.add("sel");
  }

  function fmt(v) {
    if (v === undefined || v === null) return "\u2014";
    if (typeof v !== "number") return String(v);
    return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : +v.toFixed(4) + "";
  }
  function row(table, k, v) {
    const tr = document.createElement("tr");
    const a = document.createElement("td"), b = document.createElement("td");
    a.textContent = k; b.textContent = v;
    tr.append(a, b); table.appendChild(tr);
  }
  function hist(parent, s, title, cls) {
    if (!s || !s.hist) return;
    const h = document.createElement("div");
    h.textContent = title;
    parent.appendChild(h);
    const W = 300, H = 60, m = Math.max(...s.hist, 1), bw = W / s.hist.length;
    const g = el("svg", { class: "hist " + cls, width: W, height: H + 14 }, parent);
    s.hist.forEach((c, j) => {
      const hh = c ? Math.max(1, (H * c) / m) : 0;
      el("rect", { x: j * bw + 1, y: H - hh, width: bw - 2, height: hh }, g).appendChild(
        el("title", {})).textContent = c + "";
    });
    el("text", { x: 0, y: H + 12, "font-size": 10 }, g).textContent = fmt(s.min);
    el("text", { x: W, y: H + 12, "font-size": 10, "text-anchor": "end" }, g).textContent = fmt(s.max);
  }
  function statRows(t, prefix, s) {
    if (!s) return;
    row(t, prefix + "min / max", fmt(s.min) + " / " + fmt(s.max));
    row(t, prefix + "mean / std", fmt(s.mean) + " / " + fmt(s.std));
    row(t, prefix + "NaN / Inf", fmt(s.nan) + " / " + fmt(s.inf));
    if (s.sampled) row(t, "", "statistics of a 1M-element sample of " + s.n);
  }
  function showPanel(i) {
    const p = $("tg-panel"), n = N[i];
    p.textContent = "";
    const h = document.createElement("h3");
    h.textContent = n.k === "tensor" ? (n.name || n.id) : n.label;
    p.appendChild(h);
    const t = document.createElement("table");
    p.appendChild(t);
    const kinds = { op: "forward op", bwd: "backward (VJP) node", tensor: "tensor (" + n.role + ")" };
    row(t, "kind", kinds[n.k]);
    if (n.err) n.err.forEach((line) => row(t, "error", line));
    const f = n.k === "tensor" ? producer[i] : n.k === "bwd" ? n.fw : i;
    const fn = f >= 0 ? N[f] : null;
    if (fn) {
      row(t, "op", fn.op);
      row(t, "module", fn.module || "(top level)");
      row(t, "file:line", fn.loc || "\u2014");
      for (const k in fn.params) row(t, "  " + k, fn.params[k]);
      if (fn.step !== null && fn.step !== undefined) row(t, "backward step", fn.step);
      if (fn.saved) row(t, "saved for backward", fn.saved.map((s) => N[s].label).join(", "));
    }
    const tn = n.k === "tensor" ? n : fn && fn.out !== undefined ? N[fn.out] :
      fn ? N[E.find((e) => e[0] === f)[1]] : null;
    if (tn) {
      row(t, n.k === "tensor" ? "shape, dtype" : "output", tn.dtype + " [" + tn.shape.join(", ") + "]");
      statRows(t, "value ", tn.stats);
      if (tn.grad) row(t, "gradient norm", fmt(tn.grad.norm) + (tn.grad.nan ? ", " + tn.grad.nan + " non-finite" : ""));
      statRows(t, "grad ", tn.gstats);
    }
    if (n.k === "bwd") n.gin.forEach((g, j) => row(t, "grad to input " + j,
      g ? "[" + g.shape.join(",") + "] norm " + fmt(g.norm) + (g.nan ? ", " + g.nan + " non-finite" : "") : "none"));
    if (tn) { hist(p, tn.stats, "value histogram", "v"); hist(p, tn.gstats, "gradient histogram", "g"); }
    for (const h of hooks.panel) h(i, p);
  }

  function select(i) { selected = i; if (i >= 0) showPanel(i); applyMarks(); }
  function reveal(i) {
    let changed = false;
    for (let c = N[i].c; c >= 0; c = C[c].parent) if (folded[c]) { folded[c] = 0; changed = true; }
    if (changed) render();
    select(i);
    const p = pos.get(keyOf(i));
    center(p.x, p.y);
  }
  function setFold(ci, v) { folded[ci] = v; render(); }

  function apply() { view.setAttribute("transform", `translate(${T.x},${T.y}) scale(${T.s})`); }
  function center(x, y) {
    const r = svg.getBoundingClientRect();
    T.x = r.width / 2 - x * T.s; T.y = r.height / 2 - y * T.s; apply();
  }
  function fit() {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const p of pos.values()) {
      x0 = Math.min(x0, p.x - p.w / 2); x1 = Math.max(x1, p.x + p.w / 2);
      y0 = Math.min(y0, p.y - p.h / 2); y1 = Math.max(y1, p.y + p.h / 2);
    }
    if (!isFinite(x0)) return;
    const r = svg.getBoundingClientRect();
    T.s = Math.min(2, 0.95 * Math.min(r.width / (x1 - x0 + 40), r.height / (y1 - y0 + 40)));
    center((x0 + x1) / 2, (y0 + y1) / 2);
  }
  function zoom(f, cx, cy) {
    const r = svg.getBoundingClientRect();
    cx = cx === undefined ? r.width / 2 : cx; cy = cy === undefined ? r.height / 2 : cy;
    T.x = cx - (cx - T.x) * f; T.y = cy - (cy - T.y) * f; T.s *= f; apply();
  }
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect();
    zoom(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
  }, { passive: false });
  let drag = null;
  svg.addEventListener("mousedown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, tx: T.x, ty: T.y, moved: false }; });
  window.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) { T.x = drag.tx + dx; T.y = drag.ty + dy; apply(); }
  });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });
  svg.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const g = ev.target.closest("[data-key],[data-c]");
    if (!g) { select(-1); return; }
    if (g.dataset.c !== undefined) { setFold(+g.dataset.c, 1); return; }
    const key = g.dataset.key;
    if (key[0] === "c") setFold(parseInt(key.slice(1), 10), 0);
    else select(parseInt(key.slice(1), 10));
  });

  function search(q) {
    q = q.trim().toLowerCase();
    const out = $("tg-results");
    out.textContent = "";
    matches = [];
    if (q) {
      for (let i = 0; i < N.length; i++) {
        const n = N[i];
        const hay = (n.label + " " + (n.op || "") + " " + (n.module || "") + " " + (n.name || "")).toLowerCase();
        if (hay.includes(q)) matches.push(i);
      }
      const head = document.createElement("b");
      head.textContent = matches.length + " match" + (matches.length === 1 ? "" : "es");
      out.appendChild(head);
      for (const i of matches.slice(0, 100)) {
        const d = document.createElement("div");
        d.dataset.i = i;
        d.textContent = N[i].label + (N[i].module ? "  \u2014 " + N[i].module : "");
        out.appendChild(d);
      }
    }
    applyMarks();
  }
  $("tg-search").addEventListener("input", (ev) => search(ev.target.value));
  $("tg-search").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && matches.length) reveal(matches[0]);
  });
  $("tg-results").addEventListener("click", (ev) => {
    const d = ev.target.closest("[data-i]");
    if (d) reveal(+d.dataset.i);
  });
  $("tg-fit").addEventListener("click", fit);
  $("tg-fold").addEventListener("click", () => { foldToDepth(); render(); fit(); });
  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT") { if (ev.key === "Escape") ev.target.blur(); return; }
    if (ev.key === "/") { ev.preventDefault(); $("tg-search").focus(); }
    else if (ev.key === "f") fit();
    else if (ev.key === "+" || ev.key === "=") zoom(1.25);
    else if (ev.key === "-") zoom(0.8);
    else if (ev.key === "Escape") select(-1);
    else if (ev.key === "d") { foldToDepth(); render(); fit(); }
    else if (ev.key === "u") { for (let c = 0; c < C.length; c++) if (rep[c] === c) folded[c] = 0; render(); }
    else if (ev.key === "b" && selected >= 0) {
      const n = N[selected], o = n.k === "bwd" ? n.fw : n.bw;
      if (o !== undefined) reveal(o);
    }
  });

  $("tg-title").textContent = D.title;
  $("tg-layout").textContent = N.length + " nodes \u00b7 layout: " + D.layout +
    (D.has_backward ? "" : " \u00b7 no backward pass recorded");
  const defs = el("defs", {}, svg);
  const mk = el("marker", { id: "tg-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
                            markerUnits: "userSpaceOnUse", markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#999" }, mk);
  foldToDepth();
  render();
  fit();
  state.loadMs = performance.now();
  state.scriptMs = performance.now() - t0;
  window.tgExplore = {
    state, render, select, reveal, fit, search,
    unfold: (path) => { const ci = C.findIndex((c) => c.path === path); if (ci >= 0) setFold(ci, 0); return ci; },
    fold: (path) => { const ci = C.findIndex((c) => c.path === path); if (ci >= 0) setFold(ci, 1); return ci; },
    find: (pred) => N.findIndex(pred),
    D, E, hooks, keyOf, fmt, row,
    nodeEl: (i) => pos.get(keyOf(i)),
    edgeEl: (s, d) => edgeEl.get(keyOf(s) + ">" + keyOf(d)),
    selected: () => selected,
    ready: true,
  };
})();
