// The entry in hand in "work this list" (dial_work.html): its facts (phone, the customer's
// local time, attempts, ...) and the customer's card, the same as a screen-pop (pop.js).
import { localTime, phone, strings } from "./ui.js";
import { buildPop } from "./pop.js";

function fact(slot, text) {
  const facts = document.getElementById("work-entry");
  const node = facts.querySelector(`[data-slot="${slot}"]`);
  const label = facts.querySelector(`[data-slot="${slot}_label"]`);
  const empty = text === null || text === undefined || text === "";
  node.textContent = empty ? "" : String(text);
  if (label) { label.hidden = empty; node.hidden = empty; }
}

// The customer's own wall-clock time, as the API computed it: shown as is.
function wallClock(naive) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(naive || "");
  return m ? `${m[4]}:${m[5]} (${m[3]}.${m[2]}.${m[1]})` : (naive || "—");
}

function callStatus(entry) {
  if (!entry.call_status) return "";
  const text = strings()[`call_status.${entry.call_status}`] || entry.call_status;
  return entry.call_status_reason ? `${text} (${entry.call_status_reason})` : text;
}

// The entry's facts; ``card`` (a whole EntryCard) also brings the customer's local time.
export function showEntryFacts(entry, card) {
  fact("phone", phone(entry.phone));
  if (card) fact("local_time", wallClock(card.local_time));
  fact("attempts", String(entry.attempts));
  fact("callback_at", entry.callback_at ? localTime(entry.callback_at) : "");
  fact("note", entry.note || "");
  fact("call_status", callStatus(entry));
}

// The customer's card, opened in new tabs so the work page stays.
export function popCard(card) {
  const node = buildPop({
    call_id: "",
    direction: "out",
    phone: card.entry.phone,
    route: null,
    customer: card.customer,
    last_order: card.last_order,
  });
  node.classList.add("dial-pop");
  node.dataset.customerId = String(card.customer.id);
  node.querySelector(".pop-close").hidden = true;
  // By phone: it works even for an operator who may not open the customer by id.
  node.querySelector('[data-slot="order_new_link"]').href =
    `/orders/new?phone=${encodeURIComponent(card.entry.phone)}`;
  node.querySelectorAll(".pop-actions a").forEach((a) => {
    a.target = "_blank";
    a.rel = "noopener";
  });
  return node;
}

