// The admin's lines page (admin_lines.html): POST/PUT/DELETE /api/v1/lines; a 422 shows its
// message next to the field it names ("number", "group.0"); a 409 (the number is taken) under
// the form.
import { api, clearErrors, readJson, showFieldErrors } from "./ui.js";

function lineOf(form) {
  const source = form.elements.source.value.trim();
  return {
    number: form.elements.number.value,
    name: form.elements.name.value,
    source: source || null,
    group: Array.from(form.elements.group.selectedOptions, (o) => Number(o.value)),
  };
}

async function save(form, S) {
  const state = form.querySelector(".line-state");
  const id = form.dataset.lineId;
  clearErrors(form);
  state.textContent = "";
  try {
    await api(id ? "PUT" : "POST", id ? `/api/v1/lines/${id}` : "/api/v1/lines", lineOf(form));
  } catch (error) {
    if (!showFieldErrors(form, error)) state.textContent = `${S.failed}: ${error.message}`;
    return;
  }
  window.location.reload();
}

async function remove(form, S) {
  const state = form.querySelector(".line-state");
  if (!window.confirm(S.confirm_delete)) return;
  try {
    await api("DELETE", `/api/v1/lines/${form.dataset.lineId}`);
  } catch (error) {
    state.textContent = `${S.failed}: ${error.message}`;
    return;
  }
  window.location.reload();
}

const S = readJson("lines-strings");
document.querySelectorAll("form.line-form").forEach((form) => {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(form, S);
  });
  const del = form.querySelector('[data-action="delete"]');
  if (del) del.addEventListener("click", () => remove(form, S));
});
