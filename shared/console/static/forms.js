// engage console: forms drawn from the config kinds' JSON Schemas (GET /api/kinds/<kind>/form).
// No framework: each widget is { el, get() }, where get() returns the field's value or
// undefined (left out of the document). Values only ever reach the page as text.
"use strict";

const EngageForms = (() => {
  const LONG_TEXT = new Set(["text", "html", "description"]);
  const VALUE_PICKERS = { segments: "segment", badges: "badge", pending_timers: "timer" };
  const OPERATORS = [
    ["is", "is one of"], ["not", "is none of"], [">=", "≥"], [">", ">"], ["<=", "≤"], ["<", "<"],
    ["prefix", "starts with"], ["exists", "is set"], ["missing", "is not set"],
  ];

  function node(tag, props, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "class") n.className = v;
      else if (k === "on") for (const [ev, fn] of Object.entries(v)) n.addEventListener(ev, fn);
      else if (v !== undefined && v !== null) n.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return n;
  }

  const title = (name, schema) => schema.title || (name ? name.replace(/_/g, " ") : "");
  const join = (path, key) => (path ? `${path}.${key}` : String(key));
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  function datalistFor(ctx, picker) {
    const id = `picker-${picker}`;
    if (!document.getElementById(id)) {
      const options = (ctx.pickers.options || {})[picker] || [];
      document.body.append(node("datalist", { id }, options.map((o) => node("option", { value: o }))));
    }
    return id;
  }

  // --- scalars -------------------------------------------------------------------------

  function scalar(schema, value, path, ctx, name) {
    const kind = schema.type;
    if (schema.const !== undefined) return { el: node("code", {}, JSON.stringify(schema.const)), get: () => schema.const };
    if (kind === "boolean") {
      const box = node("input", { type: "checkbox", "data-path": path, "aria-label": path });
      box.checked = value === undefined ? Boolean(schema.default) : Boolean(value);
      // Left out when it was absent and still says the default: opening and saving an
      // item must not add fields (the pending diff would show changes nobody made).
      return { el: box, get: () => (value === undefined && box.checked === Boolean(schema.default) ? undefined : box.checked) };
    }
    const options = schema.enum || (schema["x-picker"] === "detail_type" ? (ctx.pickers.options || {}).detail_type : null);
    if (options) {
      const select = node("select", { "data-path": path, "aria-label": path });
      const hasDefault = schema.default !== undefined && schema.default !== null;
      if (schema["x-nullable"] || schema.default !== undefined) select.append(node("option", { value: "" }, hasDefault ? `(default: ${schema.default})` : "(none)"));
      for (const o of options) select.append(node("option", { value: o }, o));
      select.value = value === undefined || value === null ? "" : String(value);
      if (!select.value && !(schema["x-nullable"] || schema.default !== undefined)) select.value = String(options[0]);
      return { el: select, get: () => (select.value === "" ? undefined : select.value) };
    }
    const numeric = kind === "integer" || kind === "number";
    const long = !numeric && (LONG_TEXT.has(name) || (schema.maxLength || 0) > 500);
    const input = long ? node("textarea", { rows: name === "html" ? 8 : 3, "data-path": path, "aria-label": path })
      : node("input", { type: numeric ? "number" : "text", "data-path": path, "aria-label": path, step: kind === "number" ? "any" : undefined });
    if (schema["x-picker"]) input.setAttribute("list", datalistFor(ctx, schema["x-picker"]));
    if (schema.examples) input.placeholder = `e.g. ${schema.examples.join(", ")}`;
    else if (schema.default !== undefined && schema.default !== null) input.placeholder = `default: ${schema.default}`;
    input.value = value === undefined || value === null ? "" : String(value);
    return {
      el: input,
      get: () => {
        if (input.value === "") return value === "" ? "" : undefined;
        if (!numeric || (schema["x-decimal"] && typeof value === "string")) return input.value;
        const n = Number(input.value);
        return Number.isNaN(n) ? input.value : n;
      },
    };
  }

  // --- JSON in place (free-form maps, deep nesting) --------------------------------------

  function jsonField(value, path) {
    const area = node("textarea", { rows: 4, class: "json", "data-path": path, "aria-label": `${path} (JSON)` });
    area.value = value === undefined ? "" : JSON.stringify(value, null, 2);
    return {
      el: area,
      get: () => {
        if (!area.value.trim()) return undefined;
        try { return JSON.parse(area.value); } catch (err) { throw new FormError(path, `not valid JSON: ${err.message}`); }
      },
    };
  }

  class FormError extends Error { constructor(path, message) { super(message); this.path = path; } }

  // --- conditions (the pattern language) ------------------------------------------------

  function parseLeaf(alternatives) {
    // One leaf the builder can show as a row, or null (then the condition is edited as JSON).
    if (!Array.isArray(alternatives) || !alternatives.length) return null;
    if (alternatives.every((a) => a === null || ["string", "number", "boolean"].includes(typeof a))) return { op: "is", value: alternatives.join(", ") };
    if (alternatives.length !== 1 || !isObject(alternatives[0])) return null;
    const [k, v] = Object.entries(alternatives[0])[0] || [];
    if (k === "numeric" && Array.isArray(v) && v.length === 2) return { op: v[0] === "=" ? "is" : v[0], value: String(v[1]) };
    if (k === "prefix" && typeof v === "string") return { op: "prefix", value: v };
    if (k === "exists") return { op: v ? "exists" : "missing", value: "" };
    if (k === "anything-but" && Array.isArray(v) && v.every((x) => typeof x !== "object")) return { op: "not", value: v.join(", ") };
    return null;
  }

  function parseCondition(pattern) {
    if (pattern === undefined || pattern === null) return [];
    if (!isObject(pattern)) return null;
    const rows = [];
    // Nested fields ({"category_share": {"slots": [...]}}) are shown as one dotted name.
    const walk = (scope, fields, prefix) => {
      for (const [field, alternatives] of Object.entries(fields)) {
        const name = prefix ? `${prefix}.${field}` : field;
        if (isObject(alternatives)) {
          if (field.startsWith("$") || !walk(scope, alternatives, name)) return false;
          continue;
        }
        const leaf = parseLeaf(alternatives);
        if (!leaf) return false;
        rows.push({ scope, field: name, ...leaf });
      }
      return true;
    };
    for (const [scope, fields] of Object.entries(pattern)) {
      if (!["event", "player"].includes(scope) || !isObject(fields)) return null;
      if (!walk(scope, fields, "")) return null;
    }
    return rows;
  }

  function literal(text) {
    const t = text.trim();
    if (t === "true" || t === "false") return t === "true";
    if (t !== "" && !Number.isNaN(Number(t))) return Number(t);
    return t;
  }

  function leafOf(row) {
    const values = row.value.split(",").map((v) => v.trim()).filter((v) => v !== "");
    switch (row.op) {
      case "is": return values.map(literal);
      case "not": return [{ "anything-but": values.map(literal) }];
      case "prefix": return [{ prefix: row.value }];
      case "exists": return [{ exists: true }];
      case "missing": return [{ exists: false }];
      default: return [{ numeric: [row.op, Number(row.value)] }];
    }
  }

  function condition(schema, value, path, ctx) {
    const box = node("div", { class: "condition", "data-path": path });
    let rows = parseCondition(value);
    let json = null;
    const list = node("div", { class: "condition-rows" });
    const fields = ctx.pickers.player_fields || [];
    const eventFields = [...new Set(Object.values(ctx.pickers.event_fields || {}).flat())].sort();
    const playerList = datalistFor({ pickers: { options: { "player-field": fields } } }, "player-field");
    const eventList = datalistFor({ pickers: { options: { "event-field": eventFields } } }, "event-field");
    const widgets = [];

    function addRow(row) {
      const scope = node("select", { "aria-label": "about" }, node("option", { value: "player" }, "player"), node("option", { value: "event" }, "event"));
      scope.value = row.scope;
      const field = node("input", { class: "cond-field", "aria-label": "field", list: row.scope === "event" ? eventList : playerList, value: row.field, placeholder: "field, e.g. deposit_count" });
      scope.addEventListener("change", () => field.setAttribute("list", scope.value === "event" ? eventList : playerList));
      const op = node("select", { class: "cond-op", "aria-label": "operator" }, OPERATORS.map(([v, label]) => node("option", { value: v }, label)));
      op.value = row.op;
      const val = node("input", { class: "cond-value", "aria-label": "value", value: row.value, placeholder: "value(s), comma separated" });
      // Fields that hold item ids offer those items (segments, badges, timers).
      const valueList = () => { const p = VALUE_PICKERS[field.value.trim()]; if (p && scope.value === "player") val.setAttribute("list", datalistFor(ctx, p)); else val.removeAttribute("list"); };
      field.addEventListener("change", valueList);
      valueList();
      const line = node("div", { class: "condition-row" }, scope, field, op, val);
      const entry = { scope, field, op, val, line };
      line.append(node("button", { type: "button", class: "small", on: { click: () => { widgets.splice(widgets.indexOf(entry), 1); line.remove(); } } }, "✕"));
      widgets.push(entry);
      list.append(line);
    }

    function showJson(v) {
      json = jsonField(v, path);
      box.replaceChildren(node("p", { class: "muted" }, "This condition uses more of the pattern language than the builder shows; edit it as JSON."), json.el);
    }

    if (rows === null) showJson(value);
    else {
      rows.forEach(addRow);
      box.append(list, node("button", { type: "button", class: "small add-condition", on: { click: () => addRow({ scope: "player", field: "", op: "is", value: "" }) } }, "+ condition"),
        node("button", { type: "button", class: "small", on: { click: () => showJson(get()) } }, "Edit as JSON"));
    }

    function get() {
      if (json) return json.get();
      const out = {};
      for (const w of widgets) {
        const name = w.field.value.trim();
        if (!name) continue;
        // A dotted name reads a nested field (category_share.slots): patterns nest it,
        // since a key with a dot in it would match nothing.
        const parts = name.split(".").filter((part) => part !== "");
        let at = (out[w.scope.value] = out[w.scope.value] || {});
        for (const part of parts.slice(0, -1)) at = at[part] = isObject(at[part]) ? at[part] : {};
        at[parts[parts.length - 1]] = leafOf({ op: w.op.value, value: w.val.value });
      }
      return Object.keys(out).length ? out : undefined;
    }
    return { el: box, get };
  }

  // --- objects, arrays, unions ----------------------------------------------------------

  function optionKey(option) {
    if (option.required && option.required.length === 1 && option.properties) return option.required[0];
    return option.title || "option";
  }

  function union(options, value, path, ctx) {
    const box = node("div", { class: "union" });
    const select = node("select", { class: "union-choice", "aria-label": `${path} kind` }, options.map((o, i) => node("option", { value: String(i) }, optionKey(o).replace(/_/g, " "))));
    let index = 0;
    if (isObject(value)) {
      const found = options.findIndex((o) => o.properties && Object.keys(value).every((k) => k in o.properties) && (o.required || []).every((k) => k in value));
      if (found >= 0) index = found;
    }
    select.value = String(index);
    let inner = widget(null, options[index], value, path, ctx);
    const slot = node("div", {}, inner.el);
    select.addEventListener("change", () => {
      const chosen = options[Number(select.value)];
      inner = widget(null, chosen, defaultOf(chosen), path, ctx);
      slot.replaceChildren(inner.el);
    });
    box.append(select, slot);
    return { el: box, get: () => inner.get() };
  }

  function defaultOf(schema) {
    if (schema.default !== undefined) return schema.default;
    if (schema.oneOf) return defaultOf(schema.oneOf[0]);
    if (schema.type === "object" && schema.properties) {
      const out = {};
      for (const name of schema.required || []) out[name] = defaultOf(schema.properties[name]);
      return out;
    }
    if (schema.type === "array") return schema.minItems ? [defaultOf(schema.items)] : [];
    if (schema.enum) return schema.enum[0];
    return undefined;
  }

  function object(schema, value, path, ctx) {
    const doc = isObject(value) ? value : {};
    const box = node("div", { class: "object", "data-path": path || "(document)" });
    const required = new Set(schema.required || []);
    const parts = [];
    for (const [name, prop] of Object.entries(schema.properties || {})) {
      const fieldPath = join(path, name);
      const optionalObject = !required.has(name) && prop.type === "object" && prop.properties;
      const row = node("div", { class: "field", "data-field": fieldPath });
      const label = node("label", { class: "field-label" }, title(name, prop), required.has(name) ? node("span", { class: "required", title: "required" }, " *") : "");
      row.append(label);
      if (prop.description) row.append(node("div", { class: "help" }, prop.description));
      if (optionalObject) {
        // An optional block (a limit, an experiment, a goal): off until the marketer wants it.
        const toggle = node("input", { type: "checkbox", "aria-label": `use ${fieldPath}`, "data-toggle": fieldPath });
        toggle.checked = doc[name] !== undefined && doc[name] !== null;
        const slot = node("div", { class: "nested" });
        let inner = null;
        const draw = () => {
          inner = toggle.checked ? widget(name, prop, doc[name] ?? defaultOf(prop), fieldPath, ctx) : null;
          slot.replaceChildren(inner ? inner.el : "");
        };
        toggle.addEventListener("change", draw);
        draw();
        label.prepend(toggle);
        row.append(slot);
        parts.push([name, () => (inner ? inner.get() : undefined)]);
      } else {
        const inner = widget(name, prop, doc[name], fieldPath, ctx);
        row.append(inner.el);
        parts.push([name, inner.get]);
      }
      row.append(node("div", { class: "field-error", role: "alert" }));
      box.append(row);
    }
    return {
      el: box,
      get: () => {
        const out = {};
        for (const [name, get] of parts) {
          const v = get();
          if (v !== undefined) out[name] = v;
        }
        return out;
      },
    };
  }

  function array(name, schema, value, path, ctx) {
    const box = node("div", { class: "array", "data-path": path });
    const list = node("ol", { class: "array-items" });
    const items = [];
    const draw = (entry, v) => {
      entry.w = widget(null, schema.items, v, join(path, items.indexOf(entry)), ctx);
      entry.li.replaceChildren(entry.w.el, node("button", { type: "button", class: "small remove", on: { click: () => remove(entry) } }, "Remove"));
    };
    // Paths name items by index (then.1.send...), so the items after a removed one are
    // redrawn with their current values under their new index.
    const remove = (entry) => {
      const at = items.indexOf(entry);
      items.splice(at, 1);
      entry.li.remove();
      for (const later of items.slice(at)) draw(later, later.w.get());
    };
    const add = (v) => {
      const entry = { li: node("li", {}), w: null };
      items.push(entry);
      draw(entry, v);
      list.append(entry.li);
    };
    (Array.isArray(value) ? value : []).forEach(add);
    const addButton = node("button", { type: "button", class: "small add-item", "data-add": path, on: { click: () => add(defaultOf(schema.items)) } }, `+ ${name ? title(name, schema).replace(/s$/, "") : "item"}`);
    box.append(list, addButton);
    return {
      el: box,
      get: () => {
        const out = items.map((e) => e.w.get()).filter((v) => v !== undefined);
        return out.length || value !== undefined ? out : undefined;
      },
    };
  }

  function widget(name, schema, value, path, ctx) {
    if (schema["x-widget"] === "condition") return condition(schema, value, path, ctx);
    if (schema["x-widget"] === "json") return jsonField(value, path);
    if (schema.oneOf) return union(schema.oneOf, value, path, ctx);
    if (schema.anyOf) return union(schema.anyOf, value, path, ctx);
    if (schema.type === "object" && schema.properties) return object(schema, value, path, ctx);
    if (schema.type === "object") return jsonField(value, path);
    if (schema.type === "array") return array(name, schema, value, path, ctx);
    return scalar(schema, value, path, ctx, name);
  }

  // --- server validation onto fields ----------------------------------------------------

  function showErrors(root, errors) {
    for (const e of root.querySelectorAll(".field-error")) e.textContent = "";
    for (const e of root.querySelectorAll(".invalid")) e.classList.remove("invalid");
    const unplaced = [];
    for (const err of errors || []) {
      // The deepest field whose path is a prefix of the error's path gets the message.
      const parts = err.path.split(".");
      let target = null;
      for (let n = parts.length; n > 0 && !target; n--) target = root.querySelector(`.field[data-field="${CSS.escape(parts.slice(0, n).join("."))}"]`);
      if (!target) { unplaced.push(err); continue; }
      target.classList.add("invalid");
      const slot = [...target.children].find((c) => c.classList.contains("field-error"));
      slot.textContent = `${slot.textContent ? `${slot.textContent}; ` : ""}${err.message}`;
    }
    const first = root.querySelector(".invalid");
    if (first) first.scrollIntoView({ block: "center" });
    return unplaced;
  }

  function build(schema, value, ctx) {
    const w = widget(null, schema, value, "", ctx);
    return { el: w.el, get: w.get };
  }

  return { build, showErrors, FormError, parseCondition };
})();
