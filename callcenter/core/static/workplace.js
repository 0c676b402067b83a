// The operator's workplace shell (app.html, on every page after log-in): click-to-call,
// presence, local times, the screen-pop panel over /ws (pop.js) and, where the service has
// them, the browser's softphone (softphone.js).
import { api, fmt, localizeTimes, pageData, phone, toast } from "./ui.js";
import { startPopPanel } from "./pop.js";
import { ringForCall, startSoftphone } from "./softphone.js";

// A call button next to every phone number (_macros.html): the PBX rings the operator first;
// through this tab's softphone, which answers by itself, when it holds one.
async function clickToCall(button) {
  const number = button.dataset.phone;
  button.disabled = true;
  const placing = toast(fmt("call.placing", { phone: phone(number) }), "info");
  try {
    const ring = await ringForCall();
    await api("POST", "/api/v1/calls/originate", ring ? { phone: number, ring: ring } : { phone: number });
    placing.remove();
    toast(fmt("call.connected", { phone: phone(number) }), "ok");
  } catch (error) {
    placing.remove();
    toast(fmt("call.failed", { message: error.message }), "error");
  } finally {
    button.disabled = false;
  }
}

async function setPresence(presence, button) {
  try {
    await api("PUT", `/api/v1/managers/${pageData().me}/status`, { status: button.dataset.status });
    for (const other of presence.querySelectorAll("button[data-status]")) {
      other.setAttribute("aria-pressed", String(other === button));
    }
  } catch (error) {
    toast(fmt("presence.failed", { message: error.message }), "error");
  }
}

function start() {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.call");
    if (!button) return;
    event.preventDefault();
    clickToCall(button);
  });
  const presence = document.getElementById("presence");
  if (presence) {
    presence.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-status]");
      if (button) setPresence(presence, button);
    });
  }
  // The server renders UTC; forms with a datetime-local send the browser's offset along.
  localizeTimes(document);
  for (const input of document.querySelectorAll('input[name="tz_offset"]')) {
    input.value = String(new Date().getTimezoneOffset());
  }
  startPopPanel(document.getElementById("pops"), document.getElementById("ws-state"));
  if (pageData().softphone) startSoftphone(document.getElementById("softphone"));
}

if (document.getElementById("page-data")) start();
