// "Call me back" for the shop's own pages. The shop puts one tag where the form should be:
//
//   <script src="https://cc.shop.example/static/callback-widget.js" data-lang="ru" async></script>
//
// and this draws a small form there (or inside the element data-target="#css-selector" names):
// the visitor's phone, an order number and a name (both optional). It posts them, cross-origin,
// to this service's public endpoint POST /api/v1/web-callbacks (CORS for the origins in
// CALLCENTER_CALLBACK_ORIGINS; it sends no cookies, so there is no session and no CSRF token).
//
// It runs on a foreign page, so it is a plain script that imports nothing: it cannot import the
// workplace's /static/ui.js (an ES module of this origin built on the workplace's page data,
// session and CSRF token), and it shares no names or styles with the shop's page (a shadow root
// of its own). Everything it shows is text (textContent), never markup: the labels come from the
// service (GET /api/v1/web-callbacks/form?lang=), the answer and the errors are the server's
// words, in the visitor's language: data-lang="ru" or "en", else the browser's language.
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || !script.src) return;
  const endpoint = new URL("../api/v1/web-callbacks", script.src).href;

  const STYLE = `
    :host { all: initial; display: block; font: 15px/1.4 system-ui, sans-serif; color: #1d1d1f; }
    form, .done { display: grid; gap: .5rem; max-width: 22rem; padding: 1rem;
      border: 1px solid #d0d0d5; border-radius: .5rem; background: #fff; }
    .title { font-weight: 600; font-size: 1.05em; }
    label { display: grid; gap: .2rem; }
    input { font: inherit; padding: .4rem .5rem; border: 1px solid #b8b8c0; border-radius: .3rem; }
    input[aria-invalid="true"] { border-color: #b00020; }
    .error, .status.failed { color: #b00020; font-size: .9em; margin: 0; }
    .status { margin: 0; min-height: 1.2em; }
    .trap { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
    button { font: inherit; padding: .5rem .8rem; border: 0; border-radius: .3rem;
      background: #1d5bd8; color: #fff; cursor: pointer; }
    button:disabled { opacity: .6; cursor: default; }`;

  // ru or en: the tag's data-lang, else the first of the browser's languages that is one.
  function pickLanguage(wanted) {
    const tags = [wanted, ...(navigator.languages || [navigator.language])];
    for (const tag of tags) {
      const text = String(tag || "").toLowerCase();
      if (text.startsWith("ru")) return "ru";
      if (text.startsWith("en")) return "en";
    }
    return "en";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // Where the form goes: data-target's element, else right after the tag (in <body>).
  function host() {
    const node = el("div", "cc-callback");
    const selector = script.getAttribute("data-target");
    const target = selector ? document.querySelector(selector) : null;
    if (target) target.appendChild(node);
    else if (script.parentNode && script.parentNode !== document.head) script.after(node);
    else document.body.appendChild(node);
    const root = node.attachShadow ? node.attachShadow({ mode: "open" }) : node;
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLE);
        root.adoptedStyleSheets = [sheet];
      } catch (error) { /* unstyled, still working */ }
    }
    return { node, root };
  }

  function field(form, S, name, attributes) {
    const label = el("label", "", S[name]);
    const input = el("input");
    input.name = name;
    Object.assign(input, attributes);
    label.append(input);
    const error = el("p", "error");
    error.hidden = true;
    error.setAttribute("aria-live", "polite");
    form.append(label, error);
    return { input, error };
  }

  function buildForm(root, S) {
    const form = el("form");
    form.noValidate = true;
    form.append(el("div", "title", S.title));
    const fields = {
      phone: field(form, S, "phone", { type: "tel", autocomplete: "tel", required: true, maxLength: 40 }),
      order: field(form, S, "order", { type: "text", autocomplete: "off", maxLength: 40 }),
      name: field(form, S, "name", { type: "text", autocomplete: "name", maxLength: 100 }),
    };
    // The honeypot: out of sight and out of the tab order; a person leaves it empty.
    const trap = el("div", "trap");
    trap.setAttribute("aria-hidden", "true");
    const bait = field(trap, S, "trap", { type: "text", autocomplete: "off", tabIndex: -1 });
    bait.input.name = "homepage";
    form.append(trap);
    const button = el("button", "", S.send);
    button.type = "submit";
    const status = el("p", "status");
    status.setAttribute("role", "status");
    form.append(button, status);
    root.append(form);
    return { form, fields, bait: bait.input, button, status };
  }

  function clear(ui) {
    for (const { input, error } of Object.values(ui.fields)) {
      error.hidden = true;
      error.textContent = "";
      input.removeAttribute("aria-invalid");
    }
    ui.status.textContent = "";
    ui.status.className = "status";
  }

  // The server's words: the answer in place of the form, or each field's error beside it.
  function show(ui, node, response, payload, S) {
    ui.button.disabled = false;
    ui.status.textContent = "";
    if (response.status === 202 && payload && payload.message) {
      const done = el("p", "done", payload.message);
      done.setAttribute("role", "status");
      ui.form.replaceWith(done);
      node.setAttribute("data-state", payload.status || "sent");
      return;
    }
    const error = payload && payload.error;
    let shown = false;
    for (const item of (error && error.details && error.details.fields) || []) {
      const target = ui.fields[item.field];
      if (!target) continue;
      target.error.textContent = item.message;
      target.error.hidden = false;
      target.input.setAttribute("aria-invalid", "true");
      shown = true;
    }
    if (!shown) {
      ui.status.textContent = error && error.message ? error.message : S.network;
      ui.status.className = "status failed";
    }
    node.setAttribute("data-state", "refused");
  }

  function send(ui, node, lang, S) {
    clear(ui);
    const body = { phone: ui.fields.phone.input.value, lang: lang };
    for (const name of ["order", "name"]) {
      const value = ui.fields[name].input.value.trim();
      if (value) body[name] = value;
    }
    if (ui.bait.value) body.homepage = ui.bait.value;
    ui.button.disabled = true;
    ui.status.textContent = S.sending;
    fetch(endpoint, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then((response) => response.json().catch(() => null)
        .then((payload) => show(ui, node, response, payload, S)))
      .catch(() => {
        ui.button.disabled = false;
        ui.status.textContent = S.network;
        ui.status.className = "status failed";
      });
  }

  async function start() {
    const lang = pickLanguage(script.getAttribute("data-lang"));
    let S;
    try {
      const response = await fetch(`${endpoint}/form?lang=${lang}`, { mode: "cors", credentials: "omit" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      S = (await response.json()).strings;
    } catch (error) {
      // The service is out of reach (or this site is not one of its origins): no form that
      // could not be sent.
      console.warn("callback widget: the call centre did not answer", error);
      return;
    }
    const { node, root } = host();
    const ui = buildForm(root, S);
    node.setAttribute("data-state", "ready");
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(ui, node, lang, S);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
