// The admin's webhook pages (admin_webhooks.html, webhook_deliveries.html), over
// /api/v1/webhooks: add, change, switch off, resume and delete endpoints, make a new secret
// (shown once), read a delivery's tries and send it again. A 422 shows its message next to the
// field it names ("url", "events").
import { api, clearErrors, el, localTime, readJson, showFieldErrors, toast } from "./ui.js";

const S = readJson("webhook-strings");

function endpointOf(form) {
  return {
    name: form.elements.name.value,
    url: form.elements.url.value,
    events: Array.from(form.querySelectorAll('input[name="events"]:checked'), (box) => box.value),
    is_active: form.elements.is_active.checked,
  };
}

function showSecret(secret) {
  const box = document.getElementById("webhook-secret");
  document.getElementById("webhook-secret-value").textContent = secret;
  box.hidden = false;
  box.scrollIntoView();
}

async function save(form) {
  const id = form.dataset.endpointId;
  const state = form.querySelector(".webhook-state");
  clearErrors(form);
  state.textContent = "";
  let answer;
  try {
    answer = await api(id ? "PATCH" : "POST",
      id ? `/api/v1/webhooks/endpoints/${id}` : "/api/v1/webhooks/endpoints", endpointOf(form));
  } catch (error) {
    if (!showFieldErrors(form, error)) state.textContent = `${S.failed}: ${error.message}`;
    return;
  }
  if (!id) {
    // The secret is shown this once: the page stays until the admin has copied it.
    showSecret(answer.secret);
    form.reset();
    state.textContent = S.saved;
    return;
  }
  window.location.reload();
}

async function act(form, action) {
  const id = form.dataset.endpointId;
  const state = form.querySelector(".webhook-state");
  if (action === "delete" && !window.confirm(S.confirm_delete)) return;
  if (action === "secret" && !window.confirm(S.confirm_secret)) return;
  try {
    if (action === "delete") await api("DELETE", `/api/v1/webhooks/endpoints/${id}`);
    if (action === "resume") await api("POST", `/api/v1/webhooks/endpoints/${id}/resume`);
    if (action === "secret") {
      const answer = await api("POST", `/api/v1/webhooks/endpoints/${id}/secret`);
      showSecret(answer.secret);
      return;
    }
  } catch (error) {
    state.textContent = `${S.failed}: ${error.message}`;
    return;
  }
  if (action === "resume") toast(S.resumed, "ok");
  window.location.reload();
}

function triesTable(detail) {
  const table = el("table", "list delivery-tries");
  const head = table.createTHead().insertRow();
  [S.tries, S.status, S.duration].forEach((text) => head.append(el("th", null, text)));
  const body = table.createTBody();
  for (const t of detail.tries) {
    const row = body.insertRow();
    row.append(el("td", null, localTime(t.at)));
    const answer = [t.status_code ? `HTTP ${t.status_code}` : "", t.error || "", t.response || ""];
    row.append(el("td", null, answer.filter(Boolean).join(" · ")));
    row.append(el("td", null, `${t.duration_ms} ms`));
  }
  if (!detail.tries.length) body.insertRow().append(el("td", "muted", S.no_tries));
  return table;
}

async function details(row) {
  const id = row.dataset.deliveryId;
  const target = document.querySelector(`[data-details-for="${CSS.escape(id)}"]`);
  if (!target.hidden) {
    target.hidden = true;
    return;
  }
  const cell = target.querySelector("td");
  try {
    const detail = await api("GET", `/api/v1/webhooks/deliveries/${id}`);
    cell.replaceChildren(triesTable(detail), el("h3", null, S.body),
      el("pre", "delivery-body", JSON.stringify(detail.body, null, 2)));
  } catch (error) {
    cell.replaceChildren(el("p", "bad", `${S.failed}: ${error.message}`));
  }
  target.hidden = false;
}

async function sendAgain(row) {
  try {
    const detail = await api("POST", `/api/v1/webhooks/deliveries/${row.dataset.deliveryId}/send-again`);
    row.querySelector(".delivery-state").textContent = S.sent_again;
    row.className = `delivery delivery-${detail.state}`;
  } catch (error) {
    toast(`${S.failed}: ${error.message}`, "error");
  }
}

document.querySelectorAll("form.webhook-form").forEach((form) => {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(form);
  });
  form.querySelectorAll("[data-action]").forEach((button) =>
    button.addEventListener("click", () => act(form, button.dataset.action)));
});
document.querySelectorAll("tr.delivery").forEach((row) => {
  row.querySelector('[data-action="details"]').addEventListener("click", () => details(row));
  row.querySelector('[data-action="send-again"]').addEventListener("click", () => sendAgain(row));
});
