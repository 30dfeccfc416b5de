// tracegrad explorer, gradient views: the grad-flow step slider (each node coloured by the
// gradient norm it had at the chosen training step) and explain_grad for a selected parameter.
// All user text reaches the page through textContent, never through HTML.
(function () {
  "use strict";
  const X = window.tgExplore, D = X.D, N = D.nodes, F = D.flow, EX = D.explain || {};
  const $ = (id) => document.getElementById(id);
  const DECADES = 6;  // the colour scale spans at least this many powers of ten
  const slot = new Map(F ? F.nodes.map((n, j) => [n, j]) : []);
  let step = F ? F.steps.length - 1 : 0;
  let lo = Infinity, hi = -Infinity;  // log10 range over every step, so steps compare
  if (F) for (const r of F.norms) for (const v of r) if (v > 0) {
    lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v));
  }
  lo = Math.min(lo, hi - DECADES);  // a net whose norms stay within a few decades stays lit

  function colour(v) {  // faint grey-blue (vanished) -> bright orange (lit)
    if (v === null || v === undefined) return null;
    if (!(v > 0)) return "hsl(220, 10%, 93%)";
    const t = hi > lo ? (Math.log10(v) - lo) / (hi - lo) : 1;
    return "hsl(" + Math.round(220 - 190 * t) + ", " + Math.round(25 + 70 * t) + "%, " +
      Math.round(92 - 42 * t) + "%)";
  }
  function paint() {
    if (!F) return;
    const r = F.norms[step];
    F.nodes.forEach((i, j) => {
      const p = X.nodeEl(i);
      if (!p || X.keyOf(i) !== "n" + i) return;  // folded away
      const c = colour(r[j]);
      if (c === null) return;
      p.g.querySelector("rect").style.fill = c;
      p.g.dataset.norm = r[j];
    });
    for (const [s, d, k] of X.E) {
      if (k !== 1 || !slot.has(d)) continue;
      const e = X.edgeEl(s, d), c = colour(r[slot.get(d)]);
      if (e && c) { e.style.stroke = c; e.style.strokeWidth = "2"; }
    }
  }
  function summary() {
    const r = F.norms[step];
    let a = -1, b = -1;
    r.forEach((v, j) => {
      if (v === null) return;
      if (a < 0 || v < r[a]) a = j;
      if (b < 0 || v > r[b]) b = j;
    });
    $("tg-flow-step").textContent = "step " + F.steps[step] + " (" + (step + 1) + " of " +
      F.steps.length + ", every " + F.every + ")";
    $("tg-flow-text").textContent = a < 0 ? "no gradient recorded at this step" :
      "smallest gradient norm " + X.fmt(r[a]) + " at " + F.keys[a] + "; largest " +
      X.fmt(r[b]) + " at " + F.keys[b];
  }
  function setStep(s) {
    step = s;
    $("tg-flow-range").value = s;
    paint(); summary();
    if (X.selected() >= 0) X.select(X.selected());
  }

  function flowRows(i, p) {
    if (!F) return;
    const n = N[i];
    const j = [i, n.bw, n.out].find((c) => c !== undefined && slot.has(c));
    if (j === undefined) return;
    const d = document.createElement("div");
    d.className = "tg-flow-norm";
    d.textContent = "gradient norm at step " + F.steps[step] + ": " +
      X.fmt(F.norms[step][slot.get(j)]) + "  (" + F.keys[slot.get(j)] + ")";
    p.appendChild(d);
  }
  function explainRows(i, p) {
    const r = EX[String(i)];
    if (!r && !(EX.skipped && N[i].k === "tensor" && N[i].role === "param")) return;
    const box = document.createElement("div");
    box.id = "tg-explain";
    const h = document.createElement("h4");
    h.textContent = "explain_grad: where does the gradient vanish?";
    box.appendChild(h);
    if (!r) { box.append(EX.skipped); p.appendChild(box); return; }
    box.classList.add("v-" + r.verdict);
    for (const s of r.lines) {
      const d = document.createElement("div");
      d.textContent = s;
      box.appendChild(d);
    }
    if (r.path.length) {
      const cap = document.createElement("div");
      cap.textContent = "strongest path (of " + r.n_paths + "), loss first; click a row:";
      box.appendChild(cap);
      const t = document.createElement("table");
      for (const e of r.path) {
        const tr = document.createElement("tr");
        for (const v of [e.key, e.gain === null ? "\u2014" : "\u00d7" + X.fmt(e.gain), e.note]) {
          const td = document.createElement("td");
          td.textContent = v;
          tr.appendChild(td);
        }
        if (e.i !== null && e.i === r.culprit) tr.className = "culprit";
        if (e.i !== null) tr.addEventListener("click", () => X.reveal(e.i));
        t.appendChild(tr);
      }
      box.appendChild(t);
    }
    p.appendChild(box);
  }

  if (F) {
    const div = document.createElement("div");
    div.id = "tg-flow";
    const b = document.createElement("b");
    b.textContent = "gradient flow during training";
    const range = document.createElement("input");
    Object.assign(range, { type: "range", id: "tg-flow-range", min: 0, max: F.steps.length - 1,
                           step: 1, value: step });
    const st = document.createElement("span"), tx = document.createElement("div");
    st.id = "tg-flow-step"; tx.id = "tg-flow-text";
    const key = document.createElement("div");
    key.className = "tg-flow-key";
    key.textContent = "colour: faint = " + X.fmt(Math.pow(10, lo)) + ", bright = " +
      X.fmt(Math.pow(10, hi)) + " (log scale over all steps, at least " + DECADES + " decades)";
    div.append(b, range, st, tx, key);
    $("tg-side").insertBefore(div, $("tg-panel"));
    range.addEventListener("input", () => setStep(+range.value));
    X.hooks.render.push(paint);
    setStep(step);
  }
  X.hooks.panel.push(flowRows, explainRows);
  X.flow = { setStep, step: () => step, colour };
})();
