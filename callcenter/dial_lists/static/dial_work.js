// "Work this list" (dial_work.html): next → card → call → outcome → next, with keyboard
// shortcuts (N next, C call, 1-8 an outcome, Enter save). The card and its facts are
// dial_work_card.js, the outcome form dial_work_outcome.js.
import {
  api, byId as $, fmt, localTime, pageData, phone, readJson, showFieldErrors, strings,
} from "./ui.js";
import { popCard, showEntryFacts } from "./dial_work_card.js";
import { OutcomeForm } from "./dial_work_outcome.js";

const data = readJson("dial-data") || {};
strings(data.strings);
const base = `/api/v1/dial-lists/${data.list_id}`;
const work = {
  current: null, // the EntryCard in hand
  busy: false,
  calling: false,
  saving: false,
  outcome: null, // the OutcomeForm
};

function say(text, kind) {
  const message = $("work-message");
  message.textContent = text;
  message.dataset.kind = kind || "info";
}

function setCallState(text, kind) {
  const state = $("work-call-state");
  state.textContent = text;
  state.dataset.kind = kind;
}

function show(card) {
  work.current = card;
  $("work-pop").replaceChildren(popCard(card));
  showEntryFacts(card.entry, card);
  $("work-card").hidden = false;
  $("work-outcome").hidden = false;
  work.outcome.reset();
  $("work-order-new").href = `/orders/new?phone=${encodeURIComponent(card.entry.phone)}`;
  $("work-call").disabled = false;
  $("work-release").disabled = false;
  setCallState("", "");
  $("work").dataset.entryId = String(card.entry.id);
}

function clear() {
  work.current = null;
  $("work-pop").replaceChildren();
  $("work-card").hidden = true;
  $("work-outcome").hidden = true;
  $("work-call").disabled = true;
  $("work-release").disabled = true;
  $("work-call-state").textContent = "";
  delete $("work").dataset.entryId;
}

// The entry was taken away meanwhile (its lock timed out): say so and drop it.
function lost(error) {
  clear();
  say(fmt("dial.outcome_failed", { message: error.message }), "error");
}

function sayHeld() {
  say(fmt("dial.reason.held", { name: work.current.customer.name, at: "" }), "warn");
}

function reasonText(body) {
  const name = body.card ? body.card.customer.name : "";
  return fmt(`dial.reason.${body.reason}`, { name: name, at: localTime(body.next_at) });
}

// --- the steps --------------------------------------------------------------------------------

async function next() {
  if (work.busy) return;
  if (work.current) { sayHeld(); return; }
  work.busy = true;
  say(strings()["dial.taking"]);
  let body;
  try {
    body = await api("POST", `${base}/next`);
  } catch (error) {
    say(fmt("dial.take_failed", { message: error.message }), "error");
    return;
  } finally {
    work.busy = false;
  }
  if (!body.card) {
    clear();
    say(reasonText(body), body.reason === "list_done" ? "done" : "warn");
    return;
  }
  show(body.card);
  say(reasonText(body), body.reason === "callback_due" ? "warn" : "info");
}

async function call() {
  if (!work.current || work.calling) return;
  const entry = work.current.entry;
  const number = phone(entry.phone);
  work.calling = true;
  $("work-call").disabled = true;
  setCallState(fmt("call.placing", { phone: number }), "info");
  try {
    const result = await api("POST", `${base}/entries/${entry.id}/call`);
    setCallState(fmt("call.connected", { phone: number }), "ok");
    if (work.current && work.current.entry.id === entry.id) {
      work.current.entry = result.entry;
      showEntryFacts(work.current.entry, null);
    }
  } catch (error) {
    setCallState(fmt("call.failed", { message: error.message }), "error");
    if (error.code === "entry_not_held") lost(error);
  } finally {
    work.calling = false;
    $("work-call").disabled = !work.current;
  }
}

async function save() {
  if (!work.current || work.saving) return;
  const body = work.outcome.read();
  if (!body) return;
  const name = work.current.customer.name;
  work.saving = true;
  try {
    await api("POST", `${base}/entries/${work.current.entry.id}/outcome`, body);
  } catch (error) {
    if (error.code === "entry_not_held") lost(error);
    else showFieldErrors($("work-outcome"), error);
    return;
  } finally {
    work.saving = false;
  }
  clear();
  const outcome = strings()[`dial.outcome.${body.outcome}`] || body.outcome;
  say(fmt("dial.outcome_saved", { name: name, outcome: outcome }), "ok");
  $("work-next").focus();
  refreshProgress();
}

async function release() {
  if (!work.current) return;
  try {
    await api("POST", `${base}/entries/${work.current.entry.id}/release`);
  } catch (error) {
    say(fmt("dial.outcome_failed", { message: error.message }), "error");
    return;
  }
  clear();
  say(strings()["dial.released"]);
  refreshProgress();
}

// --- progress ---------------------------------------------------------------------------------

function setBar(holder, done, left) {
  const bar = holder.querySelector("progress");
  const text = holder.querySelector(".dial-progress-text");
  if (!bar || !text) return;
  bar.max = done + left || 1;
  bar.value = done;
  text.textContent = fmt("dial.done_of", { done: done, total: done + left });
}

async function refreshProgress() {
  let item;
  try {
    item = await api("GET", base);
  } catch (error) {
    return;
  }
  setBar($("work-progress-list"), item.counts.done, item.counts.remaining);
  const mine = item.managers.find((m) => m.manager_id === pageData().me);
  if (mine) setBar($("work-progress-mine"), mine.done, mine.remaining);
}

// --- the keyboard -----------------------------------------------------------------------------

const NOT_TEXT = new Set(["radio", "checkbox", "button", "submit", "reset"]);

// Enter saves, unless a text field submits its form by itself, a link opens, a textarea takes
// a new line, or the focus is in the card's pop.
function onEnter(event, target, textInput) {
  const tag = target.tagName;
  if (textInput || tag === "TEXTAREA" || tag === "A" || !work.current) return;
  if (target.closest && target.closest(".pops")) return;
  event.preventDefault();
  save();
}

// N next, C call, 1-8 an outcome, Enter save; never while typing into a field.
function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  const target = event.target;
  const tag = target.tagName;
  const textInput = tag === "INPUT" && !NOT_TEXT.has(target.type);
  if (event.key === "Enter") { onEnter(event, target, textInput); return; }
  const typing = textInput || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  if (typing || event.repeat) return;
  const digit = /^(?:Digit|Numpad)([1-8])$/.exec(event.code);
  if (event.code === "KeyN") {
    event.preventDefault();
    next();
  } else if (event.code === "KeyC") {
    event.preventDefault();
    call();
  } else if (digit && work.current) {
    event.preventDefault();
    work.outcome.pick(Number(digit[1]));
  }
}

// --- the page ---------------------------------------------------------------------------------

// After a reload: the entry this operator still holds comes back into hand.
async function resumeHeld(entryId) {
  let card;
  try {
    card = await api("GET", `${base}/entries/${entryId}`);
  } catch (error) {
    return;
  }
  if (card.entry.state !== "in_progress") return;
  show(card);
  sayHeld();
}

function start() {
  const form = $("work-outcome");
  work.outcome = new OutcomeForm(form, () => work.current);
  $("work-next").addEventListener("click", next);
  $("work-call").addEventListener("click", call);
  $("work-release").addEventListener("click", release);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  document.addEventListener("keydown", onKey);
  if (data.held) resumeHeld(data.held);
}

if ($("work")) start();
