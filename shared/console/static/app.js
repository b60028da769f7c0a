// engage console: plain DOM, no framework, no build step, no third-party code.
// Every value from the API is put on the page with textContent (never as HTML), so a rule
// named "<script>" is shown as text; the CSP forbids inline script as a second wall.
"use strict";

const TOKEN_KEY = "engage.console.token";
const PKCE_KEY = "engage.console.pkce";

const state = { me: null, kinds: [], tab: null, kind: null, item: null, config: null, mode: "form", form: null, forms: {}, pickers: null };

// --- tiny DOM helpers (text only) ------------------------------------------------------

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// "points policy" -> "Points policies", "rule" -> "Rules".
function plural(label) {
  const word = `${label[0].toUpperCase()}${label.slice(1)}`;
  return word.endsWith("y") ? `${word.slice(0, -1)}ies` : `${word}s`;
}

function show(id, visible) { $(id).hidden = !visible; }
function notice(text, ok = true) { const n = $("notice"); n.textContent = text; n.className = ok ? "ok" : "error"; }

function fieldErrors(listId, problem) {
  const list = $(listId);
  list.replaceChildren();
  if (!problem) return;
  if (problem.message) list.append(el("li", {}, problem.message));
  for (const e of problem.errors || []) list.append(el("li", { "data-path": e.path }, el("code", {}, e.path), ": ", e.message));
}

// --- API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) { super(body && body.message ? body.message : `HTTP ${status}`); this.status = status; this.body = body || {}; }
}

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { message: text }; }
  if (resp.status === 401) { signOut(); throw new ApiError(401, data); }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

const itemPath = (kind, id) => `/api/config/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;

// --- sign in ---------------------------------------------------------------------------

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function cognitoSignIn() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const stateParam = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state: stateParam }));
  const query = new URLSearchParams({
    response_type: "code", client_id: state.config.client_id, redirect_uri: `${location.origin}/`,
    scope: "openid email", code_challenge_method: "S256", code_challenge: b64url(new Uint8Array(digest)), state: stateParam,
  });
  location.assign(`https://${state.config.domain}/oauth2/authorize?${query}`);
}

async function finishCognitoSignIn() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "{}");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", "/");
  if (!saved.verifier || saved.state !== params.get("state")) throw new Error("sign-in answer does not match this browser; sign in again");
  const tokens = await api("POST", "/auth/token", { code, verifier: saved.verifier, redirect_uri: `${location.origin}/` });
  sessionStorage.setItem(TOKEN_KEY, tokens.token);
}

async function devSignIn(event) {
  event.preventDefault();
  try {
    const tokens = await api("POST", "/dev/login", { user: $("login-user").value, role: $("login-role").value });
    sessionStorage.setItem(TOKEN_KEY, tokens.token);
    await start();
  } catch (err) {
    $("login-error").textContent = describe(err);
  }
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  show("app", false); show("sign-out", false); $("who").textContent = "";
  showLogin();
}

function showLogin() {
  show("login", true);
  show("dev-login-form", state.config && state.config.auth === "dev");
  show("cognito-login", state.config && state.config.auth === "cognito");
}

function describe(err) {
  if (err instanceof ApiError) {
    const details = (err.body.errors || []).map((e) => `${e.path}: ${e.message}`).join("; ");
    return details ? `${err.message} (${details})` : err.message;
  }
  return String(err && err.message ? err.message : err);
}

// --- shell -----------------------------------------------------------------------------

async function start() {
  try {
    state.me = await api("GET", "/api/me");
  } catch (_) { showLogin(); return; }
  state.kinds = await api("GET", "/api/kinds");
  show("login", false); show("app", true); show("sign-out", true);
  $("who").textContent = `${state.me.user} (${state.me.role || "no role"})`;
  const tabs = $("tabs");
  tabs.replaceChildren();
  const entries = [...state.kinds.map((k) => [`kind:${k.name}`, plural(k.label)]), ["publish", "Publish"], ["journey", "Journey"], ["activity", "Activity"], ["player", "Player"], ["reports", "Reports"]];
  if (state.me.role === "admin") entries.push(["users", "Users"]);
  for (const [key, label] of entries) tabs.append(el("button", { type: "button", id: `tab-${key.replace(":", "-")}`, on: { click: () => openTab(key) } }, label));
  for (const id of ["save", "new-item", "toggle-enabled", "delete", "publish", "publish-selected"]) $(id).disabled = !state.me.can_write;
  await openTab(entries[0][0]);
}

async function openTab(key) {
  state.tab = key;
  for (const button of $("tabs").children) button.setAttribute("aria-selected", String(button.id === `tab-${key.replace(":", "-")}`));
  show("config-view", key.startsWith("kind:")); show("publish-view", key === "publish"); show("player-view", key === "player"); show("users-view", key === "users"); show("reports-view", key === "reports");
  show("journey-view", key === "journey"); show("activity-view", key === "activity");
  notice("");
  if (key.startsWith("kind:")) { state.kind = state.kinds.find((k) => `kind:${k.name}` === key); $("list-search").value = ""; await newItem(); await loadList(); }
  if (key === "publish") { await loadPending(); await loadPublications(); }
  if (key === "journey") await loadJourney();
  if (key === "activity") await loadActivity();
  if (key === "users") await loadUsers();
  if (key === "reports") await loadReports();
}

// --- reports ---------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

function revenueChart(campaigns) {
  const rows = campaigns.filter((c) => c.revenue > 0 || c.conversions > 0);
  const max = Math.max(1, ...rows.map((c) => c.revenue));
  const chart = svg("svg", { id: "revenue-chart", width: 620, height: 24 * rows.length + 10, role: "img", "aria-label": "attributed revenue by campaign" });
  rows.forEach((c, i) => {
    const y = 5 + 24 * i;
    chart.append(svg("text", { x: 0, y: y + 15, "font-size": 12 }, c.rule_id));
    chart.append(svg("rect", { x: 200, y, width: Math.max(1, 320 * c.revenue / max), height: 18, fill: "#3b7dd8" }));
    chart.append(svg("text", { x: 205 + 320 * c.revenue / max, y: y + 14, "font-size": 12 }, c.revenue.toFixed(2)));
  });
  return chart;
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;

async function loadReports() {
  $("reports-error").textContent = "";
  try {
    const query = new URLSearchParams();
    if ($("report-from").value) query.set("from", $("report-from").value);
    if ($("report-to").value) query.set("to", $("report-to").value);
    // In AWS the report's queries run side by side on Athena: a 202 says "running", and the
    // same request with its run token picks them up again until they are done.
    let r = await api("GET", `/api/reports?${query}`);
    while (r.status === "running") {
      $("reports-range").textContent = `Running the report's queries: ${r.done} of ${r.total} done…`;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      query.set("run", r.run);
      r = await api("GET", `/api/reports?${query}`);
    }
    $("reports-range").textContent = r.from ? `UTC days ${r.from} to ${r.to}` : "The event lake is empty.";
    const sends = (c) => Object.entries(c.sends).map(([ch, n]) => `${ch} ${n}`).join(", ");
    const supp = (c) => Object.entries(c.suppressions).map(([why, n]) => `${why} ${n}`).join(", ");
    const uplift = (c) => (c.uplift ? `${pct(c.uplift.difference)} [${c.uplift.low === null ? "?" : pct(c.uplift.low)}, ${c.uplift.high === null ? "?" : pct(c.uplift.high)}]` : "");
    const bonus = (c) => `${c.points_awarded} points, ${c.spins_granted} spins${c.bonus_money === null ? "" : ` (${(c.bonus_money / 100).toFixed(2)})`}`;
    const ranOut = (c) => c.budget_exhausted.map((b) => `${b.reason === "budget_campaign" ? "budget" : "player cap"} ${b.period ?? ""} at ${b.at.slice(0, 16).replace("T", " ")} (${b.refusals} refused)`).join("; ");
    const campaigns = table(["campaign", "reach", "sends", "suppressions", "conversions", "revenue", "uplift vs holdout", "bonus cost", "budget ran out"],
      r.campaigns.map((c) => [c.rule_id, c.reach, sends(c), supp(c), c.conversions, c.revenue.toFixed(2), uplift(c), bonus(c), ranOut(c)]));
    campaigns.id = "report-campaigns";
    const k = r.kpis;
    const kpis = Object.keys(k).length ? table(["KPI", "value"], [
      ["churn rate", pct(k.churn_rate)], ["CLV", k.clv.toFixed(2)], ["redemption rate", pct(k.redemption_rate)],
      ["unsubscribe rate", pct(k.unsubscribe_rate)], ["reactivation conversion", pct(k.reactivation_rate)],
      ["loyalty participation", pct(k.loyalty_participation)],
    ]) : el("p", {}, "");
    kpis.id = "report-kpis";
    $("reports").replaceChildren(el("h3", {}, "Campaigns"), campaigns, el("h3", {}, "Attributed revenue (last touch)"), revenueChart(r.campaigns), el("h3", {}, "Players"), kpis);
  } catch (err) {
    $("reports-error").textContent = describe(err);
  }
}

// --- config items ----------------------------------------------------------------------

async function loadList() {
  const kind = state.kind;
  $("list-title").textContent = plural(kind.label);
  const data = await api("GET", `/api/config/${encodeURIComponent(kind.name)}`);
  const body = $("item-list").tBodies[0];
  body.replaceChildren();
  for (const item of data.items) {
    const searchText = `${item.item_id} ${item.status || ""} ${item.updated_by || ""} ${JSON.stringify(item.body)}`.toLowerCase();
    const row = el("tr", { class: "clickable", "data-id": item.item_id, "data-search": searchText, on: { click: () => openItem(item.item_id) } },
      el("td", {}, item.item_id),
      el("td", {}, item.status ? el("span", { class: `badge ${item.status}`, title: item.status === "draft" ? `live is version ${item.live_version}` : "" }, item.status) : ""),
      el("td", {}, item.enabled === null ? "—" : el("span", { class: `badge ${item.enabled ? "yes" : "no"}` }, item.enabled ? "on" : "off")),
      el("td", {}, item.version),
      el("td", {}, item.updated_by || ""),
      el("td", { class: item.problems.length ? "error" : "" }, item.problems.map((p) => `${p.path}: ${p.message}`).join("; ")));
    if (state.item && state.item.item_id === item.item_id) row.classList.add("selected");
    body.append(row);
  }
  filterRows("item-list", "list-search");
}

// Every list has a search box: rows carry their searchable text in data-search.
function filterRows(tableId, inputId) {
  const words = $(inputId).value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const row of $(tableId).tBodies[0].rows) {
    const text = row.dataset.search || row.textContent.toLowerCase();
    row.hidden = !words.every((w) => text.includes(w));
  }
}

// --- the editor: a form drawn from the kind's JSON Schema, or the JSON itself -----------

async function kindForm(kind) {
  if (!state.forms[kind.name]) state.forms[kind.name] = await api("GET", `/api/kinds/${encodeURIComponent(kind.name)}/form`);
  return state.forms[kind.name];
}

async function loadPickers() {
  state.pickers = await api("GET", "/api/pickers");
  // The forms' datalists are rebuilt from the new lists on next use.
  for (const list of document.querySelectorAll("datalist[id^='picker-']")) list.remove();
}

async function showDocument(doc) {
  // Only the latest call draws: opening a tab and clicking New at once must not leave
  // the first form on screen while the second is the one saved. data-busy is set until
  // the latest form is drawn.
  const seq = (state.renderSeq = (state.renderSeq || 0) + 1);
  const root = $("form-root");
  root.dataset.busy = "1";
  $("editor").value = JSON.stringify(doc, null, 2);
  if (!state.pickers) await loadPickers();
  const form = await kindForm(state.kind);
  if (seq !== state.renderSeq) return;
  state.form = EngageForms.build(form.form, doc, { pickers: state.pickers, kind: state.kind.name });
  root.replaceChildren(state.form.el);
  delete root.dataset.busy;
  setMode(state.mode);
}

function setMode(mode) {
  state.mode = mode;
  show("form-root", mode === "form"); show("editor", mode === "json");
  $("mode-form").setAttribute("aria-selected", String(mode === "form"));
  $("mode-json").setAttribute("aria-selected", String(mode === "json"));
}

async function switchMode(mode) {
  if (mode === state.mode) return;
  const doc = currentDocument("editor-errors");
  if (doc === undefined) return;
  state.mode = mode;
  await showDocument(doc);
}

// The document being edited, from whichever view is showing (undefined if it cannot be read).
function currentDocument(errorsId) {
  if (state.mode === "json") return parseEditor("editor", errorsId);
  try {
    return state.form.get();
  } catch (err) {
    if (err instanceof EngageForms.FormError) { fieldErrors(errorsId, { message: "Fix this field first.", errors: [{ path: err.path, message: err.message }] }); return undefined; }
    throw err;
  }
}

function showFieldErrors(problem) {
  fieldErrors("editor-errors", problem);
  if (state.form) EngageForms.showErrors($("form-root"), problem ? problem.errors : []);
}

async function newItem() {
  state.item = null;
  $("editor-title").textContent = `New ${state.kind.label}`;
  $("editor-meta").textContent = "Not saved yet.";
  await showDocument((await kindForm(state.kind)).new);
  showFieldErrors(null);
  fieldErrors("editor-warnings", null);
  $("history").replaceChildren();
  show("toggle-enabled", false); show("delete", false); show("show-history", false);
  setupTools();
  setupDryRun();
}

async function openItem(id) {
  const item = await api("GET", itemPath(state.kind.name, id));
  state.item = item;
  $("editor-title").textContent = `${state.kind.label}: ${item.item_id}`;
  const where = item.status === "draft" ? ` — draft (live is version ${item.live_version}; publish to make this live)` : item.status === "new" ? " — not published yet" : item.status === "live" ? " — live" : "";
  $("editor-meta").textContent = `version ${item.version}, changed by ${item.updated_by || "?"} at ${item.updated_at || "?"}${where}`;
  if (item.body === null) { state.mode = "json"; $("editor").value = ""; setMode("json"); } else await showDocument(item.body);
  showFieldErrors(item.problems.length ? { message: "The stored item has problems:", errors: item.problems } : null);
  fieldErrors("editor-warnings", (item.warnings || []).length ? { message: "Worth a look before publishing:", errors: item.warnings } : null);
  $("history").replaceChildren();
  show("toggle-enabled", item.enabled !== null);
  $("toggle-enabled").textContent = item.enabled ? "Disable" : "Enable";
  show("delete", true); show("show-history", true);
  setupTools();
  setupDryRun();
  for (const row of $("item-list").tBodies[0].rows) row.classList.toggle("selected", row.dataset.id === id);
}

function parseEditor(textareaId, errorsId) {
  try {
    return JSON.parse($(textareaId).value);
  } catch (err) {
    fieldErrors(errorsId, { message: "This is not valid JSON.", errors: [{ path: "(json)", message: err.message }] });
    return undefined;
  }
}

async function save() {
  const body = currentDocument("editor-errors");
  if (body === undefined) return;
  try {
    const saved = state.item
      ? await api("PUT", itemPath(state.kind.name, state.item.item_id), { version: state.item.version, body })
      : await api("POST", `/api/config/${encodeURIComponent(state.kind.name)}`, { body });
    await loadPickers();
    await loadList();
    await openItem(saved.item_id);
    showFieldErrors(null);
    // Last, so that "Saved" means the editor shows the saved item (and its tools are ready).
    notice(`Saved ${saved.item_id} (version ${saved.version}). Publish to make it live.`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) showFieldErrors(err.body);
    else { fieldErrors("editor-errors", { message: describe(err) }); }
  }
}

async function toggleEnabled() {
  const item = state.item;
  try {
    await api("POST", `${itemPath(state.kind.name, item.item_id)}/${item.enabled ? "disable" : "enable"}`, { version: item.version });
    notice(`${item.item_id} ${item.enabled ? "disabled" : "enabled"}. Publish to make it live.`);
    await loadList(); await openItem(item.item_id);
  } catch (err) { fieldErrors("editor-errors", { message: describe(err) }); }
}

async function deleteItem() {
  const item = state.item;
  if (!confirm(`Delete ${item.item_id}?`)) return;
  try {
    await api("DELETE", `${itemPath(state.kind.name, item.item_id)}?version=${item.version}`);
    notice(`${item.item_id} deleted. Publish to make it live.`);
    newItem(); await loadList();
  } catch (err) { fieldErrors("editor-errors", { message: describe(err) }); }
}

async function showHistory() {
  const data = await api("GET", `${itemPath(state.kind.name, state.item.item_id)}/history`);
  const box = $("history");
  box.replaceChildren(el("h3", {}, "History"));
  for (const entry of data.entries) {
    box.append(el("div", { class: "card" },
      el("strong", {}, `v${entry.version} ${entry.action}`), ` by ${entry.actor} at ${entry.at}`, entry.note ? ` — ${entry.note}` : "",
      el("ul", {}, entry.changes.map((c) => el("li", {}, el("code", {}, c.path), ": ",
        "before" in c ? JSON.stringify(c.before) : "(none)", " → ", "after" in c ? JSON.stringify(c.after) : "(none)")))));
  }
  if (!data.entries.length) box.append(el("p", { class: "muted" }, "No console changes recorded yet."));
}

// --- dry-run ---------------------------------------------------------------------------

const SAMPLE_DETAILS = {
  "player.logged_in": { platform: "web" },
  "wallet.deposit_succeeded": { deposit_id: "dep-1", amount: 25, currency: "EUR", method: "card" },
  "wallet.deposit_failed": { deposit_id: "dep-2", amount: 25, currency: "EUR", reason: "insufficient_funds" },
  "game.round_finished": { round_id: "r-1", game_id: "book-of-ra", category: "slots", stake: 1, payout: 0, currency: "EUR" },
  "player.registered": { locale: "en", time_zone: "Europe/London", country: "GB", consents: { email: true } },
};

function sampleEvent(type) {
  return { source: "console.dry-run", "detail-type": type, detail: { event_id: `dry-${Date.now()}`, occurred_at: new Date().toISOString(), ...(SAMPLE_DETAILS[type] || {}) } };
}

function setupDryRun() {
  const isRule = state.kind.name === "rule";
  show("dry-run-panel", isRule);
  if (!isRule) return;
  const select = $("dry-event-type");
  if (!select.options.length) for (const type of Object.keys(SAMPLE_DETAILS)) select.append(el("option", { value: type }, type));
  const draft = state.form && state.mode === "form" ? safeGet() : parseQuietly($("editor").value);
  const type = draft && Array.isArray(draft.on) && draft.on[0] in SAMPLE_DETAILS ? draft.on[0] : select.value;
  select.value = type;
  $("dry-event").value = JSON.stringify(sampleEvent(type), null, 2);
  $("dry-result").replaceChildren(); fieldErrors("dry-errors", null);
}

function parseQuietly(text) { try { return JSON.parse(text); } catch (_) { return null; } }
function safeGet() { try { return state.form.get(); } catch (_) { return null; } }

async function dryRun() {
  const rule = currentDocument("dry-errors");
  const event = rule === undefined ? undefined : parseEditor("dry-event", "dry-errors");
  if (rule === undefined || event === undefined) return;
  const out = $("dry-result");
  out.replaceChildren();
  try {
    const r = await api("POST", "/api/dry-run", { rule, event, player_id: $("dry-player").value });
    fieldErrors("dry-errors", null);
    out.append(el("p", { id: "dry-verdict", class: r.matched ? "ok" : "error" },
      r.matched ? `Matched: ${r.rule_id} would fire for ${r.player_id}.` : `Not matched: ${r.failed_condition}`));
    for (const n of r.notes) out.append(el("p", { class: "muted" }, n));
    if (r.variant) out.append(el("p", { id: "dry-variant" }, r.variant === "holdout" ? "Experiment arm: holdout (gets none of this rule's marketing or rewards)" : `Experiment arm: ${r.variant}`));
    if (r.held_out && r.held_out.length) out.append(el("h4", {}, "Held out (would have received)"), el("ul", { id: "dry-held-out" }, r.held_out.map((h) => el("li", {}, h))));
    if (r.actions.length) out.append(el("h4", {}, "Actions"), el("ul", { id: "dry-actions" }, r.actions.map((a) => el("li", {}, a))));
    if (r.suppressions.length) out.append(el("h4", {}, "Suppressed"), el("ul", { class: "errors" }, r.suppressions.map((s) => el("li", {}, s))));
    for (const m of r.messages) {
      out.append(el("div", { class: "card" },
        el("strong", {}, `${m.template} by ${m.channel}`), m.on_timer ? " (when its timer fires)" : "", m.would_send_now ? " — would be sent now" : "",
        m.timer_condition_fails ? el("p", { class: "errors" }, `Its timer's condition fails for this player now (checked again when it fires): ${m.timer_condition_fails}`) : "",
        m.variants.map((v) => el("div", {}, el("span", { class: "badge" }, v.locale), " ", el("strong", { class: "subject" }, v.subject), el("pre", {}, v.text)))));
    }
    if (r.other_rules.length) out.append(el("p", { class: "muted" }, `Other rules this event triggers: ${r.other_rules.join(", ")}`));
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) fieldErrors("dry-errors", err.body);
    else fieldErrors("dry-errors", { message: describe(err) });
  }
}

// --- publish ---------------------------------------------------------------------------

async function loadPublications() {
  const data = await api("GET", "/api/publications");
  $("live-version").textContent = String(data.published_version);
  const body = $("publications").tBodies[0];
  body.replaceChildren();
  for (const p of data.publications) {
    const rollback = el("button", { type: "button", on: { click: () => rollbackTo(p.config_version) } }, `Roll back to v${p.config_version}`);
    rollback.disabled = !state.me.can_write || p.config_version === data.published_version;
    body.append(el("tr", { "data-search": `v${p.config_version} ${p.actor} ${p.at} ${p.note || ""}`.toLowerCase() },
      el("td", {}, p.config_version), el("td", {}, p.actor), el("td", {}, p.at), el("td", {}, p.note || ""), el("td", {}, rollback)));
  }
  filterRows("publications", "publications-search");
  state.liveVersion = data.published_version;
}

async function publish() { await doPublish(undefined); }

async function doPublish(changes) {
  try {
    const request = { expected_version: state.liveVersion, note: $("publish-note").value || null };
    if (changes) request.changes = changes;
    const p = await api("POST", "/api/publish", request);
    fieldErrors("publish-errors", null);
    notice(`Published config version ${p.config_version}; the engine uses it from its next batch.`);
    $("publish-note").value = "";
    await loadPending();
    await loadPublications();
  } catch (err) {
    fieldErrors("publish-errors", err instanceof ApiError ? { message: err.message, errors: err.body.errors } : { message: describe(err) });
  }
}

async function rollbackTo(version) {
  if (!confirm(`Restore and publish the items of config version ${version}?`)) return;
  try {
    const p = await api("POST", `/api/publications/${version}/rollback`);
    notice(`Rolled back: version ${p.config_version} is live with the items of version ${version}.`);
    await loadPending();
    await loadPublications();
  } catch (err) { fieldErrors("publish-errors", { message: describe(err) }); }
}

// --- users (admins) --------------------------------------------------------------------

async function loadUsers() {
  const data = await api("GET", "/api/admin/users");
  const body = $("users").tBodies[0];
  body.replaceChildren();
  for (const u of data.users) {
    const role = el("select", { "aria-label": `role of ${u.username}` }, ["viewer", "marketer", "admin"].map((r) => el("option", { value: r }, r)));
    role.value = u.role || "viewer";
    role.addEventListener("change", () => userAction(`/api/admin/users/${encodeURIComponent(u.username)}/role`, "PUT", { role: role.value }, `${u.username} is now ${role.value}.`));
    const disable = el("button", { type: "button", on: { click: () => userAction(`/api/admin/users/${encodeURIComponent(u.username)}/disable`, "POST", undefined, `${u.username} can no longer sign in.`) } }, "Disable");
    disable.disabled = !u.enabled;
    const status = u.enabled ? u.status : "disabled";
    body.append(el("tr", { "data-user": u.username, "data-search": `${u.username} ${u.email || ""} ${u.role || "viewer"} ${status}`.toLowerCase() },
      el("td", {}, u.username), el("td", {}, u.email || ""), el("td", {}, role), el("td", {}, status), el("td", {}, disable)));
  }
  filterRows("users", "users-search");
}

async function userAction(path, method, body, done) {
  try {
    await api(method, path, body);
    fieldErrors("users-errors", null); notice(done); await loadUsers();
  } catch (err) { fieldErrors("users-errors", err instanceof ApiError ? err.body : { message: describe(err) }); }
}

async function invite(event) {
  event.preventDefault();
  const username = $("invite-username").value;
  await userAction("/api/admin/users", "POST", { username, email: $("invite-email").value, role: $("invite-role").value },
    `${username} invited; Cognito emails them a temporary password.`);
}

// --- player ----------------------------------------------------------------------------

function table(headers, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c === null || c === undefined ? "" : typeof c === "object" ? JSON.stringify(c) : c))))));
}

async function lookUpPlayer(event) {
  event.preventDefault();
  const box = $("player");
  box.replaceChildren(); $("player-error").textContent = "";
  try {
    const p = await api("GET", `/api/players/${encodeURIComponent($("player-id").value)}`);
    box.append(
      el("p", {}, el("strong", {}, p.player_id), ` — ${p.points_balance} points, state version ${p.state_version}`),
      el("h3", {}, "Profile"), table(["field", "value"], Object.entries(p.profile)),
      el("h3", {}, "Points ledger"), table(["when", "points", "balance", "rule", "reason"], p.ledger.map((l) => [l.occurred_at, l.points, l.balance_after, l.rule_id, l.reason])),
      el("h3", {}, "Timers"), table(["timer", "due", "rule"], p.timers.map((t) => [t.timer, t.due_at, t.rule_id])),
      el("h3", {}, "Message log"), el("div", { id: "player-messages" }, table(["when", "rule", "what", "status", "result"], p.messages.map((m) => [m.created_at, m.rule_id, m.effect.template || m.effect.timer || m.effect.kind, m.status, m.result]))));
    const { marketing, rules, ...others } = p.sections;
    if (marketing) {
      const m = marketing;
      box.append(el("h3", {}, "Marketing"), el("div", { id: "player-marketing" }, table(["what", "value"], [
        ["segments", Object.entries(m.segments || {}).map(([k, since]) => `${k} (since ${since})`).join(", ") || "(none)"],
        ["lifecycle", m.lifecycle && m.lifecycle.stage ? `${m.lifecycle.stage} since ${m.lifecycle.since}` : "(none)"],
        ["RFM", m.rfm ? `R${m.rfm.r} F${m.rfm.f} M${m.rfm.m} (score ${m.rfm.score}, churn risk ${m.rfm.churn_risk})` : "(not scored yet)"],
        ["tier", m.tier || "(none)"], ["badges", (m.badges || []).join(", ") || "(none)"],
        ["experiments", Object.entries(m.experiments || {}).map(([rule, a]) => `${rule}: ${a.arm} (${a.experiment})`).join(", ") || "(none)"],
      ])));
    }
    if (rules) {
      box.append(el("h3", {}, "Rules: did they fire, and why not"), el("div", { id: "player-rules" }, table(["rule", "listens to", "fired (latest)", "held back", "now"],
        rules.map((r) => [r.rule_id, r.on.join(", "), r.fired.join(", ") || "never", r.held_back.map((h) => `${h.at} ${h.category}: ${h.reason}`).join("; "), [r.verdict, ...r.notes].join(" — ")]))));
    }
    for (const [name, value] of Object.entries(others)) {
      const rows = Array.isArray(value) ? value : [];
      const columns = rows.length && typeof rows[0] === "object" ? Object.keys(rows[0]) : [];
      box.append(el("h3", {}, name[0].toUpperCase() + name.slice(1)),
        columns.length ? el("div", { id: `player-${name}` }, table(columns, rows.map((r) => columns.map((c) => r[c]))))
          : el("pre", { id: `player-${name}` }, Array.isArray(value) && !value.length ? "(none)" : JSON.stringify(value, null, 2)));
    }
  } catch (err) {
    $("player-error").textContent = describe(err);
  }
}

// --- tools on the draft (reach, preview; others register the same way) ---------------
// A tool is { id, label, kinds, run(doc) -> Node }: it gets the document being edited and
// returns what to show under the editor. Another feature adds its button with
// EngageConsole.registerEditorTool({...}) (e.g. a backtest on rule drafts).

const editorTools = [];

function registerEditorTool(tool) {
  editorTools.push(tool);
  if (state.kind) setupTools();
}

function setupTools() {
  const box = $("editor-tools");
  box.replaceChildren();
  $("tool-result").replaceChildren();
  for (const tool of editorTools.filter((t) => !t.kinds || t.kinds.includes(state.kind.name))) {
    box.append(el("button", { type: "button", id: `tool-${tool.id}`, on: { click: () => runTool(tool) } }, tool.label));
  }
}

async function runTool(tool) {
  const doc = currentDocument("editor-errors");
  if (doc === undefined) return;
  const out = $("tool-result");
  out.replaceChildren(el("p", { class: "muted" }, `${tool.label}…`));
  try {
    out.replaceChildren(await tool.run(doc));
    showFieldErrors(null);
  } catch (err) {
    out.replaceChildren();
    if (err instanceof ApiError && err.status === 422) showFieldErrors(err.body);
    else fieldErrors("editor-errors", { message: describe(err) });
  }
}

registerEditorTool({
  id: "reach", label: "Estimate reach", kinds: ["segment", "rule"],
  run: async (doc) => {
    const r = await api("POST", "/api/reach", { [state.kind.name]: doc });
    return el("div", { id: "reach-result", class: "card" },
      el("strong", {}, `Reach: ${r.matched} of ${r.scanned} current players${r.complete ? "" : " (at least)"}`),
      r.sample.length ? el("p", { class: "muted" }, `For example: ${r.sample.join(", ")}`) : "",
      r.notes.map((n) => el("p", { class: "muted" }, n)));
  },
});

registerEditorTool({
  id: "preview", label: "Preview per locale", kinds: ["template"],
  run: async (doc) => {
    const request = { template_id: doc.template_id, channel: doc.channel || "email", draft: doc };
    const r = await api("POST", "/api/preview", request);
    const box = el("div", { id: "preview-result" }, el("p", { class: "muted" }, `Every locale, rendered as the player gets it (with ${r.values_from}).`));
    for (const v of r.variants) {
      const frame = el("iframe", { class: "email", sandbox: "", title: `${v.locale} preview`, "data-locale": v.locale, referrerpolicy: "no-referrer" });
      // sandbox="" : no scripts, no forms, no same-origin; the HTML cannot touch the console.
      frame.srcdoc = v.html || `<pre>${v.text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c])}</pre>`;
      box.append(el("div", { class: "card" }, el("span", { class: "badge" }, v.locale), " ", el("strong", { class: "subject" }, v.subject), frame));
    }
    return box;
  },
});

// --- pending changes and publishing a selection ----------------------------------------

function change(c) {
  return el("ul", { class: "diff" }, c.changes.slice(0, 12).map((d) => el("li", {}, el("code", {}, d.path), ": ",
    "before" in d ? JSON.stringify(d.before) : "(none)", " → ", "after" in d ? JSON.stringify(d.after) : "(none)")),
    c.changes.length > 12 ? el("li", { class: "muted" }, `… ${c.changes.length - 12} more`) : "");
}

async function loadPending() {
  const data = await api("GET", "/api/changes");
  const body = $("pending").tBodies[0];
  body.replaceChildren();
  for (const c of data.changes) {
    const box = el("input", { type: "checkbox", class: "pick", "aria-label": `select ${c.kind} ${c.item_id}`, "data-kind": c.kind, "data-id": c.item_id });
    const versions = c.change === "draft" ? `v${c.live_version} → v${c.draft_version}` : c.change === "new" ? `v${c.draft_version}` : `v${c.live_version}`;
    body.append(el("tr", { "data-change": `${c.kind}/${c.item_id}`, "data-search": `${c.kind} ${c.item_id} ${c.change} ${c.authors.join(" ")}`.toLowerCase() },
      el("td", {}, box), el("td", {}, c.kind), el("td", {}, c.item_id),
      el("td", {}, el("span", { class: `badge ${c.change}` }, c.change), " ", versions),
      el("td", {}, c.authors.join(", ")), el("td", {}, c.at || ""), el("td", {}, change(c))));
  }
  show("pending-empty", !data.changes.length);
  $("pending-all").checked = false;
  filterRows("pending", "pending-search");
}

async function publishSelected() {
  const changes = [...$("pending").querySelectorAll("input.pick:checked")].map((b) => ({ kind: b.dataset.kind, item_id: b.dataset.id }));
  if (!changes.length) { fieldErrors("publish-errors", { message: "Tick the changes to publish first." }); return; }
  await doPublish(changes);
}

// --- journey ---------------------------------------------------------------------------

async function loadJourney(event) {
  if (event) event.preventDefault();
  $("journey-error").textContent = "";
  try {
    const query = new URLSearchParams({ prefix: $("journey-prefix").value.trim(), counts: String($("journey-counts-on").checked) });
    const graph = await api("GET", `/api/journey?${query}`);
    $("journey-counts").textContent = graph.counts_from ? `Counts per rule (reach, sends, suppressed, conversions) from the ${graph.counts_from}.`
      : $("journey-counts-on").checked ? "No report figures here (no event lake wired, or it is empty): counts are not shown." : "";
    $("journey").replaceChildren(graph.nodes.length ? EngageJourney.draw(graph, openLink) : el("p", { class: "muted" }, "No rule matches."));
  } catch (err) { $("journey-error").textContent = describe(err); }
}

async function openLink(link) {
  await openTab(`kind:${link.kind}`);
  if (link.item_id) await openItem(link.item_id);
  else if (link.search) { $("list-search").value = link.search; filterRows("item-list", "list-search"); }
}

// --- activity --------------------------------------------------------------------------

async function loadActivity() {
  const data = await api("GET", "/api/activity");
  const body = $("activity").tBodies[0];
  body.replaceChildren();
  for (const e of data.entries) {
    const item = e.kind ? `${e.kind} ${e.item_id}` : "";
    body.append(el("tr", { "data-search": `${e.actor} ${e.action} ${item} ${e.note || ""}`.toLowerCase() },
      el("td", {}, e.at), el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, item), el("td", {}, e.version), el("td", {}, e.note || "")));
  }
  filterRows("activity", "activity-search");
}

// --- boot ------------------------------------------------------------------------------

async function boot() {
  $("dev-login-form").addEventListener("submit", devSignIn);
  $("cognito-submit").addEventListener("click", () => cognitoSignIn().catch((e) => { $("login-error").textContent = describe(e); }));
  $("sign-out").addEventListener("click", signOut);
  $("new-item").addEventListener("click", newItem);
  $("save").addEventListener("click", save);
  $("toggle-enabled").addEventListener("click", toggleEnabled);
  $("delete").addEventListener("click", deleteItem);
  $("show-history").addEventListener("click", showHistory);
  $("dry-run").addEventListener("click", dryRun);
  $("dry-event-type").addEventListener("change", () => { $("dry-event").value = JSON.stringify(sampleEvent($("dry-event-type").value), null, 2); });
  $("publish").addEventListener("click", publish);
  $("publish-selected").addEventListener("click", publishSelected);
  $("pending-all").addEventListener("change", () => { for (const b of $("pending").querySelectorAll("tr:not([hidden]) input.pick")) b.checked = $("pending-all").checked; });
  $("mode-form").addEventListener("click", () => switchMode("form"));
  $("mode-json").addEventListener("click", () => switchMode("json"));
  $("journey-form").addEventListener("submit", loadJourney);
  for (const [table, input] of [["item-list", "list-search"], ["pending", "pending-search"], ["activity", "activity-search"], ["publications", "publications-search"], ["users", "users-search"]]) $(input).addEventListener("input", () => filterRows(table, input));
  $("player-form").addEventListener("submit", lookUpPlayer);
  $("invite-form").addEventListener("submit", invite);
  $("report-range-form").addEventListener("submit", (e) => { e.preventDefault(); loadReports(); });
  state.config = await (await fetch("/console-config.json")).json();
  try { await finishCognitoSignIn(); } catch (err) { $("login-error").textContent = describe(err); }
  if (sessionStorage.getItem(TOKEN_KEY)) await start(); else showLogin();
}

// What other console features (e.g. a backtest of rule drafts) build on.
window.EngageConsole = { registerEditorTool, api, el, describe, currentDocument: () => currentDocument("editor-errors") };

document.addEventListener("DOMContentLoaded", boot);
