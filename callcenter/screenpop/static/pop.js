// Screen-pops: the card of the customer on the line, built from the templates in
// _pop_templates.html, and the panel that shows one per ringing call over /ws. buildPop is
// also the card of the dial-list work mode (dial_work.js).
import {
  api, fmt, localTime, localizeTimes, money, pageData, phone, reconnecting, strings, toast,
  utcDate,
} from "./ui.js";

function fill(node, slot, text) {
  const target = node.querySelector(`[data-slot="${slot}"]`);
  if (target) target.textContent = text;
  return target;
}

function link(node, slot, href) {
  const target = node.querySelector(`[data-slot="${slot}"]`);
  if (target) target.href = href;
}

function fillLastOrder(node, order) {
  if (!order) {
    node.querySelector('[data-slot="last_order"]').hidden = true;
    node.querySelector('[data-slot="no_orders"]').hidden = false;
    return;
  }
  const S = strings();
  fill(node, "order_number", order.number);
  link(node, "order_link", `/orders/${order.id}`);
  fill(node, "order_status", S[`order_status.${order.status}`] || order.status);
  const date = fill(node, "order_date", localTime(order.created_at));
  const created = utcDate(order.created_at);
  if (!isNaN(created)) date.setAttribute("datetime", created.toISOString());
  const list = node.querySelector('[data-slot="order_items"]');
  for (const item of order.items || []) {
    const li = document.createElement("li");
    li.textContent = `${item.product} × ${item.quantity} — ${money(item.price)}`;
    list.append(li);
  }
  fill(node, "order_total", money(order.total));
}

function fillCustomer(node, customer) {
  const S = strings();
  fill(node, "name", customer.name);
  const tags = customer.tags || [];
  node.querySelector('[data-slot="vip"]').hidden = !tags.includes("vip");
  node.querySelector('[data-slot="bad"]').hidden = !tags.includes("bad");
  const managers = pageData().managers;
  fill(node, "manager", customer.manager_id ? (managers[customer.manager_id] || "—") : "—");
  fill(node, "orders_count", String(customer.orders_count));
  fill(node, "total_spent", money(customer.total_spent));
  fill(node, "average_check", money(customer.average_check));
  fill(node, "segment", S[`segment.${customer.segment}`] || customer.segment);
  link(node, "card_link", `/customers/${customer.id}`);
  link(node, "order_new_link", `/orders/new?customer_id=${customer.id}`);
  link(node, "task_new_link", `/tasks/new?customer_id=${customer.id}`);
}

// The customer's extras (pop_extra.html) under the card; the card itself is what matters.
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

// A pop card for a call.ringing message (or the same fields from a dial-list entry).
export function buildPop(message) {
  const S = strings();
  const customer = message.customer;
  const template = document.getElementById(customer ? "pop-known" : "pop-unknown");
  const node = template.content.firstElementChild.cloneNode(true);
  node.dataset.callId = message.call_id;
  node.dataset.direction = message.direction || "";
  fill(node, "direction", S[message.direction === "out" ? "pop.outgoing" : "pop.incoming"]);
  fill(node, "phone", phone(message.phone));
  fill(node, "route", message.route ? (S[`route.${message.route}`] || message.route) : "");
  // The line the customer dialled, by its name, and the shop or ad source it belongs to.
  const line = message.line_name || (message.line ? phone(message.line) || message.line : "");
  const source = line && message.line_source ? ` · ${message.line_source}` : "";
  fill(node, "line", line ? fmt("pop.line", { line }) + source : "");
  if (!customer) {
    const number = encodeURIComponent(message.phone || "");
    link(node, "customer_new_link", `/customers/new?phone=${number}`);
    link(node, "order_new_link", `/orders/new?phone=${number}`);
    return node;
  }
  fillCustomer(node, customer);
  fillLastOrder(node, message.last_order);
  loadExtra(node, customer.id);
  return node;
}

// --- the panel ------------------------------------------------------------------------------

// `callcenter demo` only: the PBX simulator's phone rings in the page; "Answer" picks it up.
function addDemoAnswer(node) {
  const demoAnswer = document.getElementById("pop-demo-answer");
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

function findPop(pops, callId) {
  for (const node of pops.querySelectorAll(".pop")) {
    if (node.dataset.callId === callId) return node;
  }
  return null;
}

function onAnswered(node, message) {
  if (message.answered_by !== pageData().me) {
    node.remove();
    return;
  }
  node.classList.add("answered");
  const answerButton = node.querySelector(".pop-demo-answer");
  if (answerButton) answerButton.remove();
  setState(node, strings()["pop.answered_by_you"]);
}

function onMessage(pops, message) {
  const node = findPop(pops, message.call_id);
  if (message.type === "call.ringing" && !node) { // one pop per call
    const pop = buildPop(message);
    addDemoAnswer(pop);
    pops.prepend(pop);
  } else if (message.type === "call.answered" && node) {
    onAnswered(node, message);
  } else if (message.type === "call.ended" && node) {
    node.remove();
  } else if (message.type === "task.created") {
    const who = message.task.phone ? phone(message.task.phone) : message.task.title;
    const key = message.task.source === "website" ? "task.callback_web" : "task.callback_new";
    toast(fmt(key, { who: who }), "info");
  }
  document.body.dataset.pops = String(pops.children.length);
}

function showSocket(wsState, open) {
  document.body.dataset.ws = open ? "open" : "closed";
  wsState.textContent = open ? "●" : "○";
  wsState.title = strings()[open ? "ws.connected" : "ws.reconnecting"];
  wsState.className = `ws-state ${open ? "open" : "closed"}`;
}

// The pop panel of the workplace (#pops), fed by /ws; the server replays what still rings.
export function startPopPanel(pops, wsState) {
  pops.addEventListener("click", (event) => {
    const close = event.target.closest(".pop-close");
    if (close) close.closest(".pop").remove();
  });
  reconnecting("/ws", {
    open() {
      pops.replaceChildren();
      showSocket(wsState, true);
    },
    message(message) { onMessage(pops, message); },
    close() { showSocket(wsState, false); },
  });
}
