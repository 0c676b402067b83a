// What every page script shares: the page's data and strings, the JSON API with the session's
// CSRF token, money, phones, local times, clocks, field errors, toasts and a reconnecting
// socket. An ES module with no side effects: page scripts import what they use from here.
//
// Phones follow the server's rule (core/phones.py phone_display: phonenumbers, INTERNATIONAL):
// the same Google metadata, through the vendored libphonenumber-js (scripts/vendor-js.sh).
import "./vendor/libphonenumber-js/libphonenumber-max.js";

const phoneLib = globalThis.libphonenumber;

// --- the page's data and strings ------------------------------------------------------------

const parsed = new Map();

// The JSON of <script type="application/json" id="...">, or null when the page has none.
export function readJson(id) {
  if (!parsed.has(id)) {
    const node = document.getElementById(id);
    parsed.set(id, node ? JSON.parse(node.textContent) : null);
  }
  return parsed.get(id);
}

// The workplace's page-data (app.html): lang, me, managers and the shared strings.
export function pageData() {
  return readJson("page-data") || { lang: document.documentElement.lang, me: null, managers: {}, strings: {} };
}

let dictionary = null;

// The strings the page's texts come from; a page script adds its own (live-strings, ...).
export function strings(more) {
  if (!dictionary) dictionary = Object.assign({}, pageData().strings);
  if (more) Object.assign(dictionary, more);
  return dictionary;
}

// A string with its {placeholders} filled; the key itself when the string is missing.
export function fmt(key, params) {
  const text = strings()[key] || key;
  return text.replace(/\{(\w+)\}/g, (all, name) =>
    params && name in params ? String(params[name]) : all);
}

// A manager's phone in words: Asterisk's device state (NOT_INUSE, INUSE, RINGING...) as the
// string device.<state> (core/i18n.py DEVICE_STATES; the page passes them). A state with no
// words is "unknown"; none reported yet is "—". Shown with textContent, so never markup.
export function deviceState(state) {
  if (!state) return "—";
  const words = strings();
  const key = `device.${String(state).toLowerCase()}`;
  return Object.hasOwn(words, key) ? words[key] : (words["device.unknown"] || "—");
}

export function locale() {
  return pageData().lang === "ru" ? "ru-RU" : "en-GB";
}

// --- numbers, phones, times -----------------------------------------------------------------

export function money(value) {
  const amount = new Intl.NumberFormat(locale(), {
    minimumFractionDigits: 2, maximumFractionDigits: 2,
  }).format(Number(value || 0));
  return fmt("money", { amount: amount });
}

// The formats of a country calling code's main country: Google's format() uses those whichever
// of the code's countries a number is in (+7 is RU's for KZ numbers too).
const formatsByCode = new Map();

function formatsFor(callingCode) {
  if (!formatsByCode.has(callingCode)) {
    const metadata = new phoneLib.Metadata().selectNumberingPlan(callingCode);
    formatsByCode.set(callingCode, { formats: metadata.numberingPlan.formats(), ext: metadata.numberingPlan.ext() });
  }
  return formatsByCode.get(callingCode);
}

// Google's INTERNATIONAL format of a parsed number: the first format whose leading digits and
// pattern match, with the metadata's own separators. (libphonenumber-js's formatInternational()
// turns every hyphen into a space on purpose: "+7 916 123 45 67", "+1 212 555 0123".)
function international(number) {
  const nsn = number.nationalNumber;
  const plan = formatsFor(number.countryCallingCode);
  const format = plan.formats.find((f) => {
    const leading = f.leadingDigitsPatterns();
    if (leading.length && nsn.search(new RegExp(leading[leading.length - 1])) !== 0) return false;
    return new RegExp(`^(?:${f.pattern()})$`).test(nsn);
  });
  const digits = format ? nsn.replace(new RegExp(format.pattern()), format.internationalFormat()) : nsn;
  return `+${number.countryCallingCode} ${digits}${number.ext ? plan.ext + number.ext : ""}`;
}

// A phone as the server shows it (core/phones.py phone_display: phonenumbers' INTERNATIONAL,
// "+7 916 123-45-67", "+44 20 7946 0958"); what does not parse as an international number is
// shown as it is.
export function phone(e164) {
  const text = e164 || "";
  if (!text.startsWith("+")) return text;
  let number;
  try {
    number = phoneLib.parsePhoneNumberWithError(text);
  } catch (error) {
    return text;
  }
  return international(number);
}

// The API's datetimes are naive UTC ("2026-06-15T12:00:00"); ones with an offset are kept.
export function utcDate(iso) {
  const text = String(iso || "");
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
}

export function localTime(iso) {
  if (!iso) return "—";
  const date = utcDate(iso);
  if (isNaN(date)) return iso;
  return date.toLocaleString(locale(), { dateStyle: "short", timeStyle: "short" });
}

// Every <time datetime> under root, in this browser's time zone (the server renders UTC).
export function localizeTimes(root) {
  for (const node of root.querySelectorAll("time[datetime]")) {
    node.textContent = localTime(node.getAttribute("datetime"));
  }
}

// A duration: "04:05", or "1:02:03" from an hour on.
export function clock(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

// --- form values ------------------------------------------------------------------------------

// Sent as typed (a number when it is one): the API says what is wrong with it.
export function typed(raw) {
  const text = String(raw).trim();
  return text !== "" && !isNaN(Number(text)) ? Number(text) : text;
}

// Several values typed into one field, by commas or semicolons.
export function splitList(text) {
  return String(text).split(/[,;]/).map((s) => s.trim()).filter(Boolean);
}

// --- the JSON API -----------------------------------------------------------------------------

// A refused request: status 0 when the server was not reached; code, message and details
// from the API's {"error": {...}} (a 422 names its fields in details.fields).
export class ApiError extends Error {
  constructor(status, error, fallback) {
    super((error && error.message) || fallback);
    this.name = "ApiError";
    this.status = status;
    this.code = (error && error.code) || "";
    this.details = (error && error.details) || {};
  }
}

// A refusal in the reader's words: the string <prefix><code> when the page passed one (a page
// passes those of the codes its API answers with), "error.network" when the server was not
// reached, else the API's own message.
export function errorText(error, prefix = "error.code.") {
  const words = strings();
  const key = error && error.status === 0 ? "error.network" : `${prefix}${error && error.code}`;
  if (Object.hasOwn(words, key)) return words[key];
  return String((error && error.message) || error);
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// The API's JSON answer (null when it has none); a refusal throws an ApiError.
export async function api(method, url, body, options) {
  const headers = { "X-CSRF-Token": csrfToken() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, Object.assign({
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }, options));
  } catch (error) {
    throw new ApiError(0, null, String(error.message || error));
  }
  let payload = null;
  try { payload = await response.json(); } catch (e) { payload = null; }
  if (!response.ok) throw new ApiError(response.status, payload && payload.error, `HTTP ${response.status}`);
  return payload;
}

// --- the page -----------------------------------------------------------------------------------

export const byId = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// A message node that hides while it has nothing to say.
export function reveal(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}

export function toast(text, kind) {
  const node = el("p", `toast ${kind}`, text);
  document.getElementById("toasts").prepend(node);
  setTimeout(() => node.remove(), kind === "error" ? 15000 : 6000);
  return node;
}

// --- field errors -------------------------------------------------------------------------------

export function clearErrors(root) {
  root.querySelectorAll("[data-error-for]").forEach((node) => {
    node.hidden = true;
    node.textContent = "";
  });
  root.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
}

export function putError(node, text) {
  node.textContent = node.textContent ? `${node.textContent}; ${text}` : text;
  node.hidden = false;
}

// One field's message next to the field it names: "settings.call_from" finds
// data-error-for="settings.call_from", "vip_group.0" finds "vip_group". False when none.
function putFieldError(root, field) {
  const parts = String(field.field).split(".");
  for (let k = parts.length; k > 0; k--) {
    const key = parts.slice(0, k).join(".");
    const node = root.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
    if (!node) continue;
    putError(node, field.message);
    const input = root.querySelector(`[name="${CSS.escape(key.replace(/^settings\./, ""))}"]`);
    if (input) input.setAttribute("aria-invalid", "true");
    return true;
  }
  return false;
}

// An ApiError's details.fields (a 422) next to the fields they name; the rest, or an error
// without fields, goes to data-error-for="". ``skip(field)`` leaves some to another handler.
// False when nothing could be shown (the caller says it some other way).
export function showFieldErrors(root, error, skip) {
  const fields = (error.details && error.details.fields) || [];
  let shown = false;
  for (const field of fields) {
    if (skip && skip(String(field.field))) shown = true;
    else if (putFieldError(root, field)) shown = true;
  }
  if (shown) return true;
  const general = root.querySelector('[data-error-for=""]');
  if (general) putError(general, error.message);
  return Boolean(general);
}

// --- a socket that comes back ---------------------------------------------------------------------

// Opens ws(s)://host{path} and opens it again after a close (500 ms, doubling to 10 s); a close
// with 4401 (logged out) goes to the log-in page. ``on`` has open(), message(data), close().
export function reconnecting(path, on) {
  let retries = 0;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(`${scheme}${location.host}${path}`);
    socket.addEventListener("open", () => {
      retries = 0;
      on.open();
    });
    socket.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      on.message(message);
    });
    socket.addEventListener("close", (event) => {
      on.close();
      if (event.code === 4401) {
        location.href = "/login";
        return;
      }
      setTimeout(connect, Math.min(10000, 500 * 2 ** retries));
      retries += 1;
    });
  }
  connect();
}
