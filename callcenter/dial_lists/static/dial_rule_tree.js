// The rule builder's model (dial_rules.js): the API's rule tree ({"all": [...]}, {"any": [...]},
// {field, op, value, days}) as editable groups and conditions, and back. A condition keeps what
// was typed (``raw``) so a half-typed value survives a re-draw.
import { splitList } from "./ui.js";

const NUMERIC = new Set(["count", "days", "manager", "money", "ratio"]);

export function isNumeric(kind) {
  return NUMERIC.has(kind);
}

// What the page says about the fields (dial-data): their kinds, operators and choices.
export class Schema {
  constructor(data) {
    this.list = data.fields;
    this.fields = new Map(data.fields.map((f) => [f.name, f]));
    this.choices = {
      status: data.statuses,
      manager: data.managers.map(([id, name]) => [String(id), name]),
    };
  }

  spec(c) {
    return this.fields.get(c.field) || { name: c.field, kind: "text", ops: [c.op], nullable: false,
      needs_days: false, label: c.field, hint: "" };
  }

  // The [value, label] pairs of a condition picked from a list, or undefined.
  choicesOf(c) {
    return this.choices[this.spec(c).kind];
  }

  isChoice(c) {
    return this.spec(c).kind in this.choices;
  }
}

function fromTree(schema, node) {
  if (node && Array.isArray(node.all)) return { group: "all", items: node.all.map((n) => fromTree(schema, n)) };
  if (node && Array.isArray(node.any)) return { group: "any", items: node.any.map((n) => fromTree(schema, n)) };
  const c = { field: node.field, op: node.op, nil: false, raw: "",
    days: node.days == null ? "" : String(node.days) };
  if (node.value === null) c.nil = true;
  else if (Array.isArray(node.value)) {
    c.raw = schema.isChoice(c) ? node.value.map(String) : node.value.join(", ");
  } else c.raw = String(node.value);
  return c;
}

// The editable root group of an API tree (a lone condition gets an "all" group around it).
export function rootFrom(schema, tree) {
  const node = fromTree(schema, tree || { all: [] });
  return node.group ? node : { group: "all", items: [node] };
}

function scalar(kind, raw) {
  const text = String(raw).trim();
  if (isNumeric(kind)) {
    const number = text.replace(",", ".");
    // Sent as typed when it is not a number: the API says what is wrong with it.
    return /^-?\d+(\.\d+)?$/.test(number) ? Number(number) : text;
  }
  return text;
}

function listOf(raw) {
  return Array.isArray(raw) ? raw : splitList(raw);
}

function valueOf(schema, c) {
  const kind = schema.spec(c).kind;
  if (c.nil) return null;
  if (c.op === "in") return listOf(c.raw).map((p) => scalar(kind, p));
  return scalar(kind, Array.isArray(c.raw) ? (c.raw[0] || "") : c.raw);
}

// The API's tree of an editable group or condition.
export function toTree(schema, node) {
  if (node.group) return { [node.group]: node.items.map((n) => toTree(schema, n)) };
  const out = { field: node.field, op: node.op, value: valueOf(schema, node) };
  if (schema.spec(node).needs_days) out.days = scalar("days", node.days);
  return out;
}

export function newCondition(schema) {
  const first = schema.list.find((f) => f.name === "days_since_last_order") || schema.list[0];
  return { field: first.name, op: first.ops.includes(">=") ? ">=" : first.ops[0],
    raw: "90", nil: false, days: "" };
}

// Another field: an operator it has, a value of its kind, days when it needs them.
export function setField(schema, c, name) {
  const before = schema.spec(c).kind;
  c.field = name;
  const next = schema.spec(c);
  if (!next.ops.includes(c.op)) c.op = next.ops[0];
  if (next.kind !== before) {
    c.raw = c.op === "in" && schema.isChoice(c) ? [] : "";
    c.nil = false;
  }
  if (!next.nullable) c.nil = false;
  c.days = next.needs_days ? (c.days || "30") : "";
}

// Another operator: to and from "in" the value becomes a list, or its first item.
export function setOp(schema, c, op) {
  const wasIn = c.op === "in";
  c.op = op;
  if (wasIn !== (c.op === "in")) {
    const list = listOf(c.raw);
    c.raw = c.op === "in" ? (schema.isChoice(c) ? list : list.join(", ")) : (list[0] || "");
  }
  if (!["=", "!="].includes(c.op)) c.nil = false;
}
