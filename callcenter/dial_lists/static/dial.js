// Dial lists in the browser (pages/dial.py): the rule builder with a live preview, building a
// list, the build's progress, and "work this list" (next → card → call → outcome → next, with
// keyboard shortcuts). Everything goes through the REST API with the session's CSRF token; a
// 422 is shown next to what it names.
"use strict";

(function () {
  const dataNode = document.getElementById("dial-data");
  const pageNode = document.getElementById("page-data");
  if (!dataNode || !pageNode) return;
  const data = JSON.parse(dataNode.textContent);
  const page = JSON.parse(pageNode.textContent);
  const S = Object.assign({}, page.strings, data.strings || {});
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const locale = page.lang === "ru" ? "ru-RU" : "en-GB";

  // --- helpers ------------------------------------------------------------------------------

  function fmt(key, params) {
    const text = S[key] || key;
    return text.replace(/\{(\w+)\}/g, (all, name) =>
      params && name in params ? String(params[name]) : all);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function money(value) {
    const amount = new Intl.NumberFormat(locale, {
      minimumFractionDigits: 2, maximumFractionDigits: 2,
    }).format(Number(value || 0));
    return fmt("money", { amount: amount });
  }

  function phoneText(phone) {
    const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(phone || "");
    return m ? `+7 ${m[1]} ${m[2]}-${m[3]}-${m[4]}` : (phone || "");
  }

  // The API's datetimes are naive UTC ("2026-06-15T12:00:00").
  function utcDate(iso) {
    return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  }

  function localTime(iso) {
    if (!iso) return "—";
    const date = utcDate(iso);
    if (isNaN(date)) return iso;
    return date.toLocaleString(locale, { dateStyle: "short", timeStyle: "short" });
  }

  async function api(method, url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      return { ok: false, status: 0, data: null, message: String(error.message || error) };
    }
    let payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    const error = payload && payload.error;
    return {
      ok: response.ok,
      status: response.status,
      data: payload,
      error: error || null,
      message: error ? error.message : `HTTP ${response.status}`,
    };
  }

  function clearErrors(root) {
    root.querySelectorAll("[data-error-for]").forEach((node) => {
      node.hidden = true;
      node.textContent = "";
    });
    root.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  function putError(node, text) {
    node.textContent = node.textContent ? `${node.textContent}; ${text}` : text;
    node.hidden = false;
  }

  // A 422's details.fields next to the fields they name: "settings.call_from" finds
  // data-error-for="settings.call_from", "manager_ids.0" finds "manager_ids"; the rest goes
  // to data-error-for="". ``skip(field)`` leaves some to another handler.
  function showFieldErrors(root, result, skip) {
    const fields = (result.error && result.error.details && result.error.details.fields) || [];
    let shown = false;
    fields.forEach((f) => {
      const name = String(f.field);
      if (skip && skip(name)) { shown = true; return; }
      const parts = name.split(".");
      for (let k = parts.length; k > 0; k--) {
        const key = parts.slice(0, k).join(".");
        const node = root.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
        if (!node) continue;
        putError(node, f.message);
        const input = root.querySelector(`[name="${CSS.escape(key.replace(/^settings\./, ""))}"]`);
        if (input) input.setAttribute("aria-invalid", "true");
        shown = true;
        return;
      }
    });
    if (!shown) {
      const general = root.querySelector('[data-error-for=""]');
      if (general) putError(general, result.message);
      return Boolean(general);
    }
    return true;
  }

  // --- the rule builder -----------------------------------------------------------------------

  const treeBox = document.getElementById("rule-tree");
  if (treeBox) ruleBuilder();

  function ruleBuilder() {
    const form = document.getElementById("rule-form");
    const nameInput = document.getElementById("rule-name");
    const descInput = document.getElementById("rule-description");
    const templateSelect = document.getElementById("rule-template");
    const templateHint = document.getElementById("rule-template-hint");
    const state = document.getElementById("rule-state");
    const buildLink = document.getElementById("rule-build");
    const title = document.getElementById("rule-title");
    const countNode = document.getElementById("preview-count");
    const table = document.getElementById("preview-table");
    const sortSelect = document.getElementById("preview-sort");
    const FIELDS = new Map(data.fields.map((f) => [f.name, f]));
    const NUMERIC = new Set(["count", "days", "manager", "money", "ratio"]);
    const CHOICES = {
      status: data.statuses,
      manager: data.managers.map(([id, name]) => [String(id), name]),
    };
    let ruleId = data.rule ? data.rule.id : null;
    let root;
    let timer = null;
    let seq = 0;

    function spec(c) {
      return FIELDS.get(c.field) || { name: c.field, kind: "text", ops: [c.op], nullable: false,
        needs_days: false, label: c.field, hint: "" };
    }

    function isChoice(c) {
      return spec(c).kind in CHOICES;
    }

    function fromTree(node) {
      if (node && Array.isArray(node.all)) return { group: "all", items: node.all.map(fromTree) };
      if (node && Array.isArray(node.any)) return { group: "any", items: node.any.map(fromTree) };
      const c = { field: node.field, op: node.op, nil: false, raw: "",
        days: node.days == null ? "" : String(node.days) };
      if (node.value === null) c.nil = true;
      else if (Array.isArray(node.value)) {
        c.raw = isChoice(c) ? node.value.map(String) : node.value.join(", ");
      } else c.raw = String(node.value);
      return c;
    }

    function rootFrom(tree) {
      const node = fromTree(tree || { all: [] });
      return node.group ? node : { group: "all", items: [node] };
    }

    function scalar(kind, raw) {
      const text = String(raw).trim();
      if (NUMERIC.has(kind)) {
        const number = text.replace(",", ".");
        // Sent as typed when it is not a number: the API says what is wrong with it.
        return /^-?\d+(\.\d+)?$/.test(number) ? Number(number) : text;
      }
      return text;
    }

    function valueOf(c) {
      const kind = spec(c).kind;
      if (c.nil) return null;
      if (c.op === "in") {
        const parts = Array.isArray(c.raw)
          ? c.raw
          : String(c.raw).split(/[,;]/).map((s) => s.trim()).filter(Boolean);
        return parts.map((p) => scalar(kind, p));
      }
      return scalar(kind, Array.isArray(c.raw) ? (c.raw[0] || "") : c.raw);
    }

    function toTree(node) {
      if (node.group) return { [node.group]: node.items.map(toTree) };
      const out = { field: node.field, op: node.op, value: valueOf(node) };
      if (spec(node).needs_days) out.days = scalar("days", node.days);
      return out;
    }

    function newCondition() {
      const first = data.fields.find((f) => f.name === "days_since_last_order") || data.fields[0];
      return { field: first.name, op: first.ops.includes(">=") ? ">=" : first.ops[0],
        raw: "90", nil: false, days: "" };
    }

    function opLabel(op) {
      return { "!=": "≠", ">=": "≥", "<=": "≤", in: S["dial.op.in"],
        contains: S["dial.op.contains"] }[op] || op;
    }

    function select(options, value, role, label) {
      const node = el("select");
      node.dataset.role = role;
      node.setAttribute("aria-label", label);
      options.forEach(([v, text]) => {
        const option = el("option", "", text);
        option.value = v;
        node.append(option);
      });
      if (value !== undefined && ![...node.options].some((o) => o.value === value)) {
        const option = el("option", "", value);
        option.value = value;
        node.append(option);
      }
      if (value !== undefined) node.value = value;
      return node;
    }

    function valueControl(c) {
      const s = spec(c);
      let control;
      if (isChoice(c)) {
        control = select(CHOICES[s.kind], undefined, "value", S["dial.value"]);
        if (c.op === "in") {
          control.multiple = true;
          control.size = Math.min(6, CHOICES[s.kind].length);
        }
        const wanted = Array.isArray(c.raw) ? c.raw : [c.raw];
        [...control.options].forEach((o) => { o.selected = wanted.includes(o.value); });
        if (c.op !== "in" && !wanted[0] && control.options.length) {
          c.raw = control.options[0].value;
          control.value = c.raw;
        }
        control.addEventListener("change", () => {
          const picked = [...control.selectedOptions].map((o) => o.value);
          c.raw = c.op === "in" ? picked : (picked[0] || "");
          changed();
        });
      } else {
        control = el("input");
        control.type = "text";
        control.dataset.role = "value";
        control.setAttribute("aria-label", S["dial.value"]);
        if (NUMERIC.has(s.kind)) control.inputMode = s.kind === "money" || s.kind === "ratio" ? "decimal" : "numeric";
        if (c.op === "in") control.placeholder = S["dial.in_hint"];
        control.value = Array.isArray(c.raw) ? c.raw.join(", ") : c.raw;
        control.addEventListener("input", () => { c.raw = control.value; changed(); });
      }
      control.disabled = c.nil;
      return control;
    }

    function conditionRow(c, path, parent, index) {
      const s = spec(c);
      const row = el("div", "rule-cond");
      row.dataset.path = path;
      row.dataset.kind = s.kind;
      const field = select(data.fields.map((f) => [f.name, f.label]), c.field, "field", S["dial.field"]);
      field.title = s.hint;
      field.addEventListener("change", () => {
        const before = s.kind;
        c.field = field.value;
        const next = spec(c);
        if (!next.ops.includes(c.op)) c.op = next.ops[0];
        if (next.kind !== before) { c.raw = c.op === "in" && isChoice(c) ? [] : ""; c.nil = false; }
        if (!next.nullable) c.nil = false;
        c.days = next.needs_days ? (c.days || "30") : "";
        render();
      });
      row.append(field);
      if (s.needs_days) {
        const days = el("input");
        days.type = "text";
        days.inputMode = "numeric";
        days.size = 4;
        days.dataset.role = "days";
        days.value = c.days;
        days.setAttribute("aria-label", S["dial.days"]);
        days.addEventListener("input", () => { c.days = days.value; changed(); });
        const label = el("label", "rule-days", S["dial.days"] + " ");
        label.append(days);
        row.append(label);
      }
      const op = select(s.ops.map((o) => [o, opLabel(o)]), c.op, "op", S["dial.op"]);
      op.addEventListener("change", () => {
        const wasIn = c.op === "in";
        c.op = op.value;
        if (wasIn !== (c.op === "in")) {
          const list = Array.isArray(c.raw) ? c.raw : String(c.raw).split(/[,;]/).map((v) => v.trim()).filter(Boolean);
          c.raw = c.op === "in" ? (isChoice(c) ? list : list.join(", ")) : (list[0] || "");
        }
        if (!["=", "!="].includes(c.op)) c.nil = false;
        render();
      });
      row.append(op);
      row.append(valueControl(c));
      if (s.nullable && ["=", "!="].includes(c.op)) {
        const nil = el("input");
        nil.type = "checkbox";
        nil.checked = c.nil;
        nil.dataset.role = "nil";
        nil.addEventListener("change", () => { c.nil = nil.checked; render(); });
        const label = el("label", "rule-nil");
        label.append(nil, " " + S["dial.no_value"]);
        row.append(label);
      }
      const remove = el("button", "rule-remove", "×");
      remove.type = "button";
      remove.title = S["dial.remove"];
      remove.setAttribute("aria-label", S["dial.remove"]);
      remove.addEventListener("click", () => { parent.items.splice(index, 1); render(); });
      row.append(remove);
      const error = el("span", "field-error rule-error");
      error.setAttribute("role", "alert");
      error.hidden = true;
      row.append(error);
      return row;
    }

    function groupBox(g, path, parent, index) {
      const box = el("div", "rule-group");
      box.dataset.path = path;
      const head = el("div", "rule-group-head");
      const kind = select([["all", S["dial.all"]], ["any", S["dial.any"]]], g.group, "group", S["dial.all"]);
      kind.addEventListener("change", () => { g.group = kind.value; render(); });
      head.append(kind);
      if (parent) {
        const remove = el("button", "rule-remove", "×");
        remove.type = "button";
        remove.title = S["dial.remove"];
        remove.setAttribute("aria-label", S["dial.remove"]);
        remove.addEventListener("click", () => { parent.items.splice(index, 1); render(); });
        head.append(remove);
      }
      const error = el("span", "field-error rule-error");
      error.setAttribute("role", "alert");
      error.hidden = true;
      head.append(error);
      box.append(head);
      const list = el("ol", "rule-items");
      g.items.forEach((item, i) => {
        const childPath = `${path ? path + "." : ""}${g.group}.${i}`;
        const li = el("li");
        li.append(item.group ? groupBox(item, childPath, g, i) : conditionRow(item, childPath, g, i));
        list.append(li);
      });
      if (!g.items.length) list.append(el("li", "muted rule-empty", S["dial.empty_group"]));
      box.append(list);
      const foot = el("div", "rule-group-foot");
      const addCondition = el("button", "rule-add", "+ " + S["dial.add_condition"]);
      addCondition.type = "button";
      addCondition.dataset.role = "add-condition";
      addCondition.addEventListener("click", () => {
        g.items.push(newCondition());
        render(`${path ? path + "." : ""}${g.group}.${g.items.length - 1}`, "field");
      });
      const addGroup = el("button", "rule-add", "+ " + S["dial.add_group"]);
      addGroup.type = "button";
      addGroup.dataset.role = "add-group";
      addGroup.addEventListener("click", () => {
        g.items.push({ group: g.group === "all" ? "any" : "all", items: [newCondition()] });
        render(`${path ? path + "." : ""}${g.group}.${g.items.length - 1}`, "group");
      });
      foot.append(addCondition, addGroup);
      box.append(foot);
      return box;
    }

    // Re-draw the tree, keeping the focus on the same control of the same condition.
    function render(focusPath, focusRole) {
      const active = document.activeElement;
      let path = focusPath;
      let role = focusRole;
      if (path === undefined && active && treeBox.contains(active)) {
        const holder = active.closest("[data-path]");
        path = holder ? holder.dataset.path : undefined;
        role = active.dataset.role;
      }
      treeBox.replaceChildren(groupBox(root, "", null, -1));
      if (path !== undefined && role) {
        const holder = treeBox.querySelector(`[data-path="${CSS.escape(path)}"]`);
        const target = holder && holder.querySelector(`[data-role="${role}"]`);
        if (target) target.focus();
      }
      changed();
    }

    function clearTreeErrors() {
      treeBox.querySelectorAll(".rule-error").forEach((n) => { n.hidden = true; n.textContent = ""; });
      treeBox.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
      treeBox.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    }

    function plainWords(reason, name, holder, rest) {
      if (rest === "days") return S["dial.rule_error.days"];
      if (reason === "bad_value") {
        const hint = S[`dial.kind.${holder.dataset.kind}`] || "";
        return fmt("dial.rule_error.bad_value", { hint: hint });
      }
      return fmt(`dial.rule_error.${reason}`, { name: name || "" });
    }

    // A 422 on the tree: next to the condition (or group) its path names, in plain words,
    // with the API's own message under it.
    function showTreeErrors(result) {
      const details = (result.error && result.error.details) || {};
      const fields = details.fields || [];
      const rule = details.rule_error;
      let path = null;
      if (rule) path = rule.path || "";
      else {
        const f = fields.find((x) => x.field === "tree" || String(x.field).startsWith("tree."));
        if (f) path = f.field === "tree" ? "" : f.field.slice(5);
      }
      if (path === null) return false;
      const message = (fields[0] && fields[0].message) || result.message;
      const parts = path ? path.split(".") : [];
      for (let k = parts.length; k >= 0; k--) {
        const holder = treeBox.querySelector(`[data-path="${CSS.escape(parts.slice(0, k).join("."))}"]`);
        if (!holder) continue;
        const rest = parts[k];
        const isGroup = holder.classList.contains("rule-group");
        const error = holder.querySelector(isGroup ? ":scope > .rule-group-head > .rule-error" : ":scope > .rule-error");
        error.replaceChildren(
          document.createTextNode(plainWords(rule ? rule.reason : "bad_value", rule && rule.name, holder, rest)),
          el("small", "muted rule-error-detail", ` (${message})`),
        );
        error.hidden = false;
        holder.classList.add("invalid");
        const control = isGroup
          ? holder.querySelector(':scope > .rule-group-head [data-role="group"]')
          : holder.querySelector(`[data-role="${rest === "days" || rest === "field" || rest === "op" ? rest : "value"}"]`);
        if (control) control.setAttribute("aria-invalid", "true");
        return true;
      }
      return false;
    }

    function changed() {
      state.textContent = "";
      clearTimeout(timer);
      countNode.dataset.state = "loading";
      timer = setTimeout(preview, 350);
    }

    async function preview() {
      const mine = ++seq;
      const body = { tree: toTree(root), limit: 20, sort: sortSelect.value };
      const result = await api("POST", "/api/v1/dial-rules/preview", body);
      if (mine !== seq) return; // a newer edit is on its way
      clearTreeErrors();
      const tbody = table.querySelector("tbody");
      if (!result.ok) {
        countNode.dataset.state = "error";
        countNode.dataset.count = "";
        table.hidden = true;
        tbody.replaceChildren();
        if (result.status === 422 && showTreeErrors(result)) {
          countNode.textContent = S["dial.preview_failed"];
        } else {
          countNode.textContent = fmt("dial.save_failed", { message: result.message });
        }
        return;
      }
      const found = result.data;
      countNode.dataset.state = "ok";
      countNode.dataset.count = String(found.count);
      countNode.textContent = fmt("dial.preview_count", {
        count: found.count.toLocaleString(locale), ms: Math.round(found.took_ms),
      });
      tbody.replaceChildren(...found.items.map((c) => {
        const tr = el("tr");
        const name = el("td");
        const link = el("a", "", c.name);
        link.href = `/customers/${c.id}`;
        name.append(link);
        tr.append(
          name,
          el("td", "", c.phones.map(phoneText).join(", ") || "—"),
          el("td", "", c.city || "—"),
          el("td", "", c.orders_count),
          el("td", "", money(c.total_spent)),
          el("td", "", c.last_order_at ? localTime(c.last_order_at) : "—"),
          el("td", "", c.tags.join(", ") || "—"),
        );
        return tr;
      }));
      table.hidden = !found.items.length;
      if (!found.items.length) countNode.textContent += ` ${S["dial.preview_none"]}`;
    }

    function applyTemplate(key) {
      const template = data.templates.find((t) => t.key === key);
      if (!template) return;
      root = rootFrom(template.tree);
      if (!nameInput.value.trim()) nameInput.value = template.name;
      if (!descInput.value.trim()) descInput.value = template.description;
      templateHint.textContent = template.description;
      render();
    }

    templateSelect.addEventListener("change", () => applyTemplate(templateSelect.value));
    sortSelect.addEventListener("change", changed);

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      clearTreeErrors();
      state.textContent = "";
      const body = { name: nameInput.value, description: descInput.value, tree: toTree(root) };
      const result = ruleId
        ? await api("PATCH", `/api/v1/dial-rules/${ruleId}`, body)
        : await api("POST", "/api/v1/dial-rules", body);
      if (result.ok) {
        ruleId = result.data.id;
        state.textContent = S["dial.saved"];
        title.textContent = `${S["dial.rule"] || ""}: ${result.data.name}`;
        history.replaceState(null, "", `/dial-rules/${ruleId}`);
        buildLink.href = `/dial-lists/new?rule_id=${ruleId}`;
        buildLink.hidden = false;
        savedName = result.data.name;
        deleteButton.hidden = false;
        return;
      }
      const onTree = result.status === 422 && showTreeErrors(result);
      const shown = showFieldErrors(form, result, (f) => f === "tree" || f.startsWith("tree."));
      if (!onTree && !shown) state.textContent = fmt("dial.save_failed", { message: result.message });
    });

    // Deleting a saved rule (lists built from it stay); an error goes to the form's own area.
    const deleteButton = document.getElementById("rule-delete");
    let savedName = data.rule ? data.rule.name : "";
    deleteButton.addEventListener("click", async () => {
      if (!ruleId || !confirm(fmt("dial.confirm_delete_rule", { name: savedName }))) return;
      clearErrors(form);
      deleteButton.disabled = true;
      const result = await api("DELETE", `/api/v1/dial-rules/${ruleId}`);
      if (result.ok) {
        location.href = "/dial-rules";
        return;
      }
      deleteButton.disabled = false;
      putError(form.querySelector('[data-error-for=""]'), fmt("dial.delete_failed", { message: result.message }));
    });

    if (data.rule) root = rootFrom(data.rule.tree);
    else root = { group: "all", items: [] };
    render();
    if (!data.rule && data.template) {
      templateSelect.value = data.template;
      applyTemplate(data.template);
    }
  }

  // --- building a list --------------------------------------------------------------------------

  const buildForm = document.getElementById("build-form");
  if (buildForm) buildList(buildForm);

  function buildList(form) {
    const ruleSelect = form.elements.rule_id;
    const nameInput = form.elements.name;
    const state = document.getElementById("build-state");
    let touched = false;

    function suggestName() {
      if (touched) return;
      const option = ruleSelect.selectedOptions[0];
      const today = new Date().toLocaleDateString(locale);
      nameInput.value = option ? `${option.textContent} · ${today}` : "";
    }

    function number(name) {
      const raw = form.elements[name].value.trim();
      return raw !== "" && !isNaN(Number(raw)) ? Number(raw) : raw;
    }

    nameInput.addEventListener("input", () => { touched = true; });
    ruleSelect.addEventListener("change", suggestName);
    suggestName();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      state.textContent = "";
      const managers = [...form.elements.manager_ids.selectedOptions].map((o) => Number(o.value));
      const body = {
        rule_id: Number(ruleSelect.value),
        name: nameInput.value,
        settings: {
          call_from: form.elements.call_from.value,
          call_until: form.elements.call_until.value,
          default_timezone: form.elements.default_timezone.value.trim(),
          max_attempts: number("max_attempts"),
          retry_delay_minutes: number("retry_delay_minutes"),
          lock_timeout_minutes: number("lock_timeout_minutes"),
          sort: form.elements.sort.value,
          assignment: form.elements.assignment.value,
          exclude_do_not_call: form.elements.exclude_do_not_call.checked,
          exclude_tags: form.elements.exclude_tags.value.split(/[,;]/).map((s) => s.trim()).filter(Boolean),
          skip_called_within_days: number("skip_called_within_days"),
          max_entries: number("max_entries"),
        },
      };
      if (managers.length) body.manager_ids = managers;
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      state.textContent = S["dial.building"];
      const result = await api("POST", "/api/v1/dial-lists", body);
      if (result.ok) {
        location.href = `/dial-lists/${result.data.id}`;
        return;
      }
      button.disabled = false;
      state.textContent = "";
      showFieldErrors(form, result);
    });
  }

  // --- a list's page: rename it, change how it is worked (PATCH), delete it -------------------

  const editForm = document.getElementById("list-edit");
  if (editForm) editList(editForm);

  function editList(form) {
    const base = `/api/v1/dial-lists/${data.list_id}`;
    const state = document.getElementById("list-state");
    const deleteButton = document.getElementById("list-delete");
    const NUMBERS = ["max_attempts", "retry_delay_minutes", "lock_timeout_minutes"];
    const TIMES = ["call_from", "call_until"];
    let name = data.name;

    // Only what changed is sent; an emptied number goes as is, for the API to name it.
    function changes() {
      const body = {};
      const settings = {};
      if (form.elements.name.value !== form.elements.name.defaultValue) body.name = form.elements.name.value;
      TIMES.forEach((key) => {
        const input = form.elements[key];
        if (input.value !== input.defaultValue) settings[key] = input.value;
      });
      NUMBERS.forEach((key) => {
        const input = form.elements[key];
        if (input.value !== input.defaultValue) settings[key] = input.value === "" ? "" : Number(input.value);
      });
      if (Object.keys(settings).length) body.settings = settings;
      return body;
    }

    function showSaved(item) {
      const s = item.settings;
      const hhmm = (value) => String(value).slice(0, 5);
      name = item.name;
      form.elements.name.value = form.elements.name.defaultValue = item.name;
      TIMES.forEach((key) => { form.elements[key].value = form.elements[key].defaultValue = hhmm(s[key]); });
      NUMBERS.forEach((key) => { form.elements[key].value = form.elements[key].defaultValue = String(s[key]); });
      document.getElementById("dial-list-name").textContent = item.name;
      const hours = document.querySelector('[data-setting="hours"]');
      if (hours) hours.textContent = `${hhmm(s.call_from)}–${hhmm(s.call_until)}`;
      NUMBERS.forEach((key) => {
        const node = document.querySelector(`dd[data-setting="${key}"]`);
        if (node) node.textContent = String(s[key]);
      });
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      state.textContent = "";
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      const result = await api("PATCH", base, changes());
      button.disabled = false;
      if (result.ok) {
        showSaved(result.data);
        state.textContent = S["dial.list_saved"];
        return;
      }
      showFieldErrors(form, result);
    });

    deleteButton.addEventListener("click", async () => {
      if (!confirm(fmt("dial.confirm_delete_list", { name: name }))) return;
      clearErrors(form);
      state.textContent = "";
      deleteButton.disabled = true;
      const result = await api("DELETE", base);
      if (result.ok) {
        location.href = "/dial-lists";
        return;
      }
      deleteButton.disabled = false;
      putError(form.querySelector('[data-error-for=""]'), fmt("dial.delete_failed", { message: result.message }));
    });
  }

  // --- a build's progress: poll until it is done, then show the figures -------------------------

  const building = [...document.querySelectorAll('[data-list-id][data-status="building"]')];
  if (building.length) watchBuilds(building);

  function watchBuilds(nodes) {
    async function poll() {
      for (const node of nodes) {
        const result = await api("GET", `/api/v1/dial-lists/${node.dataset.listId}`);
        if (!result.ok) continue;
        const item = result.data;
        if (item.status !== "building") {
          location.reload();
          return;
        }
        const bar = node.querySelector("progress.dial-build-bar");
        const text = node.querySelector('[data-slot="build-text"]');
        if (bar) bar.value = item.progress.percent;
        if (text) {
          text.textContent = fmt("dial.build_progress", {
            percent: item.progress.percent, processed: item.progress.processed,
            matched: item.progress.matched,
          });
        }
      }
      setTimeout(poll, 500);
    }
    setTimeout(poll, 300);
  }

  // --- work this list -----------------------------------------------------------------------------

  const workBox = document.getElementById("work");
  if (workBox) workMode();

  function workMode() {
    const listId = data.list_id;
    const base = `/api/v1/dial-lists/${listId}`;
    const message = document.getElementById("work-message");
    const nextButton = document.getElementById("work-next");
    const callButton = document.getElementById("work-call");
    const releaseButton = document.getElementById("work-release");
    const callState = document.getElementById("work-call-state");
    const cardBox = document.getElementById("work-card");
    const popBox = document.getElementById("work-pop");
    const facts = document.getElementById("work-entry");
    const form = document.getElementById("work-outcome");
    const radios = [...form.querySelectorAll('input[name="outcome"]')];
    const callbackBox = document.getElementById("work-callback");
    const callbackInput = document.getElementById("work-callback-at");
    const orderBox = document.getElementById("work-order");
    const orderSelect = document.getElementById("work-order-id");
    const orderNew = document.getElementById("work-order-new");
    const noteInput = document.getElementById("work-note");
    let current = null; // the EntryCard in hand
    let busy = false;
    let calling = false;
    let saving = false;

    function say(text, kind) {
      message.textContent = text;
      message.dataset.kind = kind || "info";
    }

    function fact(slot, text) {
      const node = facts.querySelector(`[data-slot="${slot}"]`);
      const label = facts.querySelector(`[data-slot="${slot}_label"]`);
      const empty = text === null || text === undefined || text === "";
      node.textContent = empty ? "" : String(text);
      if (label) { label.hidden = empty; node.hidden = empty; }
    }

    function wallClock(naive) {
      // The customer's own wall-clock time, as the API computed it: shown as is.
      const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(naive || "");
      return m ? `${m[4]}:${m[5]} (${m[3]}.${m[2]}.${m[1]})` : (naive || "—");
    }

    // The same card as a screen-pop, built by the workplace's own code (static/app.js).
    function popCard(card) {
      const node = window.CallCentre.buildPop({
        call_id: "",
        direction: "out",
        phone: card.entry.phone,
        route: null,
        customer: card.customer,
        last_order: card.last_order,
      });
      node.classList.add("dial-pop");
      node.dataset.customerId = String(card.customer.id);
      node.querySelector(".pop-close").hidden = true;
      // By phone: it works even for an operator who may not open the customer by id.
      node.querySelector('[data-slot="order_new_link"]').href =
        `/orders/new?phone=${encodeURIComponent(card.entry.phone)}`;
      node.querySelectorAll(".pop-actions a").forEach((a) => {
        a.target = "_blank";
        a.rel = "noopener";
      });
      return node;
    }

    function showEntryFacts(entry, card) {
      fact("phone", phoneText(entry.phone));
      if (card) fact("local_time", wallClock(card.local_time));
      fact("attempts", String(entry.attempts));
      fact("callback_at", entry.callback_at ? localTime(entry.callback_at) : "");
      fact("note", entry.note || "");
      const status = entry.call_status
        ? (S[`call_status.${entry.call_status}`] || entry.call_status) + (entry.call_status_reason ? ` (${entry.call_status_reason})` : "")
        : "";
      fact("call_status", status);
    }

    function resetForm() {
      clearErrors(form);
      radios.forEach((r) => { r.checked = false; });
      callbackInput.value = "";
      noteInput.value = "";
      orderSelect.replaceChildren(orderSelect.options[0]);
      callbackBox.hidden = true;
      orderBox.hidden = true;
    }

    function show(card) {
      current = card;
      popBox.replaceChildren(popCard(card));
      showEntryFacts(card.entry, card);
      cardBox.hidden = false;
      form.hidden = false;
      resetForm();
      orderNew.href = `/orders/new?phone=${encodeURIComponent(card.entry.phone)}`;
      callButton.disabled = false;
      releaseButton.disabled = false;
      callState.textContent = "";
      callState.dataset.kind = "";
      workBox.dataset.entryId = String(card.entry.id);
    }

    function clear() {
      current = null;
      popBox.replaceChildren();
      cardBox.hidden = true;
      form.hidden = true;
      callButton.disabled = true;
      releaseButton.disabled = true;
      callState.textContent = "";
      delete workBox.dataset.entryId;
    }

    function whenText(iso) {
      return iso ? localTime(iso) : "—";
    }

    function reasonText(body) {
      const name = body.card ? body.card.customer.name : "";
      const key = `dial.reason.${body.reason}`;
      return fmt(key, { name: name, at: whenText(body.next_at) });
    }

    async function next() {
      if (busy) return;
      if (current) {
        say(fmt("dial.reason.held", { name: current.customer.name, at: "" }), "warn");
        return;
      }
      busy = true;
      say(S["dial.taking"]);
      const result = await api("POST", `${base}/next`);
      busy = false;
      if (!result.ok) {
        say(fmt("dial.take_failed", { message: result.message }), "error");
        return;
      }
      const body = result.data;
      if (!body.card) {
        clear();
        say(reasonText(body), body.reason === "list_done" ? "done" : "warn");
        return;
      }
      show(body.card);
      say(reasonText(body), body.reason === "callback_due" ? "warn" : "info");
    }

    async function call() {
      if (!current || calling) return;
      const entry = current.entry;
      const phone = phoneText(entry.phone);
      calling = true;
      callButton.disabled = true;
      callState.dataset.kind = "info";
      callState.textContent = fmt("call.placing", { phone: phone });
      const result = await api("POST", `${base}/entries/${entry.id}/call`);
      calling = false;
      if (result.ok) {
        callState.dataset.kind = "ok";
        callState.textContent = fmt("call.connected", { phone: phone });
        if (current && current.entry.id === entry.id) {
          current.entry = result.data.entry;
          showEntryFacts(current.entry, null);
        }
      } else {
        callState.dataset.kind = "error";
        callState.textContent = fmt("call.failed", { message: result.message });
        if (result.error && result.error.code === "entry_not_held") {
          clear();
          say(fmt("dial.outcome_failed", { message: result.message }), "error");
        }
      }
      callButton.disabled = !current;
    }

    async function loadOrders(preselect) {
      if (!current) return;
      const customerId = current.customer.id;
      const result = await api("GET", `/api/v1/orders?customer_id=${customerId}&limit=20`);
      if (!result.ok || !current || current.customer.id !== customerId) return;
      const keep = orderSelect.value;
      const none = orderSelect.options[0];
      const options = result.data.items.map((o) => {
        const option = el("option", "", `№ ${o.number} · ${localTime(o.created_at)} · ${money(o.total)} · ${S[`order_status.${o.status}`] || o.status}`);
        option.value = String(o.id);
        option.dataset.created = o.created_at;
        return option;
      });
      orderSelect.replaceChildren(none, ...options);
      const since = current.entry.locked_at ? utcDate(current.entry.locked_at) : null;
      if (keep && options.some((o) => o.value === keep)) orderSelect.value = keep;
      else if (preselect && since && options.length && utcDate(options[0].dataset.created) >= since) {
        orderSelect.value = options[0].value; // the order just taken
      }
      if (!options.length) orderSelect.options[0].textContent = S["dial.no_orders"];
      else orderSelect.options[0].textContent = S["dial.order_pick"];
    }

    function chosen() {
      const radio = radios.find((r) => r.checked);
      return radio ? radio.value : null;
    }

    function onOutcome(focusDetail) {
      const outcome = chosen();
      callbackBox.hidden = outcome !== "callback";
      orderBox.hidden = outcome !== "ordered";
      if (outcome === "callback") {
        if (!callbackInput.value) {
          const soon = new Date(Date.now() + 60 * 60 * 1000);
          soon.setMinutes(0, 0, 0);
          const pad = (n) => String(n).padStart(2, "0");
          callbackInput.value = `${soon.getFullYear()}-${pad(soon.getMonth() + 1)}-${pad(soon.getDate())}T${pad(soon.getHours())}:00`;
        }
        if (focusDetail) callbackInput.focus();
      } else if (outcome === "ordered") {
        loadOrders(true);
      }
    }

    function pick(n) {
      const radio = radios[n - 1];
      if (!radio || !current) return;
      radio.checked = true;
      onOutcome(true);
    }

    async function save() {
      if (!current || saving) return;
      clearErrors(form);
      const outcome = chosen();
      if (!outcome) {
        putError(form.querySelector('[data-error-for="outcome"]'), S["dial.pick_outcome"]);
        return;
      }
      const body = { outcome: outcome, note: noteInput.value };
      if (outcome === "callback") {
        const at = new Date(callbackInput.value);
        if (!callbackInput.value || isNaN(at)) {
          putError(form.querySelector('[data-error-for="callback_at"]'), S["dial.callback_needed"]);
          callbackInput.setAttribute("aria-invalid", "true");
          callbackInput.focus();
          return;
        }
        body.callback_at = at.toISOString();
      }
      if (outcome === "ordered" && orderSelect.value) body.order_id = Number(orderSelect.value);
      const entry = current.entry;
      saving = true;
      const result = await api("POST", `${base}/entries/${entry.id}/outcome`, body);
      saving = false;
      if (result.ok) {
        const name = current.customer.name;
        clear();
        say(fmt("dial.outcome_saved", { name: name, outcome: S[`dial.outcome.${outcome}`] || outcome }), "ok");
        nextButton.focus();
        refreshProgress();
        return;
      }
      if (result.error && result.error.code === "entry_not_held") {
        clear();
        say(fmt("dial.outcome_failed", { message: result.message }), "error");
        return;
      }
      showFieldErrors(form, result);
    }

    function setBar(holder, done, left) {
      const bar = holder.querySelector("progress");
      const text = holder.querySelector(".dial-progress-text");
      if (!bar || !text) return;
      bar.max = done + left || 1;
      bar.value = done;
      text.textContent = fmt("dial.done_of", { done: done, total: done + left });
    }

    async function refreshProgress() {
      const result = await api("GET", base);
      if (!result.ok) return;
      const item = result.data;
      setBar(document.getElementById("work-progress-list"), item.counts.done, item.counts.remaining);
      const mine = item.managers.find((m) => m.manager_id === page.me);
      if (mine) setBar(document.getElementById("work-progress-mine"), mine.done, mine.remaining);
    }

    async function release() {
      if (!current) return;
      const result = await api("POST", `${base}/entries/${current.entry.id}/release`);
      if (!result.ok) {
        say(fmt("dial.outcome_failed", { message: result.message }), "error");
        return;
      }
      clear();
      say(S["dial.released"]);
      refreshProgress();
    }

    nextButton.addEventListener("click", next);
    callButton.addEventListener("click", call);
    releaseButton.addEventListener("click", release);
    radios.forEach((r) => r.addEventListener("change", () => onOutcome(false)));
    document.getElementById("work-order-reload").addEventListener("click", () => loadOrders(true));
    window.addEventListener("focus", () => { if (chosen() === "ordered") loadOrders(true); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      save();
    });

    const TEXT_INPUTS = new Set(["radio", "checkbox", "button", "submit", "reset"]);

    // N next, C call, 1-8 an outcome, Enter save; never while typing into a field.
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      const target = event.target;
      const tag = target.tagName;
      const textInput = tag === "INPUT" && !TEXT_INPUTS.has(target.type);
      const typing = textInput || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
      if (event.key === "Enter") {
        // A text field submits its form by itself; a link opens; a textarea takes a new line.
        if (textInput || tag === "TEXTAREA" || tag === "A" || !current) return;
        if (target.closest && target.closest(".pops")) return;
        event.preventDefault();
        save();
        return;
      }
      if (typing || event.repeat) return;
      const digit = /^(?:Digit|Numpad)([1-8])$/.exec(event.code);
      if (event.code === "KeyN") {
        event.preventDefault();
        next();
      } else if (event.code === "KeyC") {
        event.preventDefault();
        call();
      } else if (digit && current) {
        event.preventDefault();
        pick(Number(digit[1]));
      }
    });

    if (data.held) {
      (async () => {
        const result = await api("GET", `${base}/entries/${data.held}`);
        if (result.ok && result.data.entry.state === "in_progress") {
          show(result.data);
          say(fmt("dial.reason.held", { name: result.data.customer.name, at: "" }), "warn");
        }
      })();
    }
  }
}());
