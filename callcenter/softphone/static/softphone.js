// The browser's softphone in the workplace (_softphone.html), with JsSIP over WSS to Asterisk.
//
// The workplace is pages, not one page: every page of the tab registers again, and Asterisk
// drops a contact whose WebSocket closed, so moving between pages leaves no stale contact and
// the endpoint's single contact (max_contacts = 1) is free again. What that means for people:
// - One tab holds the phone (a Web Lock per manager); another tab of the same manager says so
//   and offers to move the phone, which the holder refuses while it is on a call: a call is
//   never taken away silently.
// - During a call, following a link would end it: links open in a new tab instead, and
//   leaving the page asks first.
// - A second browser of the same manager is refused by Asterisk (403) and says so.
// Media goes between the browser and Asterisk (DTLS-SRTP); the service only hands the
// manager's own account to the manager's own session.
import { api, byId, clearErrors, clock, fmt, pageData, phone, putError, toast } from "./ui.js";

const JSSIP = "/static/vendor/jssip/jssip.min.js";
// After a failure: 3 s, doubling to a minute; a registration resets it.
const RETRY_MS = [3000, 60000];
// Click-to-call (and anything else the service originates to the browser) asks for this.
const AUTO_ANSWER = /answer-after=0|auto[-_ ]?answer/i;

const phoneState = { ua: null, session: null, account: null, stream: null, stopping: false, retries: 0 };
let ui = null;

function show(state, text) {
  ui.root.dataset.state = state;
  ui.state.textContent = text;
}

function loadJsSip() {
  if (globalThis.JsSIP) return Promise.resolve(globalThis.JsSIP);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = JSSIP;
    script.onload = () => resolve(globalThis.JsSIP);
    script.onerror = () => reject(new Error(JSSIP));
    document.head.append(script);
  });
}

// The microphone first: without it there is nothing to register for.
async function microphone() {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  } catch (error) {
    const refused = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
    throw new PhoneError(refused ? "phone.error.mic_refused" : "phone.error.no_mic", true);
  }
}

class PhoneError extends Error {
  constructor(key, retry, params) {
    super(key);
    this.key = key;
    this.retry = retry;
    this.params = params || {};
  }
}

const ACCOUNT_ERRORS = { 401: "phone.error.session", 403: "phone.error.session", 409: "phone.error.no_extension", 503: "phone.error.not_set_up" };

async function fetchAccount() {
  try {
    return await api("GET", "/api/v1/softphone/account");
  } catch (error) {
    const key = ACCOUNT_ERRORS[error.status];
    // Not reached (the network) or not ready yet (503 while it is written): try again.
    throw new PhoneError(key || "phone.error.failed", error.status !== 401 && error.status !== 409,
      { message: error.message });
  }
}

function failed(error) {
  const key = error instanceof PhoneError ? error.key : "phone.error.failed";
  show("error", fmt(key, error instanceof PhoneError ? error.params : { message: String(error) }));
  if (error instanceof PhoneError && !error.retry) return;
  setTimeout(connect, Math.min(RETRY_MS[1], RETRY_MS[0] * 2 ** phoneState.retries));
  phoneState.retries += 1;
}

async function connect() {
  if (phoneState.stopping) return;
  show("starting", fmt("phone.starting"));
  try {
    phoneState.stream = phoneState.stream || await microphone();
    phoneState.account = await fetchAccount();
    startAgent(await loadJsSip(), phoneState.account);
  } catch (error) {
    failed(error);
  }
}

function startAgent(JsSIP, account) {
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(account.ws_url)],
    uri: account.uri,
    authorization_user: account.user,
    realm: account.realm,
    ha1: account.ha1,
    display_name: account.display_name,
    register: true,
    register_expires: 300,
    session_timers: false,
    user_agent: "callcenter-softphone",
  });
  phoneState.ua = ua;
  ua.on("registered", () => {
    phoneState.retries = 0;
    if (!phoneState.session) show("ready", fmt("phone.ready"));
  });
  ua.on("disconnected", () => {
    if (!phoneState.stopping) show("reconnecting", fmt("phone.reconnecting"));
  });
  ua.on("registrationFailed", (event) => registrationFailed(ua, event));
  ua.on("newRTCSession", (event) => {
    if (event.originator === "remote") incoming(event.session, event.request);
  });
  ua.start();
}

// 403: the endpoint's one contact is another browser's. 401 again: the account is stale (a new
// extension) or the session is gone; the account is fetched again after a pause either way.
function registrationFailed(ua, event) {
  const status = event.response ? event.response.status_code : 0;
  ua.stop();
  if (phoneState.ua === ua) phoneState.ua = null;
  const key = status === 403 ? "phone.error.elsewhere"
    : event.cause === globalThis.JsSIP.C.causes.AUTHENTICATION_ERROR ? "phone.error.auth"
      : "phone.error.failed";
  failed(new PhoneError(key, true, { message: event.cause }));
}

// --- a call -------------------------------------------------------------------------------------

function peerOf(request) {
  const from = request.from;
  const user = (from.uri && from.uri.user) || "";
  const number = user.startsWith("+") ? phone(user) : user;
  const name = from.display_name && from.display_name !== user ? from.display_name : "";
  return name && number ? `${name} · ${number}` : name || number;
}

function incoming(session, request) {
  if (phoneState.session) {
    session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
    return;
  }
  phoneState.session = session;
  const call = { peer: peerOf(request), started: null, timer: null };
  ui.peer.textContent = fmt("phone.ringing", { peer: call.peer });
  ui.call.hidden = false;
  setButtons("ringing");
  show("ringing", fmt("phone.ringing", { peer: call.peer }));
  session.on("peerconnection", (event) => hearRemote(event.peerconnection));
  session.on("confirmed", () => talking(call));
  session.on("hold", () => show("talking", fmt("phone.on_hold", { peer: call.peer })));
  session.on("unhold", () => show("talking", fmt("phone.talking", { peer: call.peer })));
  session.on("ended", () => ended(call, null));
  session.on("failed", (event) => ended(call, event));
  ring.start();
  const header = `${request.getHeader("Call-Info") || ""} ${request.getHeader("Alert-Info") || ""}`;
  if (AUTO_ANSWER.test(header)) answer();
}

function hearRemote(connection) {
  connection.addEventListener("track", (event) => {
    ui.audio.srcObject = event.streams[0] || new MediaStream([event.track]);
    ui.audio.play().catch(() => {});
  });
}

function answer() {
  const session = phoneState.session;
  if (!session || !session.isInProgress()) return;
  ring.stop();
  session.answer({
    mediaStream: phoneState.stream,
    // Asterisk offers its own addresses; no STUN server is asked (private networks).
    pcConfig: { iceServers: [] },
  });
}

function talking(call) {
  ring.stop();
  call.started = Date.now();
  setButtons("talking");
  show("talking", fmt("phone.talking", { peer: call.peer }));
  ui.peer.textContent = call.peer;
  const tick = () => { ui.clock.textContent = clock((Date.now() - call.started) / 1000); };
  tick();
  call.timer = setInterval(tick, 1000);
}

function ended(call, event) {
  ring.stop();
  clearInterval(call.timer);
  phoneState.session = null;
  ui.call.hidden = true;
  ui.clock.textContent = "";
  ui.audio.srcObject = null;
  for (const button of ui.root.querySelectorAll("[aria-pressed]")) button.setAttribute("aria-pressed", "false");
  show("ready", fmt("phone.ready"));
  const missed = event && event.originator === "remote" && !call.started;
  const canceled = event && event.cause === globalThis.JsSIP.C.causes.CANCELED;
  if (event && event.originator === "system" && !canceled) {
    toast(fmt("phone.error.call_failed", { cause: event.cause }), "error");
  } else if (call.started || !missed) {
    toast(fmt("phone.ended"), "info");
  }
  if (!phoneState.ua || !phoneState.ua.isRegistered()) show("reconnecting", fmt("phone.reconnecting"));
}

function setButtons(stage) {
  const only = { ringing: ["answer", "hangup"], talking: ["hangup", "mute", "hold"] }[stage];
  for (const button of ui.root.querySelectorAll("[data-phone]")) {
    button.hidden = !only.includes(button.dataset.phone);
  }
  ui.keypad.hidden = stage !== "talking";
  ui.transfer.hidden = stage !== "talking";
}

function toggle(button, on, off, labels) {
  const pressed = button.getAttribute("aria-pressed") !== "true";
  (pressed ? on : off)();
  button.setAttribute("aria-pressed", String(pressed));
  button.textContent = fmt(pressed ? labels[1] : labels[0]);
}

function control(button) {
  const session = phoneState.session;
  if (!session) return;
  const action = button.dataset.phone;
  if (action === "answer") answer();
  else if (action === "hangup") session.terminate();
  else if (action === "mute") {
    toggle(button, () => session.mute({ audio: true }), () => session.unmute({ audio: true }), ["phone.mute", "phone.unmute"]);
  } else if (action === "hold") {
    toggle(button, () => session.hold(), () => session.unhold(), ["phone.hold", "phone.unhold"]);
  }
}

// A blind transfer to a colleague's extension: Asterisk takes the REFER and rings them in the
// managers' context; this leg then ends.
function transfer(form) {
  clearErrors(form);
  const target = String(form.elements.target.value).trim();
  const error = form.querySelector('[data-error-for="target"]');
  if (!/^\d{2,6}$/.test(target)) {
    putError(error, fmt("phone.transfer_bad"));
    form.elements.target.setAttribute("aria-invalid", "true");
    return;
  }
  const session = phoneState.session;
  if (!session) return;
  const host = new URL(phoneState.account.uri.replace(/^sip:/, "sip://")).hostname;
  // The PBX's NOTIFY says how it went: a 2xx means the customer is on the way to the
  // colleague, and this leg is hung up (RFC 5589: the transferor ends its own dialog).
  const refused = (event) => putError(error, fmt("phone.error.call_failed", { cause: event.cause }));
  session.refer(`sip:${target}@${host}`, {
    eventHandlers: {
      requestFailed: refused,
      failed: refused,
      accepted: () => {
        toast(fmt("phone.transferred", { peer: target }), "ok");
        if (phoneState.session === session) session.terminate();
      },
    },
  });
  form.reset();
}

// A ring in the tab: 425 Hz, one second on, three off (the Russian ringback), while it rings.
const ring = {
  context: null,
  timer: null,
  start() {
    try {
      this.context = this.context || new AudioContext();
    } catch (error) {
      return;
    }
    const beep = () => {
      const tone = this.context.createOscillator();
      const level = this.context.createGain();
      level.gain.value = 0.1;
      tone.frequency.value = 425;
      tone.connect(level).connect(this.context.destination);
      tone.start();
      tone.stop(this.context.currentTime + 1);
    };
    beep();
    this.timer = setInterval(beep, 4000);
  },
  stop() {
    clearInterval(this.timer);
    this.timer = null;
  },
};

// --- one tab holds the phone ---------------------------------------------------------------------

function lockName() {
  return `callcenter-softphone-${pageData().me}`;
}

// Holds the lock until the page goes or another tab takes the phone over.
function holdPhone(channel) {
  return new Promise((release) => {
    channel.onmessage = (event) => {
      if (!event.data || event.data.type !== "take-over") return;
      if (phoneState.session) {
        channel.postMessage({ type: "busy" });
        return;
      }
      stopAgent();
      show("other_tab", fmt("phone.moved"));
      release();
    };
    ui.takeOver.hidden = true;
    connect();
  });
}

function stopAgent() {
  phoneState.stopping = true;
  if (phoneState.ua) phoneState.ua.stop();
  phoneState.ua = null;
}

function waitForPhone(channel) {
  show("other_tab", fmt("phone.other_tab"));
  ui.takeOver.hidden = false;
  channel.onmessage = (event) => {
    if (event.data && event.data.type === "busy") show("other_tab", fmt("phone.busy_elsewhere"));
  };
  ui.takeOver.onclick = () => {
    channel.postMessage({ type: "take-over" });
    navigator.locks.request(lockName(), () => {
      phoneState.stopping = false;
      return holdPhone(channel);
    });
  };
}

function claimPhone() {
  const channel = new BroadcastChannel(lockName());
  if (!navigator.locks) return holdPhone(channel);
  return navigator.locks.request(lockName(), { ifAvailable: true }, (lock) => {
    if (lock) return holdPhone(channel);
    waitForPhone(channel);
    return null;
  });
}

// --- click-to-call ------------------------------------------------------------------------------

// Which phone a click-to-call from this page rings: "browser" when this tab holds the phone and
// it is registered (waiting a moment for a page that has just loaded), else undefined (the
// service picks by what the PBX reports).
export async function ringForCall(waitMs = 5000) {
  if (!ui || ui.root.dataset.state === "other_tab") return undefined;
  const deadline = Date.now() + waitMs;
  while (!(phoneState.ua && phoneState.ua.isRegistered()) && Date.now() < deadline) {
    if (ui.root.dataset.state === "error") return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return phoneState.ua && phoneState.ua.isRegistered() ? "browser" : undefined;
}

// --- the page around a call -------------------------------------------------------------------------

function keepCallAcrossLinks(event) {
  if (!phoneState.session || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.hash && url.pathname === location.pathname) return;
  event.preventDefault();
  window.open(url.href, "_blank", "noopener");
  toast(fmt("phone.new_tab"), "info");
}

export function startSoftphone(root) {
  if (!root) return;
  ui = {
    root: root,
    state: byId("softphone-state"),
    takeOver: byId("softphone-take-over"),
    call: byId("softphone-call"),
    peer: byId("softphone-peer"),
    clock: byId("softphone-clock"),
    keypad: root.querySelector(".softphone-keypad"),
    transfer: byId("softphone-transfer"),
    audio: byId("softphone-audio"),
  };
  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-phone]");
    if (button) control(button);
    const key = event.target.closest("[data-dtmf]");
    if (key && phoneState.session) phoneState.session.sendDTMF(key.dataset.dtmf, { transportType: "RFC2833" });
  });
  ui.transfer.addEventListener("submit", (event) => {
    event.preventDefault();
    transfer(ui.transfer);
  });
  document.addEventListener("click", keepCallAcrossLinks);
  window.addEventListener("beforeunload", (event) => {
    if (phoneState.session) event.preventDefault();
  });
  window.addEventListener("pagehide", stopAgent);
  claimPhone();
}
