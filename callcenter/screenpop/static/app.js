// The operator's workplace in the browser: screen-pops over /ws, presence, click-to-call,
// order item rows, local times. No framework; every write sends the page's CSRF token.
"use strict";

(function () {
  const dataNode = document.getElementById("page-data");
  if (!dataNode) return;
  const page = JSON.parse(dataNode.textContent);
  const S = page.strings;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const locale = page.lang === "ru" ? "ru-RU" : "en-GB";

  function fmt(key, params) {
    const text = S[key] || key;
    return text.replace(/\{(\w+)\}/g, (all, name) =>
      params && name in params ? String(params[name]) : all);
  }

  function money(value) {
    const amount = new Intl.NumberFormat(locale, {
      minimumFractionDigits: 2, maximumFractionDigits: 2,
    }).format(Number(value || 0));
    return fmt("money", { amount: amount });
  }

  function localTime(iso) {
    const date = new Date(iso);
    if (isNaN(date)) return iso;
    return date.toLocaleString(locale, { dateStyle: "short", timeStyle: "short" });
  }

  function phoneText(phone) {
    const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(phone || "");
    return m ? `+7 ${m[1]} ${m[2]}-${m[3]}-${m[4]}` : (phone || "");
  }

  // --- toasts -----------------------------------------------------------------------------

  const toasts = document.getElementById("toasts");

  function toast(text, kind) {
    const node = document.createElement("p");
    node.className = `toast ${kind}`;
    node.textContent = text;
    toasts.prepend(node);
    setTimeout(() => node.remove(), kind === "error" ? 15000 : 6000);
    return node;
  }

  // --- JSON API with the session's CSRF token -----------------------------------------------

  async function api(method, url, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    if (!response.ok) {
      const error = payload && payload.error;
      throw new Error(error ? error.message : `HTTP ${response.status}`);
    }
    return payload;
  }

  // --- click-to-call: a button next to every phone number ------------------------------------

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.call");
    if (!button) return;
    event.preventDefault();
    const phone = button.dataset.phone;
    button.disabled = true;
    const placing = toast(fmt("call.placing", { phone: phoneText(phone) }), "info");
    try {
      await api("POST", "/api/v1/calls/originate", { phone: phone });
      placing.remove();
      toast(fmt("call.connected", { phone: phoneText(phone) }), "ok");
    } catch (error) {
      placing.remove();
      toast(fmt("call.failed", { message: error.message }), "error");
    } finally {
      button.disabled = false;
    }
  });

  // --- presence -------------------------------------------------------------------------------

  const presence = document.getElementById("presence");
  if (presence) {
    presence.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-status]");
      if (!button) return;
      try {
        await api("PUT", `/api/v1/managers/${page.me}/status`, { status: button.dataset.status });
        for (const other of presence.querySelectorAll("button[data-status]")) {
          other.setAttribute("aria-pressed", String(other === button));
        }
      } catch (error) {
        toast(fmt("presence.failed", { message: error.message }), "error");
      }
    });
  }

  // --- order item rows --------------------------------------------------------------------------

  const items = document.querySelector("#items tbody");
  const addRow = document.getElementById("add-row");
  if (items && addRow) {
    addRow.addEventListener("click", () => {
      const row = items.querySelector("tr.item-row").cloneNode(true);
      for (const input of row.querySelectorAll("input")) {
        input.value = input.name === "quantity" ? "1" : "";
      }
      items.append(row);
      row.querySelector("input").focus();
    });
    items.addEventListener("click", (event) => {
      const remove = event.target.closest("button.remove-row");
      if (remove && items.querySelectorAll("tr.item-row").length > 1) {
        remove.closest("tr").remove();
      }
    });
  }

  // --- local time: the server renders UTC ------------------------------------------------------

  function localizeTimes(root) {
    for (const node of root.querySelectorAll("time[datetime]")) {
      node.textContent = localTime(node.getAttribute("datetime"));
    }
  }
  localizeTimes(document);
  for (const input of document.querySelectorAll('input[name="tz_offset"]')) {
    input.value = String(new Date().getTimezoneOffset());
  }

  // --- screen-pops ---------------------------------------------------------------------------

  const pops = document.getElementById("pops");
  const wsState = document.getElementById("ws-state");

  function findPop(callId) {
    for (const node of pops.querySelectorAll(".pop")) {
      if (node.dataset.callId === callId) return node;
    }
    return null;
  }

  function fill(node, slot, text) {
    const target = node.querySelector(`[data-slot="${slot}"]`);
    if (target) target.textContent = text;
    return target;
  }

  function link(node, slot, href) {
    const target = node.querySelector(`[data-slot="${slot}"]`);
    if (target) target.href = href;
  }

  function buildPop(message) {
    const customer = message.customer;
    const template = document.getElementById(customer ? "pop-known" : "pop-unknown");
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.callId = message.call_id;
    node.dataset.direction = message.direction || "";
    fill(node, "direction", S[message.direction === "out" ? "pop.outgoing" : "pop.incoming"]);
    fill(node, "phone", phoneText(message.phone));
    fill(node, "route", message.route ? (S[`route.${message.route}`] || message.route) : "");
    const phone = encodeURIComponent(message.phone || "");
    if (!customer) {
      link(node, "customer_new_link", `/customers/new?phone=${phone}`);
      link(node, "order_new_link", `/orders/new?phone=${phone}`);
      return node;
    }
    fill(node, "name", customer.name);
    const tags = customer.tags || [];
    node.querySelector('[data-slot="vip"]').hidden = !tags.includes("vip");
    node.querySelector('[data-slot="bad"]').hidden = !tags.includes("bad");
    fill(node, "manager", customer.manager_id ? (page.managers[customer.manager_id] || "—") : "—");
    fill(node, "orders_count", String(customer.orders_count));
    fill(node, "total_spent", money(customer.total_spent));
    fill(node, "average_check", money(customer.average_check));
    fill(node, "segment", S[`segment.${customer.segment}`] || customer.segment);
    link(node, "card_link", `/customers/${customer.id}`);
    link(node, "order_new_link", `/orders/new?customer_id=${customer.id}`);
    link(node, "task_new_link", `/tasks/new?customer_id=${customer.id}`);
    const order = message.last_order;
    if (order) {
      fill(node, "order_number", order.number);
      link(node, "order_link", `/orders/${order.id}`);
      fill(node, "order_status", S[`order_status.${order.status}`] || order.status);
      const date = fill(node, "order_date", localTime(`${order.created_at}Z`));
      date.setAttribute("datetime", `${order.created_at}Z`);
      const list = node.querySelector('[data-slot="order_items"]');
      for (const item of order.items || []) {
        const li = document.createElement("li");
        li.textContent = `${item.product} × ${item.quantity} — ${money(item.price)}`;
        list.append(li);
      }
      fill(node, "order_total", money(order.total));
    } else {
      node.querySelector('[data-slot="last_order"]').hidden = true;
      node.querySelector('[data-slot="no_orders"]').hidden = false;
    }
    loadExtra(node, customer.id);
    return node;
  }

  // The dial-list work mode (static/dial.js) shows the same card for the customer it calls.
  window.CallCentre = Object.freeze({ buildPop: buildPop });

  async function loadExtra(node, customerId) {
    try {
      const response = await fetch(`/pop/extra?customer_id=${customerId}`, {
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const extra = node.querySelector('[data-slot="extra"]');
      extra.innerHTML = await response.text();
      localizeTimes(extra);
    } catch (error) {
      // The pop itself is what matters; the extras are a bonus.
    }
  }

  // `callcenter demo` only: the PBX simulator's phone rings in the page; "Answer" picks it up.
  const demoAnswer = document.getElementById("pop-demo-answer");

  function addDemoAnswer(node) {
    if (!demoAnswer) return;
    const button = demoAnswer.content.firstElementChild.cloneNode(true);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await api("POST", "/api/v1/demo/answer", { call_id: node.dataset.callId });
      } catch (error) {
        button.disabled = false;
        toast(button.dataset.failed.replace("{message}", error.message), "error");
      }
    });
    node.querySelector(".pop-actions").prepend(button);
  }

  function setState(node, text) {
    const state = node.querySelector('[data-slot="state"]');
    state.textContent = text;
    state.hidden = false;
  }

  function onMessage(message) {
    const node = findPop(message.call_id);
    if (message.type === "call.ringing") {
      if (node) return; // one pop per call
      const pop = buildPop(message);
      addDemoAnswer(pop);
      pops.prepend(pop);
      document.body.dataset.pops = String(pops.children.length);
    } else if (message.type === "call.answered") {
      if (!node) return;
      if (message.answered_by === page.me) {
        node.classList.add("answered");
        const answerButton = node.querySelector(".pop-demo-answer");
        if (answerButton) answerButton.remove();
        setState(node, S["pop.answered_by_you"]);
      } else {
        node.remove();
      }
    } else if (message.type === "call.ended") {
      if (node) node.remove();
    } else if (message.type === "task.created") {
      const who = message.task.phone ? phoneText(message.task.phone) : message.task.title;
      toast(fmt("task.callback_new", { who: who }), "info");
    }
    document.body.dataset.pops = String(pops.children.length);
  }

  pops.addEventListener("click", (event) => {
    const close = event.target.closest(".pop-close");
    if (close) close.closest(".pop").remove();
  });

  let retries = 0;

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(`${scheme}${location.host}/ws`);
    socket.addEventListener("open", () => {
      retries = 0;
      pops.replaceChildren(); // the server replays what still rings
      document.body.dataset.ws = "open";
      wsState.textContent = "●";
      wsState.title = S["ws.connected"];
      wsState.className = "ws-state open";
    });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      onMessage(message);
    });
    socket.addEventListener("close", (event) => {
      document.body.dataset.ws = "closed";
      wsState.textContent = "○";
      wsState.title = S["ws.reconnecting"];
      wsState.className = "ws-state closed";
      if (event.code === 4401) {
        location.href = "/login";
        return;
      }
      const delay = Math.min(10000, 500 * 2 ** retries);
      retries += 1;
      setTimeout(connect, delay);
    });
  }

  connect();
}());
