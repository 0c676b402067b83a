// The outcome form of "work this list" (dial_work.html #work-outcome): the outcome radios, a
// callback time, the order taken on the call (the customer's recent orders), a note.
import { api, clearErrors, el, localTime, money, putError, strings, utcDate } from "./ui.js";

// The next full hour, as a datetime-local value.
function inAnHour() {
  const soon = new Date(Date.now() + 60 * 60 * 1000);
  soon.setMinutes(0, 0, 0);
  const pad = (n) => String(n).padStart(2, "0");
  return `${soon.getFullYear()}-${pad(soon.getMonth() + 1)}-${pad(soon.getDate())}T${pad(soon.getHours())}:00`;
}

function orderOption(order) {
  const S = strings();
  const status = S[`order_status.${order.status}`] || order.status;
  const option = el("option", "", `№ ${order.number} · ${localTime(order.created_at)} · ${money(order.total)} · ${status}`);
  option.value = String(order.id);
  option.dataset.created = order.created_at;
  return option;
}

export class OutcomeForm {
  // ``card()`` is the EntryCard in hand, or null.
  constructor(form, card) {
    this.form = form;
    this.card = card;
    this.radios = [...form.querySelectorAll('input[name="outcome"]')];
    this.callbackBox = document.getElementById("work-callback");
    this.callbackInput = document.getElementById("work-callback-at");
    this.orderBox = document.getElementById("work-order");
    this.orderSelect = document.getElementById("work-order-id");
    this.noteInput = document.getElementById("work-note");
    this.radios.forEach((r) => r.addEventListener("change", () => this.changed(false)));
    document.getElementById("work-order-reload").addEventListener("click", () => this.loadOrders(true));
    window.addEventListener("focus", () => { if (this.chosen() === "ordered") this.loadOrders(true); });
  }

  reset() {
    clearErrors(this.form);
    this.radios.forEach((r) => { r.checked = false; });
    this.callbackInput.value = "";
    this.noteInput.value = "";
    this.orderSelect.replaceChildren(this.orderSelect.options[0]);
    this.callbackBox.hidden = true;
    this.orderBox.hidden = true;
  }

  chosen() {
    const radio = this.radios.find((r) => r.checked);
    return radio ? radio.value : null;
  }

  // The n-th outcome (keys 1-8).
  pick(n) {
    const radio = this.radios[n - 1];
    if (!radio || !this.card()) return;
    radio.checked = true;
    this.changed(true);
  }

  changed(focusDetail) {
    const outcome = this.chosen();
    this.callbackBox.hidden = outcome !== "callback";
    this.orderBox.hidden = outcome !== "ordered";
    if (outcome === "callback") {
      if (!this.callbackInput.value) this.callbackInput.value = inAnHour();
      if (focusDetail) this.callbackInput.focus();
    } else if (outcome === "ordered") {
      this.loadOrders(true);
    }
  }

  // The customer's recent orders; ``preselect``: the one taken since the entry was locked.
  async loadOrders(preselect) {
    const card = this.card();
    if (!card) return;
    const customerId = card.customer.id;
    let found;
    try {
      found = await api("GET", `/api/v1/orders?customer_id=${customerId}&limit=20`);
    } catch (error) {
      return;
    }
    const now = this.card();
    if (!now || now.customer.id !== customerId) return;
    this.showOrders(found.items.map(orderOption), preselect ? now.entry.locked_at : null);
  }

  showOrders(options, lockedAt) {
    const select = this.orderSelect;
    const keep = select.value;
    const none = select.options[0];
    select.replaceChildren(none, ...options);
    if (keep && options.some((o) => o.value === keep)) select.value = keep;
    else if (lockedAt && options.length && utcDate(options[0].dataset.created) >= utcDate(lockedAt)) {
      select.value = options[0].value; // the order just taken
    }
    none.textContent = strings()[options.length ? "dial.order_pick" : "dial.no_orders"];
  }

  // The outcome to POST, or null after saying next to the form what is missing.
  read() {
    const S = strings();
    clearErrors(this.form);
    const outcome = this.chosen();
    if (!outcome) {
      putError(this.form.querySelector('[data-error-for="outcome"]'), S["dial.pick_outcome"]);
      return null;
    }
    const body = { outcome: outcome, note: this.noteInput.value };
    if (outcome === "callback") {
      const at = new Date(this.callbackInput.value);
      if (!this.callbackInput.value || isNaN(at)) {
        putError(this.form.querySelector('[data-error-for="callback_at"]'), S["dial.callback_needed"]);
        this.callbackInput.setAttribute("aria-invalid", "true");
        this.callbackInput.focus();
        return null;
      }
      body.callback_at = at.toISOString();
    }
    if (outcome === "ordered" && this.orderSelect.value) body.order_id = Number(this.orderSelect.value);
    return body;
  }
}
