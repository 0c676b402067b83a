// Dial lists (dial_lists.html, dial_list_new.html, dial_list.html): building a list from a
// rule, a list's page (rename it, change how it is worked, delete it), and a build's progress,
// polled until it is done. A 422 is shown next to what it names.
import {
  api, clearErrors, fmt, locale, putError, readJson, showFieldErrors, splitList, strings, typed,
} from "./ui.js";

const data = readJson("dial-data") || {};
strings(data.strings);

// --- building a list --------------------------------------------------------------------------

function buildBody(form) {
  const value = (name) => form.elements[name].value;
  const body = {
    rule_id: Number(value("rule_id")),
    name: value("name"),
    settings: {
      call_from: value("call_from"),
      call_until: value("call_until"),
      default_timezone: value("default_timezone").trim(),
      max_attempts: typed(value("max_attempts")),
      retry_delay_minutes: typed(value("retry_delay_minutes")),
      lock_timeout_minutes: typed(value("lock_timeout_minutes")),
      sort: value("sort"),
      assignment: value("assignment"),
      exclude_do_not_call: form.elements.exclude_do_not_call.checked,
      exclude_tags: splitList(value("exclude_tags")),
      skip_called_within_days: typed(value("skip_called_within_days")),
      max_entries: typed(value("max_entries")),
    },
  };
  const managers = [...form.elements.manager_ids.selectedOptions].map((o) => Number(o.value));
  if (managers.length) body.manager_ids = managers;
  return body;
}

async function build(form) {
  const state = document.getElementById("build-state");
  clearErrors(form);
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  state.textContent = strings()["dial.building"];
  try {
    const built = await api("POST", "/api/v1/dial-lists", buildBody(form));
    location.href = `/dial-lists/${built.id}`;
  } catch (error) {
    button.disabled = false;
    state.textContent = "";
    showFieldErrors(form, error);
  }
}

// The name follows the chosen rule ("rule · today") until the user types one.
function buildList(form) {
  const ruleSelect = form.elements.rule_id;
  const nameInput = form.elements.name;
  let touched = false;
  function suggestName() {
    if (touched) return;
    const option = ruleSelect.selectedOptions[0];
    const today = new Date().toLocaleDateString(locale());
    nameInput.value = option ? `${option.textContent} · ${today}` : "";
  }
  nameInput.addEventListener("input", () => { touched = true; });
  ruleSelect.addEventListener("change", suggestName);
  suggestName();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    build(form);
  });
}

// --- a list's page: rename it, change how it is worked (PATCH), delete it -------------------

const NUMBERS = ["max_attempts", "retry_delay_minutes", "lock_timeout_minutes"];
const TIMES = ["call_from", "call_until"];

// Only what changed is sent; an emptied number goes as is, for the API to name it.
function changes(form) {
  const body = {};
  const settings = {};
  const changed = (key) => form.elements[key].value !== form.elements[key].defaultValue;
  if (changed("name")) body.name = form.elements.name.value;
  TIMES.filter(changed).forEach((key) => { settings[key] = form.elements[key].value; });
  NUMBERS.filter(changed).forEach((key) => {
    const value = form.elements[key].value;
    settings[key] = value === "" ? "" : Number(value);
  });
  if (Object.keys(settings).length) body.settings = settings;
  return body;
}

function showSaved(form, item) {
  const s = item.settings;
  const hhmm = (value) => String(value).slice(0, 5);
  const keep = (key, value) => { form.elements[key].value = form.elements[key].defaultValue = value; };
  keep("name", item.name);
  TIMES.forEach((key) => keep(key, hhmm(s[key])));
  NUMBERS.forEach((key) => keep(key, String(s[key])));
  document.getElementById("dial-list-name").textContent = item.name;
  const hours = document.querySelector('[data-setting="hours"]');
  if (hours) hours.textContent = `${hhmm(s.call_from)}–${hhmm(s.call_until)}`;
  NUMBERS.forEach((key) => {
    const node = document.querySelector(`dd[data-setting="${key}"]`);
    if (node) node.textContent = String(s[key]);
  });
}

async function saveList(form, base) {
  const state = document.getElementById("list-state");
  clearErrors(form);
  state.textContent = "";
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    showSaved(form, await api("PATCH", base, changes(form)));
    state.textContent = strings()["dial.list_saved"];
  } catch (error) {
    showFieldErrors(form, error);
  } finally {
    button.disabled = false;
  }
}

async function deleteList(form, base, button) {
  if (!confirm(fmt("dial.confirm_delete_list", { name: form.elements.name.defaultValue }))) return;
  clearErrors(form);
  document.getElementById("list-state").textContent = "";
  button.disabled = true;
  try {
    await api("DELETE", base);
    location.href = "/dial-lists";
  } catch (error) {
    button.disabled = false;
    putError(form.querySelector('[data-error-for=""]'), fmt("dial.delete_failed", { message: error.message }));
  }
}

function editList(form) {
  const base = `/api/v1/dial-lists/${data.list_id}`;
  const deleteButton = document.getElementById("list-delete");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveList(form, base);
  });
  deleteButton.addEventListener("click", () => deleteList(form, base, deleteButton));
}

// --- a build's progress: poll until it is done, then show the figures -------------------------

function showProgress(node, progress) {
  const bar = node.querySelector("progress.dial-build-bar");
  const text = node.querySelector('[data-slot="build-text"]');
  if (bar) bar.value = progress.percent;
  if (text) {
    text.textContent = fmt("dial.build_progress", {
      percent: progress.percent, processed: progress.processed, matched: progress.matched,
    });
  }
}

function watchBuilds(nodes) {
  async function poll() {
    for (const node of nodes) {
      let item;
      try {
        item = await api("GET", `/api/v1/dial-lists/${node.dataset.listId}`);
      } catch (error) {
        continue;
      }
      if (item.status !== "building") {
        location.reload();
        return;
      }
      showProgress(node, item.progress);
    }
    setTimeout(poll, 500);
  }
  setTimeout(poll, 300);
}

const buildForm = document.getElementById("build-form");
if (buildForm) buildList(buildForm);
const editForm = document.getElementById("list-edit");
if (editForm) editList(editForm);
const building = [...document.querySelectorAll('[data-list-id][data-status="building"]')];
if (building.length) watchBuilds(building);
