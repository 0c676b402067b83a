// The rule builder's drawing (dial_rules.js): nested groups ("all" / "any") of conditions
// (field, days, operator, value, "no value"), each control with a data-role and each row with
// the data-path the API's errors name ("all.1.any.0"). ``on.render(path, role)`` re-draws the
// tree after a change of shape, ``on.changed()`` after a change of a value.
import { el, strings } from "./ui.js";
import { isNumeric, newCondition, setField, setOp } from "./dial_rule_tree.js";

function opLabel(op) {
  const S = strings();
  return { "!=": "≠", ">=": "≥", "<=": "≤", in: S["dial.op.in"], contains: S["dial.op.contains"] }[op] || op;
}

// A <select> of [value, label] pairs; a value it does not offer is added as it is.
function select(options, value, role, label) {
  const node = el("select");
  node.dataset.role = role;
  node.setAttribute("aria-label", label);
  const add = (v, text) => {
    const option = el("option", "", text);
    option.value = v;
    node.append(option);
  };
  options.forEach(([v, text]) => add(v, text));
  if (value !== undefined && ![...node.options].some((o) => o.value === value)) add(value, value);
  if (value !== undefined) node.value = value;
  return node;
}

function textInput(role, label, value) {
  const input = el("input");
  input.type = "text";
  input.dataset.role = role;
  input.setAttribute("aria-label", label);
  input.value = value;
  return input;
}

function removeButton(onClick) {
  const S = strings();
  const remove = el("button", "rule-remove", "×");
  remove.type = "button";
  remove.title = S["dial.remove"];
  remove.setAttribute("aria-label", S["dial.remove"]);
  remove.addEventListener("click", onClick);
  return remove;
}

function errorSlot() {
  const error = el("span", "field-error rule-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  return error;
}

// --- a condition --------------------------------------------------------------------------------

function choiceControl(ctx, c) {
  const choices = ctx.schema.choicesOf(c);
  const control = select(choices, undefined, "value", strings()["dial.value"]);
  if (c.op === "in") {
    control.multiple = true;
    control.size = Math.min(6, choices.length);
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
    ctx.on.changed();
  });
  return control;
}

function typedControl(ctx, c) {
  const S = strings();
  const kind = ctx.schema.spec(c).kind;
  const control = textInput("value", S["dial.value"], Array.isArray(c.raw) ? c.raw.join(", ") : c.raw);
  if (isNumeric(kind)) control.inputMode = kind === "money" || kind === "ratio" ? "decimal" : "numeric";
  if (c.op === "in") control.placeholder = S["dial.in_hint"];
  control.addEventListener("input", () => { c.raw = control.value; ctx.on.changed(); });
  return control;
}

function valueControl(ctx, c) {
  const control = ctx.schema.isChoice(c) ? choiceControl(ctx, c) : typedControl(ctx, c);
  control.disabled = c.nil;
  return control;
}

function fieldSelect(ctx, c) {
  const field = select(ctx.schema.list.map((f) => [f.name, f.label]), c.field, "field", strings()["dial.field"]);
  field.title = ctx.schema.spec(c).hint;
  field.addEventListener("change", () => {
    setField(ctx.schema, c, field.value);
    ctx.on.render();
  });
  return field;
}

function daysLabel(ctx, c) {
  const text = strings()["dial.days"];
  const days = textInput("days", text, c.days);
  days.inputMode = "numeric";
  days.size = 4;
  days.addEventListener("input", () => { c.days = days.value; ctx.on.changed(); });
  const label = el("label", "rule-days", `${text} `);
  label.append(days);
  return label;
}

function opSelect(ctx, c) {
  const ops = ctx.schema.spec(c).ops.map((o) => [o, opLabel(o)]);
  const op = select(ops, c.op, "op", strings()["dial.op"]);
  op.addEventListener("change", () => {
    setOp(ctx.schema, c, op.value);
    ctx.on.render();
  });
  return op;
}

function nilLabel(ctx, c) {
  const nil = el("input");
  nil.type = "checkbox";
  nil.checked = c.nil;
  nil.dataset.role = "nil";
  nil.addEventListener("change", () => { c.nil = nil.checked; ctx.on.render(); });
  const label = el("label", "rule-nil");
  label.append(nil, ` ${strings()["dial.no_value"]}`);
  return label;
}

function conditionRow(ctx, c, path, parent, index) {
  const s = ctx.schema.spec(c);
  const row = el("div", "rule-cond");
  row.dataset.path = path;
  row.dataset.kind = s.kind;
  row.append(fieldSelect(ctx, c));
  if (s.needs_days) row.append(daysLabel(ctx, c));
  row.append(opSelect(ctx, c), valueControl(ctx, c));
  if (s.nullable && ["=", "!="].includes(c.op)) row.append(nilLabel(ctx, c));
  row.append(removeButton(() => { parent.items.splice(index, 1); ctx.on.render(); }), errorSlot());
  return row;
}

// --- a group ------------------------------------------------------------------------------------

function childPath(path, g, i) {
  return `${path ? path + "." : ""}${g.group}.${i}`;
}

function groupHead(ctx, g, parent, index) {
  const S = strings();
  const head = el("div", "rule-group-head");
  const kind = select([["all", S["dial.all"]], ["any", S["dial.any"]]], g.group, "group", S["dial.all"]);
  kind.addEventListener("change", () => { g.group = kind.value; ctx.on.render(); });
  head.append(kind);
  if (parent) head.append(removeButton(() => { parent.items.splice(index, 1); ctx.on.render(); }));
  head.append(errorSlot());
  return head;
}

function groupItems(ctx, g, path) {
  const list = el("ol", "rule-items");
  g.items.forEach((item, i) => {
    const li = el("li");
    const at = childPath(path, g, i);
    li.append(item.group ? groupBox(ctx, item, at, g, i) : conditionRow(ctx, item, at, g, i));
    list.append(li);
  });
  if (!g.items.length) list.append(el("li", "muted rule-empty", strings()["dial.empty_group"]));
  return list;
}

function addButton(text, role, onClick) {
  const button = el("button", "rule-add", `+ ${text}`);
  button.type = "button";
  button.dataset.role = role;
  button.addEventListener("click", onClick);
  return button;
}

function groupFoot(ctx, g, path) {
  const S = strings();
  const foot = el("div", "rule-group-foot");
  const addCondition = addButton(S["dial.add_condition"], "add-condition", () => {
    g.items.push(newCondition(ctx.schema));
    ctx.on.render(childPath(path, g, g.items.length - 1), "field");
  });
  const addGroup = addButton(S["dial.add_group"], "add-group", () => {
    g.items.push({ group: g.group === "all" ? "any" : "all", items: [newCondition(ctx.schema)] });
    ctx.on.render(childPath(path, g, g.items.length - 1), "group");
  });
  foot.append(addCondition, addGroup);
  return foot;
}

function groupBox(ctx, g, path, parent, index) {
  const box = el("div", "rule-group");
  box.dataset.path = path;
  box.append(groupHead(ctx, g, parent, index), groupItems(ctx, g, path), groupFoot(ctx, g, path));
  return box;
}

// Re-draw the tree into ``box``, keeping the focus on the same control of the same condition
// (or moving it to ``focusPath``'s ``focusRole``).
export function drawTree(box, root, ctx, focusPath, focusRole) {
  const active = document.activeElement;
  let path = focusPath;
  let role = focusRole;
  if (path === undefined && active && box.contains(active)) {
    const holder = active.closest("[data-path]");
    path = holder ? holder.dataset.path : undefined;
    role = active.dataset.role;
  }
  box.replaceChildren(groupBox(ctx, root, "", null, -1));
  if (path !== undefined && role) {
    const holder = box.querySelector(`[data-path="${CSS.escape(path)}"]`);
    const target = holder && holder.querySelector(`[data-role="${role}"]`);
    if (target) target.focus();
  }
}
