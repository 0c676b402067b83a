// The admin's routing settings page (admin_routing.html): PUT /api/v1/settings/routing, and the
// shop's working hours, PUT /api/v1/settings/hours; a 422 shows its message next to the field
// it names (e.g. "vip_group.0", "ring_at_once", "mon.close").
import { api, clearErrors, readJson, showFieldErrors, typed } from "./ui.js";

const GROUPS = ["default_group", "vip_group", "bad_group"];
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const NUMBERS = ["ring_at_once", "regular_after_orders", "callback_deadline_minutes"];

function settingsOf(form) {
  const body = {};
  GROUPS.forEach((name) => {
    body[name] = Array.from(form.elements[name].selectedOptions, (o) => Number(o.value));
  });
  NUMBERS.forEach((name) => { body[name] = typed(form.elements[name].value); });
  return body;
}

// A day the shop works is {open, close} ("00:00" closing is midnight); a day off is null.
function hoursOf(form) {
  const body = {};
  WEEKDAYS.forEach((day) => {
    body[day] = form.elements[day].checked
      ? { open: form.elements[`${day}.open`].value, close: form.elements[`${day}.close`].value }
      : null;
  });
  return body;
}

async function save(form, S, url, body, state) {
  clearErrors(form);
  state.textContent = "";
  try {
    await api("PUT", url, body);
  } catch (error) {
    if (!showFieldErrors(form, error)) state.textContent = `${S.failed}: ${error.message}`;
    return;
  }
  state.textContent = S.saved;
}

const S = readJson("routing-strings");
const form = document.getElementById("routing-form");
if (form && form.dataset.editable === "true") {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(form, S, "/api/v1/settings/routing", settingsOf(form), document.getElementById("routing-state"));
  });
}

const hours = document.getElementById("hours-form");
if (hours && hours.dataset.editable === "true") {
  // A day off has no times to edit.
  hours.addEventListener("change", (event) => {
    if (!WEEKDAYS.includes(event.target.name)) return;
    const day = event.target.name;
    hours.elements[`${day}.open`].disabled = !event.target.checked;
    hours.elements[`${day}.close`].disabled = !event.target.checked;
  });
  hours.addEventListener("submit", (event) => {
    event.preventDefault();
    save(hours, S, "/api/v1/settings/hours", hoursOf(hours), document.getElementById("hours-state"));
  });
}
