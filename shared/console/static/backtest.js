// The "Backtest" button on a draft rule: replays the event lake under the published config
// and under this draft (POST /api/backtest, which writes nothing) and shows the difference;
// and "Why (not)?" in the player view: the replay's trace for one player and message.
// Kept apart from app.js: it only adds controls and result boxes to two existing panels.
"use strict";

function backtestRow(label, a, b) {
  const d = b - a;
  return el("tr", {}, el("td", {}, label), el("td", {}, String(a)), el("td", {}, String(b)),
    el("td", { class: d === 0 ? "" : d > 0 ? "ok" : "error" }, d > 0 ? `+${d}` : String(d)));
}

function backtestTable(title, a, b, ordered = false) {
  // The funnel keeps its stages' order; other tables are sorted by name.
  const keys = [...new Set([...Object.keys(a || {}), ...Object.keys(b || {})])];
  if (!ordered) keys.sort();
  if (!keys.length) return el("p", { class: "muted" }, `${title}: none`);
  return el("div", {}, el("h4", {}, title), el("table", { class: "backtest" },
    el("tr", {}, el("th", {}, ""), el("th", {}, "published"), el("th", {}, "draft"), el("th", {}, "change")),
    keys.map((k) => backtestRow(k, (a || {})[k] || 0, (b || {})[k] || 0))));
}

async function runBacktest() {
  // The draft as shown, from the form or the JSON view (app.js knows which is showing).
  const rule = window.EngageConsole ? window.EngageConsole.currentDocument() : parseEditor("editor", "backtest-errors");
  if (rule === undefined) return;
  const out = $("backtest-result");
  out.replaceChildren(el("p", { class: "muted" }, "Replaying the event lake…"));
  fieldErrors("backtest-errors", null);
  try {
    const r = await api("POST", "/api/backtest", { rule });
    out.replaceChildren();
    if (!r.from) { out.append(el("p", { class: "muted" }, "The event lake is empty: nothing to replay.")); return; }
    out.append(el("p", { id: "backtest-summary" },
      `UTC days ${r.from} to ${r.to}: ${r.players} players, ${r.events} events; outcome changed for ${r.changed_count} of them.`));
    for (const n of r.notes || []) out.append(el("p", { class: "muted" }, n));
    const a = r.published, b = r.draft;
    // How much was replayed: a kept published run, a draft of rules only (docs/backtest.md).
    if (a.cached) out.append(el("p", { class: "muted", id: "backtest-kept" }, "The published run is kept from an earlier backtest of this lake: only the draft was replayed."));
    if (b.players_replayed != null && b.players_replayed < r.players) {
      out.append(el("p", { class: "muted", id: "backtest-scope" },
        `The draft changes rules only: replayed for the ${b.players_replayed} of ${r.players} players whose decisions met a changed rule; the others' figures are the published run's.`));
    }
    out.append(backtestTable("Reach funnel (players)", a.funnel, b.funnel, true));
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

async function runExplain() {
  const out = $("explain-result");
  const player = $("player-id").value;
  const template = $("explain-template").value.trim();
  fieldErrors("explain-errors", null);
  out.replaceChildren(el("p", { class: "muted" }, "Replaying the player's history…"));
  try {
    const query = template ? `?template=${encodeURIComponent(template)}` : "";
    const r = await api("GET", `/api/players/${encodeURIComponent(player)}/explain${query}`);
    out.replaceChildren();
    if (!r.known) { out.append(el("p", { class: "muted" }, `No events of ${player} in the event lake.`)); return; }
    if (template) {
      const got = r.got.filter((g) => g.status === "done");
      out.append(el("p", { id: "explain-verdict", class: got.length ? "ok" : "error" },
        got.length ? `${player} got ${template}: ${got.map((g) => `${g.channel} at ${g.at}`).join("; ")}` : `${player} did not get ${template}.`));
      out.append(el("p", { class: "muted" }, r.rules.length ? `Rules that can send it: ${r.rules.join(", ")}` : `No enabled rule sends ${template}.`));
    }
    out.append(el("ul", { id: "explain-lines" }, r.lines.map((line) => el("li", {}, line))));
  } catch (err) {
    out.replaceChildren();
    if (err instanceof ApiError && err.status === 404) fieldErrors("explain-errors", { message: "Explanations need the event lake: run the console with `engage up`." });
    else fieldErrors("explain-errors", { message: describe(err) });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const dry = $("dry-run");
  if (dry) {
    const button = el("button", { id: "backtest", type: "button", on: { click: runBacktest } }, "Backtest over the event lake");
    dry.after(button, el("ul", { id: "backtest-errors", class: "errors" }), el("div", { id: "backtest-result" }));
  }
  const form = $("player-form");
  if (form) {
    form.after(el("div", { id: "explain-panel" },
      el("label", {}, "Why did (or didn't) this player get ", el("input", { id: "explain-template", placeholder: "template id, e.g. deposit-nudge" })),
      el("button", { id: "explain", type: "button", on: { click: runExplain } }, "Why (not)?"),
      el("ul", { id: "explain-errors", class: "errors" }), el("div", { id: "explain-result" })));
  }
});
