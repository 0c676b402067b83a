// The admin's routing settings page: PUT /api/v1/settings/routing with the page's CSRF token;
// a 422 shows its message next to the field it names (e.g. "vip_group.0", "ring_at_once").
"use strict";

(function () {
  const form = document.getElementById("routing-form");
  if (!form || form.dataset.editable !== "true") return;
  const S = JSON.parse(document.getElementById("routing-strings").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const state = document.getElementById("routing-state");
  const groups = ["default_group", "vip_group", "bad_group"];
  const numbers = ["ring_at_once", "regular_after_orders", "callback_deadline_minutes"];

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach((node) => {
      node.hidden = true;
      node.textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    state.textContent = "";
    const body = {};
    groups.forEach((name) => {
      body[name] = Array.from(form.elements[name].selectedOptions, (o) => Number(o.value));
    });
    numbers.forEach((name) => {
      const raw = form.elements[name].value.trim();
      // Sent as typed (a number when it is one): the API says what is wrong with it.
      body[name] = raw !== "" && !isNaN(Number(raw)) ? Number(raw) : raw;
    });
    const response = await fetch("/api/v1/settings/routing", {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok) {
      state.textContent = S.saved;
      return;
    }
    const fields = (data.error && data.error.details && data.error.details.fields) || [];
    let shown = false;
    fields.forEach((f) => {
      const name = String(f.field).split(".").find((part) => part in body);
      const node = name && form.querySelector(`[data-error-for="${name}"]`);
      if (!node) return;
      node.textContent = node.textContent ? `${node.textContent}; ${f.message}` : f.message;
      node.hidden = false;
      form.elements[name].setAttribute("aria-invalid", "true");
      shown = true;
    });
    if (!shown) {
      state.textContent = `${S.failed}: ${(data.error && data.error.message) || response.status}`;
    }
  });
})();
