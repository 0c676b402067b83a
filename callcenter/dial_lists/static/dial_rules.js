// The rule builder (dial_rule.html): a tree of conditions (dial_rule_tree.js, drawn by
// dial_rule_view.js) with a live preview of who matches, templates to start from, saving
// (POST or PATCH) and deleting. A 422 on the tree is shown at its condition (dial_rule_errors.js).
import {
  api, byId as $, clearErrors, el, fmt, localTime, locale, money, phone, putError, readJson,
  showFieldErrors, strings,
} from "./ui.js";
import { Schema, rootFrom, toTree } from "./dial_rule_tree.js";
import { drawTree } from "./dial_rule_view.js";
import { clearTreeErrors, showTreeErrors } from "./dial_rule_errors.js";

const data = readJson("dial-data") || {};
strings(data.strings);
const rule = {
  schema: null,
  root: { group: "all", items: [] },
  id: data.rule ? data.rule.id : null,
  savedName: data.rule ? data.rule.name : "",
  timer: null,
  seq: 0, // the latest preview asked for
};
const onTree = {
  render(focusPath, focusRole) {
    drawTree($("rule-tree"), rule.root, { schema: rule.schema, on: onTree }, focusPath, focusRole);
    onTree.changed();
  },
  changed() {
    $("rule-state").textContent = "";
    clearTimeout(rule.timer);
    $("preview-count").dataset.state = "loading";
    rule.timer = setTimeout(preview, 350);
  },
};

// --- the preview ------------------------------------------------------------------------------

function previewRow(c) {
  const link = el("a", "", c.name);
  link.href = `/customers/${c.id}`;
  const name = el("td");
  name.append(link);
  const tr = el("tr");
  tr.append(
    name,
    el("td", "", c.phones.map(phone).join(", ") || "—"),
    el("td", "", c.city || "—"),
    el("td", "", c.orders_count),
    el("td", "", money(c.total_spent)),
    el("td", "", localTime(c.last_order_at)),
    el("td", "", c.tags.join(", ") || "—"),
  );
  return tr;
}

function showPreview(found) {
  const count = $("preview-count");
  const table = $("preview-table");
  count.dataset.state = "ok";
  count.dataset.count = String(found.count);
  count.textContent = fmt("dial.preview_count", {
    count: found.count.toLocaleString(locale()), ms: Math.round(found.took_ms),
  });
  table.querySelector("tbody").replaceChildren(...found.items.map(previewRow));
  table.hidden = !found.items.length;
  if (!found.items.length) count.textContent += ` ${strings()["dial.preview_none"]}`;
}

function previewFailed(error) {
  const count = $("preview-count");
  const table = $("preview-table");
  count.dataset.state = "error";
  count.dataset.count = "";
  table.hidden = true;
  table.querySelector("tbody").replaceChildren();
  if (error.status === 422 && showTreeErrors($("rule-tree"), error)) {
    count.textContent = strings()["dial.preview_failed"];
  } else {
    count.textContent = fmt("dial.save_failed", { message: error.message });
  }
}

async function preview() {
  const mine = ++rule.seq;
  const body = { tree: toTree(rule.schema, rule.root), limit: 20, sort: $("preview-sort").value };
  let found = null;
  let failure = null;
  try {
    found = await api("POST", "/api/v1/dial-rules/preview", body);
  } catch (error) {
    failure = error;
  }
  if (mine !== rule.seq) return; // a newer edit is on its way
  clearTreeErrors($("rule-tree"));
  if (failure) previewFailed(failure);
  else showPreview(found);
}

// --- templates, saving, deleting ----------------------------------------------------------------

function applyTemplate(key) {
  const template = data.templates.find((t) => t.key === key);
  if (!template) return;
  rule.root = rootFrom(rule.schema, template.tree);
  if (!$("rule-name").value.trim()) $("rule-name").value = template.name;
  if (!$("rule-description").value.trim()) $("rule-description").value = template.description;
  $("rule-template-hint").textContent = template.description;
  onTree.render();
}

function showSaved(saved) {
  rule.id = saved.id;
  rule.savedName = saved.name;
  $("rule-state").textContent = strings()["dial.saved"];
  $("rule-title").textContent = `${strings()["dial.rule"] || ""}: ${saved.name}`;
  history.replaceState(null, "", `/dial-rules/${rule.id}`);
  $("rule-build").href = `/dial-lists/new?rule_id=${rule.id}`;
  $("rule-build").hidden = false;
  $("rule-delete").hidden = false;
}

async function save(form) {
  clearErrors(form);
  clearTreeErrors($("rule-tree"));
  $("rule-state").textContent = "";
  const body = {
    name: $("rule-name").value, description: $("rule-description").value, tree: toTree(rule.schema, rule.root),
  };
  try {
    showSaved(rule.id
      ? await api("PATCH", `/api/v1/dial-rules/${rule.id}`, body)
      : await api("POST", "/api/v1/dial-rules", body));
  } catch (error) {
    const onTreeShown = error.status === 422 && showTreeErrors($("rule-tree"), error);
    const shown = showFieldErrors(form, error, (f) => f === "tree" || f.startsWith("tree."));
    if (!onTreeShown && !shown) $("rule-state").textContent = fmt("dial.save_failed", { message: error.message });
  }
}

// Deleting a saved rule (lists built from it stay); an error goes to the form's own area.
async function remove(form, button) {
  if (!rule.id || !confirm(fmt("dial.confirm_delete_rule", { name: rule.savedName }))) return;
  clearErrors(form);
  button.disabled = true;
  try {
    await api("DELETE", `/api/v1/dial-rules/${rule.id}`);
    location.href = "/dial-rules";
  } catch (error) {
    button.disabled = false;
    putError(form.querySelector('[data-error-for=""]'), fmt("dial.delete_failed", { message: error.message }));
  }
}

function start() {
  const form = $("rule-form");
  rule.schema = new Schema(data);
  $("rule-template").addEventListener("change", () => applyTemplate($("rule-template").value));
  $("preview-sort").addEventListener("change", onTree.changed);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(form);
  });
  $("rule-delete").addEventListener("click", () => remove(form, $("rule-delete")));
  if (data.rule) rule.root = rootFrom(rule.schema, data.rule.tree);
  onTree.render();
  if (!data.rule && data.template) {
    $("rule-template").value = data.template;
    applyTemplate(data.template);
  }
}

if ($("rule-tree")) start();
