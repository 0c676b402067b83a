// A 422 on a rule's tree, shown next to the condition (or group) its path names
// (details.rule_error.path, or a "tree.…" field), in plain words with the API's own message.
import { el, fmt, strings } from "./ui.js";

export function clearTreeErrors(box) {
  box.querySelectorAll(".rule-error").forEach((n) => { n.hidden = true; n.textContent = ""; });
  box.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  box.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
}

function plainWords(reason, name, holder, rest) {
  if (rest === "days") return strings()["dial.rule_error.days"];
  if (reason === "bad_value") {
    const hint = strings()[`dial.kind.${holder.dataset.kind}`] || "";
    return fmt("dial.rule_error.bad_value", { hint: hint });
  }
  return fmt(`dial.rule_error.${reason}`, { name: name || "" });
}

// The tree path the error is about ("" for the root), or null when it is not about the tree.
function errorPath(details) {
  if (details.rule_error) return details.rule_error.path || "";
  const fields = details.fields || [];
  const f = fields.find((x) => x.field === "tree" || String(x.field).startsWith("tree."));
  if (!f) return null;
  return f.field === "tree" ? "" : f.field.slice(5);
}

function mark(holder, rest, words, message) {
  const isGroup = holder.classList.contains("rule-group");
  const error = holder.querySelector(isGroup ? ":scope > .rule-group-head > .rule-error" : ":scope > .rule-error");
  error.replaceChildren(document.createTextNode(words), el("small", "muted rule-error-detail", ` (${message})`));
  error.hidden = false;
  holder.classList.add("invalid");
  const role = rest === "days" || rest === "field" || rest === "op" ? rest : "value";
  const control = isGroup
    ? holder.querySelector(':scope > .rule-group-head [data-role="group"]')
    : holder.querySelector(`[data-role="${role}"]`);
  if (control) control.setAttribute("aria-invalid", "true");
}

// True when the error was shown on the tree (the nearest row or group its path names).
export function showTreeErrors(box, error) {
  const details = error.details || {};
  const path = errorPath(details);
  if (path === null) return false;
  const rule = details.rule_error;
  const fields = details.fields || [];
  const message = (fields[0] && fields[0].message) || error.message;
  const parts = path ? path.split(".") : [];
  for (let k = parts.length; k >= 0; k--) {
    const holder = box.querySelector(`[data-path="${CSS.escape(parts.slice(0, k).join("."))}"]`);
    if (!holder) continue;
    const rest = parts[k];
    mark(holder, rest, plainWords(rule ? rule.reason : "bad_value", rule && rule.name, holder, rest), message);
    return true;
  }
  return false;
}
