// The admin's routing settings page (admin_routing.html): PUT /api/v1/settings/routing; a 422
// shows its message next to the field it names (e.g. "vip_group.0", "ring_at_once").
import { api, clearErrors, readJson, showFieldErrors, typed } from "./ui.js";

const GROUPS = ["default_group", "vip_group", "bad_group"];
const NUMBERS = ["ring_at_once", "regular_after_orders", "callback_deadline_minutes"];

function settingsOf(form) {
  const body = {};
  GROUPS.forEach((name) => {
    body[name] = Array.from(form.elements[name].selectedOptions, (o) => Number(o.value));
  });
  NUMBERS.forEach((name) => { body[name] = typed(form.elements[name].value); });
  return body;
}

async function save(form, S) {
  const state = document.getElementById("routing-state");
  clearErrors(form);
  state.textContent = "";
  try {
    await api("PUT", "/api/v1/settings/routing", settingsOf(form));
  } catch (error) {
    if (!showFieldErrors(form, error)) state.textContent = `${S.failed}: ${error.message}`;
    return;
  }
  state.textContent = S.saved;
}

const form = document.getElementById("routing-form");
if (form && form.dataset.editable === "true") {
  const S = readJson("routing-strings");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(form, S);
  });
}
