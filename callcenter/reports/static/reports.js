// The reports page (reports.html): the trend chart, drawn with the vendored Chart.js
// (globalThis.Chart, scripts/vendor-js.sh) from the table beside it, so that the chart and
// the numbers people read are one thing. Without the library the table still stands.
import { locale, readJson } from "./ui.js";

function series(rows, key) {
  return rows.map((row) => {
    const value = row.dataset[key];
    return value === "" ? null : Number(value);
  });
}

function drawTrend() {
  const canvas = document.getElementById("trend-chart");
  const table = document.getElementById("report-trend");
  if (!canvas || !table || !globalThis.Chart) return;
  const S = readJson("report-strings");
  const rows = Array.from(table.tBodies[0].rows);
  const labels = rows.map((row) => row.cells[0].textContent.trim());
  const line = (label, data, axis, dashed) => ({
    label, data, yAxisID: axis, borderDash: dashed ? [6, 4] : [], spanGaps: true, tension: 0.2,
  });
  new globalThis.Chart(canvas, {
    type: "line",
    data: {
      labels,
      datasets: [
        line(S.calls, series(rows, "calls"), "count", false),
        line(S.missed, series(rows, "missed"), "count", false),
        line(S.answered_pct, series(rows, "answeredPct"), "pct", false),
        line(`${S.calls}, ${S.previous}`, series(rows, "prevCalls"), "count", true),
        line(`${S.missed}, ${S.previous}`, series(rows, "prevMissed"), "count", true),
        line(`${S.answered_pct}, ${S.previous}`, series(rows, "prevAnsweredPct"), "pct", true),
      ],
    },
    options: {
      locale: locale(),
      animation: false,
      responsive: false,
      scales: {
        count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
        pct: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
      },
    },
  });
  canvas.dataset.drawn = "true";
}

drawTrend();
