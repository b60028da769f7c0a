// The "Backtest" button on a draft rule: replays the event lake under the published config
// and under this draft (POST /api/backtest, which writes nothing) and shows the difference.
// Kept apart from app.js: it only adds a button and a result box to the dry-run panel.
"use strict";

function backtestRow(label, a, b) {
  const d = b - a;
  return el("tr", {}, el("td", {}, label), el("td", {}, String(a)), el("td", {}, String(b)),
    el("td", { class: d === 0 ? "" : d > 0 ? "ok" : "error" }, d > 0 ? `+${d}` : String(d)));
}

function backtestTable(title, a, b) {
  const keys = [...new Set([...Object.keys(a || {}), ...Object.keys(b || {})])].sort();
  if (!keys.length) return el("p", { class: "muted" }, `${title}: none`);
  return el("div", {}, el("h4", {}, title), el("table", { class: "backtest" },
    el("tr", {}, el("th", {}, ""), el("th", {}, "published"), el("th", {}, "draft"), el("th", {}, "change")),
    keys.map((k) => backtestRow(k, (a || {})[k] || 0, (b || {})[k] || 0))));
}

async function runBacktest() {
  const rule = parseEditor("editor", "backtest-errors");
  if (rule === undefined) return;
  const out = $("backtest-result");
  out.replaceChildren(el("p", { class: "muted" }, "Replaying the event lake…"));
  fieldErrors("backtest-errors", null);
  try {
    const r = await api("POST", "/api/backtest", { rule });
    out.replaceChildren();
    if (!r.from) { out.append(el("p", { class: "muted" }, "The event lake is empty: nothing to replay.")); return; }
    out.append(el("p", { id: "backtest-summary" },
      `UTC days ${r.from} to ${r.to}: ${r.players} players, ${r.events} events; ${r.changed_count} players' outcome changed.`));
    for (const n of r.notes || []) out.append(el("p", { class: "muted" }, n));
    const a = r.published, b = r.draft;
    out.append(backtestTable("Reach funnel (players)", a.funnel, b.funnel));
    out.append(backtestTable("Messages per template", a.sends_by_template, b.sends_by_template));
    out.append(backtestTable("Suppressions by reason", a.suppressions, b.suppressions));
    out.append(backtestTable("Points by rule", a.points_by_rule, b.points_by_rule));
    out.append(backtestTable("Spins by rule", a.spins_by_rule, b.spins_by_rule));
    out.append(backtestTable("Missions completed", a.missions, b.missions));
    out.append(backtestTable("Tier moves", a.tier_moves, b.tier_moves));
    if (r.changed.length) {
      out.append(el("h4", {}, "Players whose outcome changed"), el("ul", { id: "backtest-changed" },
        r.changed.slice(0, 20).map((c) => el("li", {}, el("strong", {}, c.player_id), ": ", c.differences.join("; "),
          c.explanation.length ? el("pre", {}, c.explanation.join("\n")) : ""))));
    }
  } catch (err) {
    out.replaceChildren();
    if (err instanceof ApiError && err.status === 404) fieldErrors("backtest-errors", { message: "Backtests need the event lake: run the console with `engage up` (in AWS use the backtest state machine, docs/backtest.md)." });
    else if (err instanceof ApiError && err.status === 422) fieldErrors("backtest-errors", err.body);
    else fieldErrors("backtest-errors", { message: describe(err) });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const dry = $("dry-run");
  if (!dry) return;
  const button = el("button", { id: "backtest", type: "button", on: { click: runBacktest } }, "Backtest over the event lake");
  dry.after(button, el("ul", { id: "backtest-errors", class: "errors" }), el("div", { id: "backtest-result" }));
});
