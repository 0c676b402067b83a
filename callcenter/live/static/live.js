// The supervisors' live board: /ws?board=1 sends board.snapshot, then board.call /
// board.manager / board.tasks / board.stats. Durations tick here. "Listen" plays a live call
// over WebRTC: a plain RTCPeerConnection (receive-only audio), the offer POSTed to the API.
"use strict";

(function () {
  const pageNode = document.getElementById("page-data");
  const stringsNode = document.getElementById("live-strings");
  if (!pageNode || !stringsNode) return;
  const page = JSON.parse(pageNode.textContent);
  const S = Object.assign({}, page.strings, JSON.parse(stringsNode.textContent));
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const locale = page.lang === "ru" ? "ru-RU" : "en-GB";

  const callsBody = document.getElementById("live-calls");
  const noCalls = document.getElementById("live-no-calls");
  const managersBody = document.getElementById("live-managers");
  const tasksBody = document.getElementById("live-tasks");
  const noTasks = document.getElementById("live-no-tasks");
  const stats = document.getElementById("live-stats");
  const errorNode = document.getElementById("live-error");
  const audio = document.getElementById("live-audio");
  const stateNode = document.getElementById("live-state");

  const calls = new Map(); // call_id -> call
  const managers = new Map(); // id -> manager
  let tasks = [];
  let skew = 0; // server clock - this browser's clock, in seconds
  let listening = null; // {callId, sessionId, pc}

  function fmt(key, params) {
    const text = S[key] || key;
    return text.replace(/\{(\w+)\}/g, (all, name) =>
      params && name in params ? String(params[name]) : all);
  }

  function phoneText(phone) {
    const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(phone || "");
    return m ? `+7 ${m[1]} ${m[2]}-${m[3]}-${m[4]}` : (phone || "");
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function cell(row, text, slot) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (slot) td.dataset.slot = slot;
    row.append(td);
    return td;
  }

  function managerName(id) {
    const m = managers.get(id);
    return m ? m.name : (page.managers[String(id)] || "");
  }

  // --- calls ----------------------------------------------------------------------------------

  function renderCall(call) {
    let row = callsBody.querySelector(`tr[data-call-id="${CSS.escape(call.call_id)}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.callId = call.call_id;
      callsBody.append(row);
    }
    row.replaceChildren();
    row.dataset.state = call.state;
    cell(row, call.direction ? S[`direction.${call.direction}`] : "—", "direction");
    const who = cell(row, "", "customer");
    if (call.customer) {
      const link = document.createElement("a");
      link.href = `/customers/${call.customer_id}`;
      link.textContent = call.customer;
      who.append(link, document.createTextNode(" "));
    }
    const phone = document.createElement("span");
    phone.className = "muted";
    phone.dataset.slot = "phone";
    phone.textContent = call.phone ? phoneText(call.phone) : (call.customer ? "" : S["live.unknown"]);
    who.append(phone);
    const names = call.manager_id ? [managerName(call.manager_id)]
      : (call.rang || []).map(managerName);
    cell(row, names.filter(Boolean).join(", ") || (call.extension || ""), "manager");
    cell(row, S[`live.${call.state}`] || call.state, "state");
    const duration = cell(row, "", "duration");
    duration.dataset.since = String(call.since);
    const actions = cell(row, "", "actions");
    if (call.state === "talking") {
      const button = document.createElement("button");
      button.type = "button";
      const mine = listening && listening.callId === call.call_id;
      button.className = mine ? "live-stop" : "live-listen";
      button.textContent = mine ? S["live.stop"] : S["live.listen"];
      actions.append(button);
    }
    tick();
  }

  function setCall(call) {
    if (call.state === "ended") {
      calls.delete(call.call_id);
      const row = callsBody.querySelector(`tr[data-call-id="${CSS.escape(call.call_id)}"]`);
      if (row) row.remove();
      if (listening && listening.callId === call.call_id) stopListening(false);
    } else {
      calls.set(call.call_id, call);
      renderCall(call);
    }
    noCalls.hidden = calls.size > 0;
  }

  function tick() {
    const now = Date.now() / 1000 + skew;
    for (const node of callsBody.querySelectorAll("td[data-since]")) {
      node.textContent = clock(now - Number(node.dataset.since));
    }
    for (const row of tasksBody.querySelectorAll("tr[data-deadline]")) {
      const overdue = Date.parse(row.dataset.deadline) < Date.now();
      row.classList.toggle("overdue", overdue);
      row.querySelector('[data-slot="overdue"]').hidden = !overdue;
    }
  }
  setInterval(tick, 1000);

  // --- managers, tasks, counters ------------------------------------------------------------

  function setManager(m) {
    managers.set(m.id, m);
    let row = managersBody.querySelector(`tr[data-manager-id="${m.id}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.managerId = String(m.id);
      managersBody.append(row);
    }
    row.replaceChildren();
    row.dataset.status = m.status;
    cell(row, m.name, "name");
    cell(row, m.extension || "", "extension");
    cell(row, S[`presence.${m.status}`] || m.status, "status");
    cell(row, m.device_state || "—", "device");
  }

  function setTasks(list) {
    tasks = list;
    tasksBody.replaceChildren();
    for (const task of tasks) {
      const row = document.createElement("tr");
      row.dataset.taskId = String(task.id);
      const title = cell(row, task.customer || task.title, "title");
      if (task.customer_id) {
        const link = document.createElement("a");
        link.href = `/customers/${task.customer_id}`;
        link.textContent = title.textContent;
        title.replaceChildren(link);
      }
      cell(row, phoneText(task.phone), "phone");
      const due = cell(row, "", "deadline");
      if (task.deadline) {
        row.dataset.deadline = task.deadline;
        due.textContent = new Date(task.deadline).toLocaleString(locale,
          { dateStyle: "short", timeStyle: "short" }) + " ";
        const label = document.createElement("span");
        label.className = "overdue-label";
        label.dataset.slot = "overdue";
        label.textContent = S["live.overdue"];
        label.hidden = true;
        due.append(label);
      }
      tasksBody.append(row);
    }
    noTasks.hidden = tasks.length > 0;
    tick();
  }

  function setStats(s) {
    const seconds = (v) => (v == null ? "—" : `${v} ${S["unit.seconds"]}`);
    const values = {
      calls: s.calls == null ? "—" : s.calls,
      answered_pct: s.answered_pct == null ? "—" : `${s.answered_pct}%`,
      missed: s.missed == null ? "—" : s.missed,
      avg_wait: seconds(s.avg_wait),
      avg_talk: seconds(s.avg_talk),
    };
    for (const [key, value] of Object.entries(values)) {
      stats.querySelector(`[data-stat="${key}"]`).textContent = String(value);
    }
  }

  // --- the socket -------------------------------------------------------------------------------

  function onMessage(message) {
    switch (message.type) {
      case "board.snapshot":
        skew = message.now - Date.now() / 1000;
        managers.clear();
        managersBody.replaceChildren();
        for (const m of message.managers) setManager(m);
        calls.clear();
        callsBody.replaceChildren();
        for (const call of message.calls) setCall(call);
        noCalls.hidden = calls.size > 0;
        setTasks(message.tasks);
        setStats(message.stats || {});
        break;
      case "board.call": setCall(message.call); break;
      case "board.manager": setManager(message.manager); break;
      case "board.tasks": setTasks(message.tasks); break;
      case "board.stats": setStats(message.stats); break;
      default: break; // call.ringing & co: the workplace script shows those
    }
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(`${scheme}${location.host}/ws?board=1`);
    socket.addEventListener("open", () => {
      delay = 1000;
      stateNode.dataset.state = "open";
      document.body.dataset.board = "open";
    });
    socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      stateNode.dataset.state = "closed";
      document.body.dataset.board = "closed";
      if (event.code === 4401) { location.href = "/login"; return; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    });
  }
  connect();

  // --- listening ------------------------------------------------------------------------------

  function showError(text) {
    errorNode.textContent = text;
    errorNode.hidden = !text;
  }

  async function request(method, url, body) {
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

  function waitForIce(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (pc.iceGatheringState === "complete") {
          pc.removeEventListener("icegatheringstatechange", done);
          resolve();
        }
      };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 2000); // enough host candidates for a LAN service
    });
  }

  async function startListening(callId) {
    if (listening) await stopListening(true);
    showError("");
    const pc = new RTCPeerConnection({ iceServers: [] });
    const current = { callId: callId, sessionId: null, pc: pc };
    listening = current;
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addEventListener("track", (event) => {
      audio.srcObject = event.streams[0] || new MediaStream([event.track]);
      audio.play().catch(() => {});
    });
    pc.addEventListener("connectionstatechange", () => {
      if (["failed", "closed"].includes(pc.connectionState) && listening === current) {
        stopListening(true);
      }
    });
    refreshRow(callId);
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await waitForIce(pc);
      const answer = await request(
        "POST", `/api/v1/live/calls/${encodeURIComponent(callId)}/listen`,
        { sdp: pc.localDescription.sdp, type: "offer" });
      current.sessionId = answer.session_id;
      if (listening !== current) { // stopped meanwhile
        await request("DELETE", `/api/v1/live/sessions/${answer.session_id}`).catch(() => {});
        return;
      }
      await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
      document.body.dataset.listening = callId;
    } catch (error) {
      if (listening === current) {
        listening = null;
        pc.close();
        refreshRow(callId);
      }
      showError(fmt("live.listen_failed", { message: error.message }));
    }
  }

  async function stopListening(tellServer) {
    const current = listening;
    if (!current) return;
    listening = null;
    delete document.body.dataset.listening;
    current.pc.close();
    audio.srcObject = null;
    refreshRow(current.callId);
    if (tellServer && current.sessionId) {
      try {
        await request("DELETE", `/api/v1/live/sessions/${current.sessionId}`);
      } catch (error) {
        showError(error.message);
      }
    }
  }

  function refreshRow(callId) {
    const call = calls.get(callId);
    if (call) renderCall(call);
  }

  callsBody.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const callId = button.closest("tr").dataset.callId;
    if (button.classList.contains("live-stop")) stopListening(true);
    else if (button.classList.contains("live-listen")) startListening(callId);
  });
  window.addEventListener("pagehide", () => {
    if (listening && listening.sessionId) {
      fetch(`/api/v1/live/sessions/${listening.sessionId}`, {
        method: "DELETE", credentials: "same-origin", keepalive: true,
        headers: { "X-CSRF-Token": csrf },
      });
    }
  });
})();
