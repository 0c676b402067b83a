// The recordings page (recordings.html): a player over /api/v1/recordings/{id}/audio (the
// server answers HTTP Range, so the browser seeks without downloading everything), the waveform
// drawn from the recording's peaks with the position moving over it (click to seek), playback
// speed, and the supervisors' score + comment (PUT .../review).
import { api, clearErrors, clock, localTime, phone, readJson, reveal, showFieldErrors } from "./ui.js";

const S = readJson("rec-strings") || {};
const player = document.getElementById("player");
const audio = document.getElementById("rec-audio");
const canvas = document.getElementById("rec-wave");
const playButton = document.getElementById("rec-play");
let current = null; // the RecordingDetail playing
let frame = 0;

function duration() {
  if (isFinite(audio.duration) && audio.duration > 0) return audio.duration;
  return (current && current.duration_seconds) || 0;
}

function showError(text) {
  reveal(document.getElementById("player-error"), text);
}

// --- the waveform -------------------------------------------------------------------------

function drawPeaks(ctx, played) {
  const peaks = (current && current.peaks) || [];
  const n = peaks.length || 1;
  const bar = canvas.width / n;
  for (let i = 0; i < peaks.length; i++) {
    const h = Math.max(1, peaks[i] * (canvas.height - 4));
    ctx.fillStyle = (i + 0.5) / n <= played ? "#1565c0" : "#9fb3c8";
    ctx.fillRect(i * bar, (canvas.height - h) / 2, Math.max(1, bar - 1), h);
  }
}

function draw() {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const total = duration();
  const played = total ? Math.min(1, audio.currentTime / total) : 0;
  drawPeaks(ctx, played);
  ctx.fillStyle = "#b00020";
  ctx.fillRect(Math.min(canvas.width - 2, played * canvas.width), 0, 2, canvas.height);
  document.getElementById("rec-time").textContent = `${clock(audio.currentTime)} / ${clock(total)}`;
  canvas.dataset.position = played.toFixed(4);
}

function animate() {
  draw();
  frame = audio.paused ? 0 : requestAnimationFrame(animate);
}

function seek(event) {
  const total = duration();
  if (!current || !total) return;
  const rect = canvas.getBoundingClientRect();
  const fraction = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
  audio.currentTime = fraction * total;
  draw();
}

// --- playback -----------------------------------------------------------------------------

function togglePlay() {
  if (!current) return;
  if (audio.paused) audio.play().catch((err) => showError(`${S.failed}: ${err.message}`));
  else audio.pause();
}

function setRate(button) {
  const rate = Number(button.dataset.rate);
  audio.playbackRate = rate;
  audio.defaultPlaybackRate = rate;
  document.querySelectorAll("[data-rate]").forEach((b) => {
    b.setAttribute("aria-pressed", b === button ? "true" : "false");
  });
}

function bindPlayer() {
  canvas.addEventListener("click", seek);
  playButton.addEventListener("click", togglePlay);
  audio.addEventListener("play", () => {
    playButton.textContent = S.pause;
    if (!frame) frame = requestAnimationFrame(animate);
  });
  audio.addEventListener("pause", () => {
    playButton.textContent = S.play;
    draw();
  });
  for (const name of ["timeupdate", "seeked", "loadedmetadata"]) audio.addEventListener(name, draw);
  audio.addEventListener("error", () => {
    if (current) showError(S.failed);
  });
  document.querySelectorAll("[data-rate]").forEach((button) => {
    button.addEventListener("click", () => setRate(button));
  });
}

// --- the review ---------------------------------------------------------------------------

function fillReview(review) {
  const form = document.getElementById("review-form");
  const readonly = document.getElementById("review-readonly");
  if (form) {
    form.querySelectorAll('input[name="score"]').forEach((input) => {
      input.checked = Boolean(review) && Number(input.value) === review.score;
    });
    form.elements.comment.value = review ? review.comment : "";
    document.getElementById("review-state").textContent = "";
    clearErrors(form);
  } else if (readonly) {
    readonly.textContent = review
      ? `${S.reviewed}: ${review.score}/5${review.comment ? " · " + review.comment : ""}`
      : S.not_reviewed;
  }
}

async function saveReview(form) {
  const state = document.getElementById("review-state");
  clearErrors(form);
  state.textContent = "";
  const checked = form.querySelector('input[name="score"]:checked');
  const body = { score: checked ? Number(checked.value) : null, comment: form.elements.comment.value };
  try {
    current = await api("PUT", `/api/v1/recordings/${current.id}/review`, body);
  } catch (error) {
    if (!showFieldErrors(form, error)) state.textContent = `${S.failed}: ${error.message}`;
    return;
  }
  state.textContent = S.saved;
  const cell = document.querySelector(`tr[data-rec-id="${current.id}"] .rec-score`);
  if (cell && current.review) cell.textContent = String(current.review.score);
}

// --- opening a recording ------------------------------------------------------------------

function showAudio(data) {
  const download = document.getElementById("rec-download");
  audio.pause();
  if (data.audio_url) {
    audio.src = data.audio_url;
    audio.playbackRate = audio.defaultPlaybackRate;
    download.href = `${data.audio_url}?download=1`;
    download.hidden = false;
    playButton.disabled = false;
  } else {
    audio.removeAttribute("src");
    download.hidden = true;
    playButton.disabled = true;
    showError(`${S.failed}: ${data.status}${data.error ? " — " + data.error : ""}`);
  }
  playButton.textContent = S.play;
}

async function open(id) {
  showError("");
  let data;
  try {
    data = await api("GET", `/api/v1/recordings/${id}`);
  } catch (error) {
    player.hidden = false;
    showError(`${S.failed}: ${error.message}`);
    return;
  }
  current = data;
  player.hidden = false;
  player.dataset.recId = data.id;
  document.querySelectorAll("tr[data-rec-id]").forEach((row) => {
    if (row.dataset.recId === data.id) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
  });
  const number = data.phone ? ` · ${phone(data.phone)}` : "";
  document.getElementById("player-meta").textContent = `#${data.call_id} · ${localTime(data.started_at)}${number}`;
  showAudio(data);
  fillReview(data.review);
  draw();
}

function start() {
  bindPlayer();
  const form = document.getElementById("review-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (current) saveReview(form);
    });
  }
  document.querySelectorAll("button.rec-open").forEach((button) => {
    button.addEventListener("click", () => open(button.dataset.recId));
  });
  if (player.dataset.selected) open(player.dataset.selected);
}

if (player) start();
