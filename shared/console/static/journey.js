// engage console: the journey view, an SVG drawn from the graph GET /api/journey computes.
// Columns are the nodes' depth (trigger, condition, wait, action...); edges are flow
// (grey), cancels (red, dashed), next cascade step (blue) and emits (green, dashed).
"use strict";

const EngageJourney = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const W = 210, H = 54, GAP_X = 70, GAP_Y = 18, PAD = 20;
  const COLORS = { flow: "#8a94a6", cancels: "#c0392b", next: "#2f6fd1", emits: "#1b8a4a" };
  const FILL = { trigger: "#eef3ff", condition: "#fff7e0", wait: "#f3ecff", action: "#e9f7ef" };

  function s(tag, attrs, ...children) {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    for (const c of children) n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return n;
  }

  const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

  function layout(graph) {
    const columns = new Map();
    for (const n of graph.nodes) {
      if (!columns.has(n.column)) columns.set(n.column, []);
      columns.get(n.column).push(n);
    }
    const at = new Map();
    for (const [col, nodes] of columns) nodes.forEach((n, row) => at.set(n.id, { x: PAD + col * (W + GAP_X), y: PAD + row * (H + GAP_Y) }));
    const width = PAD * 2 + (Math.max(0, ...columns.keys()) + 1) * (W + GAP_X);
    const height = PAD * 2 + Math.max(1, ...[...columns.values()].map((c) => c.length)) * (H + GAP_Y);
    return { at, width, height };
  }

  function draw(graph, onOpen) {
    const { at, width, height } = layout(graph);
    const svg = s("svg", { id: "journey-svg", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "journey flow graph" });
    const defs = s("defs", {});
    for (const [kind, color] of Object.entries(COLORS)) {
      defs.append(s("marker", { id: `arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
        s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: color })));
    }
    svg.append(defs);
    for (const e of graph.edges) {
      const a = at.get(e.source), b = at.get(e.target);
      if (!a || !b) continue;
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      const bend = Math.max(40, Math.abs(x2 - x1) / 2);
      const d = x2 > x1 ? `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`
        : `M ${x1} ${y1} C ${x1 + 80} ${y1 - 60}, ${x2 - 80} ${y2 - 60}, ${x2} ${y2}`; // back edges loop over
      const path = s("path", { d, fill: "none", stroke: COLORS[e.kind] || COLORS.flow, "stroke-width": 1.6, "marker-end": `url(#arrow-${e.kind in COLORS ? e.kind : "flow"})`, class: `edge edge-${e.kind}`, "data-source": e.source, "data-target": e.target });
      if (e.kind === "cancels" || e.kind === "emits") path.setAttribute("stroke-dasharray", "5 4");
      if (e.label) path.append(s("title", {}, e.label));
      svg.append(path);
    }
    for (const n of graph.nodes) {
      const p = at.get(n.id);
      const g = s("g", { class: `node node-${n.kind}`, "data-node": n.id, transform: `translate(${p.x},${p.y})`, tabindex: 0 });
      g.append(s("rect", { width: W, height: H, rx: 6, fill: FILL[n.kind] || "#fff", stroke: "#8a94a6" }));
      g.append(s("text", { x: 8, y: 18, "font-size": 12, "font-weight": "bold" }, clip(n.label, 30)));
      if (n.detail) g.append(s("text", { x: 8, y: 34, "font-size": 11, fill: "#5b6473" }, clip(n.detail, 34)));
      const counts = Object.entries(n.counts || {}).map(([k, v]) => `${k} ${v}`).join(" · ");
      if (counts) g.append(s("text", { x: 8, y: 48, "font-size": 11, fill: "#1b6e3a", class: "counts" }, clip(counts, 36)));
      g.append(s("title", {}, [n.label, n.detail, counts].filter(Boolean).join("\n")));
      if (n.link) {
        g.classList.add("linked");
        g.addEventListener("click", () => onOpen(n.link));
        g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") onOpen(n.link); });
      }
      svg.append(g);
    }
    return svg;
  }

  return { draw };
})();
