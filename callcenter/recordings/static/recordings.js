// The recordings page: a player over /api/v1/recordings/{id}/audio (the server answers HTTP
// Range, so the browser seeks without downloading everything), the waveform drawn from the
// recording's peaks with the position moving over it (click to seek), playback speed, and the
// supervisors' score + comment (PUT .../review with the page's CSRF token).
"use strict";

(function () {
  const player = document.getElementById("player");
  if (!player) return;
  const S = JSON.parse(document.getElementById("rec-strings").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const audio = document.getElementById("rec-audio");
  const canvas = document.getElementById("rec-wave");
  const playButton = document.getElementById("rec-play");
  const timeLabel = document.getElementById("rec-time");
  const download = document.getElementById("rec-download");
  const errorBox = document.getElementById("player-error");
  const meta = document.getElementById("player-meta");
  const form = document.getElementById("review-form");
  const readonly = document.getElementById("review-readonly");
  const reviewState = document.getElementById("review-state");
  let current = null; // the RecordingDetail playing
  let frame = 0;

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function duration() {
    if (isFinite(audio.duration) && audio.duration > 0) return audio.duration;
    return (current && current.duration_seconds) || 0;
  }

  function showError(text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  // --- the waveform -------------------------------------------------------------------------

  function draw() {
    const ctx = canvas.getContext("2d");
    const width = canvas.width;
    const height = canvas.height;
    ctx.clearRect(0, 0, width, height);
    const peaks = (current && current.peaks) || [];
    const total = duration();
    const played = total ? Math.min(1, audio.currentTime / total) : 0;
    const n = peaks.length || 1;
    const bar = width / n;
    for (let i = 0; i < peaks.length; i++) {
      const h = Math.max(1, peaks[i] * (height - 4));
      ctx.fillStyle = (i + 0.5) / n <= played ? "#1565c0" : "#9fb3c8";
      ctx.fillRect(i * bar, (height - h) / 2, Math.max(1, bar - 1), h);
    }
    const x = played * width;
    ctx.fillStyle = "#b00020";
    ctx.fillRect(Math.min(width - 2, x), 0, 2, height);
    timeLabel.textContent = `${clock(audio.currentTime)} / ${clock(total)}`;
    canvas.dataset.position = played.toFixed(4);
  }

  function animate() {
    draw();
    frame = audio.paused ? 0 : requestAnimationFrame(animate);
  }

  canvas.addEventListener("click", (event) => {
    const total = duration();
    if (!current || !total) return;
    const rect = canvas.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
    audio.currentTime = fraction * total;
    draw();
  });

  // --- playback -----------------------------------------------------------------------------

  playButton.addEventListener("click", () => {
    if (!current) return;
    if (audio.paused) {
      audio.play().catch((err) => showError(`${S.failed}: ${err.message}`));
    } else {
      audio.pause();
    }
  });
  audio.addEventListener("play", () => {
    playButton.textContent = S.pause;
    if (!frame) frame = requestAnimationFrame(animate);
  });
  audio.addEventListener("pause", () => {
    playButton.textContent = S.play;
    draw();
  });
  audio.addEventListener("timeupdate", draw);
  audio.addEventListener("seeked", draw);
  audio.addEventListener("loadedmetadata", draw);
  audio.addEventListener("error", () => {
    if (current) showError(S.failed);
  });

  document.querySelectorAll("[data-rate]").forEach((button) => {
    button.addEventListener("click", () => {
      const rate = Number(button.dataset.rate);
      audio.playbackRate = rate;
      audio.defaultPlaybackRate = rate;
      document.querySelectorAll("[data-rate]").forEach((b) => {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
    });
  });

  // --- the review ---------------------------------------------------------------------------

  function fillReview(review) {
    if (form) {
      form.querySelectorAll('input[name="score"]').forEach((input) => {
        input.checked = Boolean(review) && Number(input.value) === review.score;
      });
      form.elements.comment.value = review ? review.comment : "";
      reviewState.textContent = "";
      form.querySelectorAll("[data-error-for]").forEach((node) => { node.hidden = true; });
    } else if (readonly) {
      readonly.textContent = review
        ? `${S.reviewed}: ${review.score}/5${review.comment ? " · " + review.comment : ""}`
        : S.not_reviewed;
    }
  }

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!current) return;
      form.querySelectorAll("[data-error-for]").forEach((node) => { node.hidden = true; });
      const checked = form.querySelector('input[name="score"]:checked');
      const body = {
        score: checked ? Number(checked.value) : null,
        comment: form.elements.comment.value,
      };
      reviewState.textContent = "";
      const response = await fetch(`/api/v1/recordings/${current.id}/review`, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        current = data;
        reviewState.textContent = S.saved;
        const cell = document.querySelector(`tr[data-rec-id="${data.id}"] .rec-score`);
        if (cell && data.review) cell.textContent = String(data.review.score);
        return;
      }
      const fields = (data.error && data.error.details && data.error.details.fields) || [];
      let shown = false;
      fields.forEach((f) => {
        const name = String(f.field).split(".").find(
          (part) => form.querySelector(`[data-error-for="${part}"]`));
        const node = name && form.querySelector(`[data-error-for="${name}"]`);
        if (node) {
          node.textContent = f.message;
          node.hidden = false;
          shown = true;
        }
      });
      if (!shown) {
        reviewState.textContent = `${S.failed}: ${(data.error && data.error.message) || response.status}`;
      }
    });
  }

  // --- opening a recording ------------------------------------------------------------------

  async function open(id) {
    showError("");
    const response = await fetch(`/api/v1/recordings/${id}`, { credentials: "same-origin" });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      player.hidden = false;
      showError(`${S.failed}: ${(data.error && data.error.message) || response.status}`);
      return;
    }
    current = data;
    player.hidden = false;
    player.dataset.recId = data.id;
    document.querySelectorAll("tr[data-rec-id]").forEach((row) => {
      if (row.dataset.recId === data.id) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
    const when = new Date(data.started_at.endsWith("Z") || /[+-]\d\d:\d\d$/.test(data.started_at)
      ? data.started_at : data.started_at + "Z");
    meta.textContent = `#${data.call_id} · ${when.toLocaleString()}${data.phone ? " · " + data.phone : ""}`;
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
    fillReview(data.review);
    draw();
  }

  document.querySelectorAll("button.rec-open").forEach((button) => {
    button.addEventListener("click", () => open(button.dataset.recId));
  });
  if (player.dataset.selected) open(player.dataset.selected);
})();
