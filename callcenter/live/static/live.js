// The supervisors' live board (live.html): /ws?board=1 sends board.snapshot, then board.call /
// board.manager / board.tasks / board.stats, and with several instances board.cluster (who
// leads each PBX). Durations tick here; "Listen" is live_listen.js.
import {
  clock, deviceState, el, fmt, localTime, pageData, phone, readJson, reconnecting, reveal, strings,
} from "./ui.js";
import { Listener } from "./live_listen.js";

const board = {
  calls: new Map(), // call_id -> call
  managers: new Map(), // id -> manager
  skew: 0, // server clock - this browser's clock, in seconds
  listener: null,
};

function cell(row, text, slot) {
  const td = el("td", "", text == null ? "" : text);
  if (slot) td.dataset.slot = slot;
  row.append(td);
  return td;
}

function managerName(id) {
  const m = board.managers.get(id);
  return m ? m.name : (pageData().managers[String(id)] || "");
}

function rowFor(body, selector, make) {
  let row = body.querySelector(selector);
  if (!row) {
    row = el("tr");
    make(row);
    body.append(row);
  }
  row.replaceChildren();
  return row;
}

// --- calls ----------------------------------------------------------------------------------

function callerCell(row, call) {
  const S = strings();
  const who = cell(row, "", "customer");
  if (call.customer) {
    const link = el("a", "", call.customer);
    link.href = `/customers/${call.customer_id}`;
    who.append(link, document.createTextNode(" "));
  }
  const number = el("span", "muted", call.phone ? phone(call.phone) : (call.customer ? "" : S["live.unknown"]));
  number.dataset.slot = "phone";
  who.append(number);
}

function listenButton(actions, call) {
  const S = strings();
  const mine = board.listener.callId() === call.call_id;
  const button = el("button", mine ? "live-stop" : "live-listen", mine ? S["live.stop"] : S["live.listen"]);
  button.type = "button";
  actions.append(button);
  if (mine) modeButtons(actions);
}

// While listening: whisper to the manager, barge in, or back to listening only.
function modeButtons(actions) {
  const S = strings();
  const now = board.listener.mode();
  for (const mode of ["listen", "whisper", "barge"]) {
    const button = el("button", "live-mode", S[`live.mode.${mode}`]);
    button.type = "button";
    button.dataset.mode = mode;
    button.setAttribute("aria-pressed", String(mode === now));
    button.disabled = mode !== "listen" && !board.listener.canSpeak();
    if (button.disabled) button.title = S["live.mode.no_mic"];
    actions.append(button);
  }
  actions.append(el("span", "live-mode-now", S[`live.mode.now.${now}`]));
}

function renderCall(callsBody, call) {
  const S = strings();
  const row = rowFor(callsBody, `tr[data-call-id="${CSS.escape(call.call_id)}"]`,
    (tr) => { tr.dataset.callId = call.call_id; });
  row.dataset.state = call.state;
  cell(row, call.direction ? S[`direction.${call.direction}`] : "—", "direction");
  callerCell(row, call);
  const names = call.manager_id ? [managerName(call.manager_id)] : (call.rang || []).map(managerName);
  cell(row, names.filter(Boolean).join(", ") || (call.extension || ""), "manager");
  cell(row, S[`live.${call.state}`] || call.state, "state");
  cell(row, "", "duration").dataset.since = String(call.since);
  const actions = cell(row, "", "actions");
  if (call.state === "talking") listenButton(actions, call);
  tick();
}

function refreshRow(callId) {
  const call = board.calls.get(callId);
  if (call) renderCall(document.getElementById("live-calls"), call);
}

function setCall(call) {
  const callsBody = document.getElementById("live-calls");
  if (call.state === "ended") {
    board.calls.delete(call.call_id);
    const row = callsBody.querySelector(`tr[data-call-id="${CSS.escape(call.call_id)}"]`);
    if (row) row.remove();
    if (board.listener.callId() === call.call_id) board.listener.stop(false);
  } else {
    board.calls.set(call.call_id, call);
    renderCall(callsBody, call);
  }
  document.getElementById("live-no-calls").hidden = board.calls.size > 0;
}

function tick() {
  const now = Date.now() / 1000 + board.skew;
  for (const node of document.querySelectorAll("#live-calls td[data-since]")) {
    node.textContent = clock(now - Number(node.dataset.since));
  }
  for (const row of document.querySelectorAll("#live-tasks tr[data-deadline]")) {
    const overdue = Date.parse(row.dataset.deadline) < Date.now();
    row.classList.toggle("overdue", overdue);
    row.querySelector('[data-slot="overdue"]').hidden = !overdue;
  }
}

// --- managers, tasks, counters ------------------------------------------------------------

function setManager(m) {
  const S = strings();
  board.managers.set(m.id, m);
  const row = rowFor(document.getElementById("live-managers"), `tr[data-manager-id="${m.id}"]`,
    (tr) => { tr.dataset.managerId = String(m.id); });
  row.dataset.status = m.status;
  cell(row, m.name, "name");
  cell(row, m.extension || "", "extension");
  cell(row, S[`presence.${m.status}`] || m.status, "status");
  // The desk phone, then the browser softphone when the manager has one.
  let text = deviceState(m.device_state);
  if (m.softphone_state) text += ` · ${fmt("device.browser", { state: deviceState(m.softphone_state) })}`;
  const device = cell(row, m.reachable === false ? `${S["device.unreachable"]}: ${text}` : text, "device");
  device.dataset.state = m.device_state || "";
  device.dataset.softphone = m.softphone_state || "";
  row.dataset.reachable = String(m.reachable !== false);
}

function taskRow(task) {
  const row = el("tr");
  row.dataset.taskId = String(task.id);
  const title = cell(row, task.customer || strings()["task.callback"], "title");
  if (task.customer_id) {
    const link = el("a", "", title.textContent);
    link.href = `/customers/${task.customer_id}`;
    title.replaceChildren(link);
  }
  cell(row, phone(task.phone), "phone");
  const due = cell(row, "", "deadline");
  if (task.deadline) {
    row.dataset.deadline = task.deadline;
    due.textContent = `${localTime(task.deadline)} `;
    const label = el("span", "overdue-label", strings()["live.overdue"]);
    label.dataset.slot = "overdue";
    label.hidden = true;
    due.append(label);
  }
  return row;
}

function setTasks(tasks) {
  document.getElementById("live-tasks").replaceChildren(...tasks.map(taskRow));
  document.getElementById("live-no-tasks").hidden = tasks.length > 0;
  tick();
}

function setStats(s) {
  const seconds = (v) => (v == null ? "—" : `${v} ${strings()["unit.seconds"]}`);
  const values = {
    calls: s.calls == null ? "—" : s.calls,
    answered_pct: s.answered_pct == null ? "—" : `${s.answered_pct}%`,
    missed: s.missed == null ? "—" : s.missed,
    avg_wait: seconds(s.avg_wait),
    avg_talk: seconds(s.avg_talk),
  };
  const stats = document.getElementById("live-stats");
  for (const [key, value] of Object.entries(values)) {
    stats.querySelector(`[data-stat="${key}"]`).textContent = String(value);
  }
}

// Several instances: which one leads each PBX, and this page's own instance.
function setCluster(cluster) {
  const node = document.getElementById("live-cluster");
  node.hidden = !cluster;
  if (!cluster) return;
  const parts = cluster.pbx.map((p) => fmt("live.cluster.pbx", {
    pbx: p.name,
    leader: p.leader ? (p.here ? fmt("live.cluster.here", { name: p.leader }) : p.leader)
      : strings()["live.cluster.none"],
  }));
  node.textContent = [...parts, fmt("live.cluster.instance", { name: cluster.instance })].join(" · ");
}

// --- the socket -------------------------------------------------------------------------------

function snapshot(message) {
  board.skew = message.now - Date.now() / 1000;
  board.managers.clear();
  document.getElementById("live-managers").replaceChildren();
  for (const m of message.managers) setManager(m);
  board.calls.clear();
  document.getElementById("live-calls").replaceChildren();
  for (const call of message.calls) setCall(call);
  document.getElementById("live-no-calls").hidden = board.calls.size > 0;
  setTasks(message.tasks);
  setStats(message.stats || {});
  setCluster(message.cluster);
}

function onMessage(message) {
  switch (message.type) {
    case "board.snapshot": snapshot(message); break;
    case "board.call": setCall(message.call); break;
    case "board.manager": setManager(message.manager); break;
    case "board.tasks": setTasks(message.tasks); break;
    case "board.stats": setStats(message.stats); break;
    case "board.cluster": setCluster(message.cluster); break;
    default: break; // call.ringing & co: the workplace's pop panel shows those
  }
}

function showSocket(open) {
  const state = open ? "open" : "closed";
  document.getElementById("live-state").dataset.state = state;
  document.body.dataset.board = state;
}

function start() {
  strings(readJson("live-strings"));
  const errorNode = document.getElementById("live-error");
  board.listener = new Listener(document.getElementById("live-audio"), refreshRow,
    (text, detail) => {
      reveal(errorNode, text);
      errorNode.title = detail || "";
    });
  document.getElementById("live-calls").addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const callId = button.closest("tr").dataset.callId;
    if (button.classList.contains("live-stop")) board.listener.stop(true);
    else if (button.classList.contains("live-listen")) board.listener.start(callId);
    else if (button.classList.contains("live-mode")) board.listener.setMode(button.dataset.mode);
  });
  setInterval(tick, 1000);
  reconnecting("/ws?board=1", {
    open() { showSocket(true); },
    message: onMessage,
    close() { showSocket(false); },
  });
}

if (document.getElementById("page-data") && document.getElementById("live-strings")) start();
