// Review UI detail panel (snapshot, fields, broadcasts, history) and the two charts.
"use strict";

async function openDetail(id, { focus = true } = {}) {
  // Only the latest open counts: a slow answer must not replace a newer detail or reopen a closed panel.
  const seq = ++state.detailSeq;
  const inc = await apiJson(`/incidents/${encodeURIComponent(id)}`);
  if (seq !== state.detailSeq) return;
  state.detail = inc;
  renderDetail();
  const panel = $("#detail");
  panel.dataset.id = inc.id;
  panel.hidden = false;
  if (focus) panel.focus({ preventScroll: true });
  await showSnapshot(inc);
}

// Everything in the panel is built from state.detail, so a language switch simply renders it again.
function renderDetail() {
  const inc = state.detail;
  if (!inc) return;
  $("#detail-title").textContent = `${t(inc.type)} · ${t(inc.status)}`;
  const fields = [
    ["time", `${fmtTime(inc.ts)} (${state.zone.label})`], ["grid", inc.grid_id && gridName(inc.grid_id)],
    ["drone", inc.drone_id && droneName(inc.drone_id)], ["mission", inc.mission_id],
    ["people", inc.people], ["confidence", inc.confidence == null ? null : inc.confidence.toFixed(2)],
    ["position", inc.lon == null ? null : `${inc.lat.toFixed(6)}, ${inc.lon.toFixed(6)}`],
    ["station", inc.station], ["note", inc.note],
  ];
  $("#detail-fields").replaceChildren(...fields.flatMap(([k, v]) => pair(t(k), v)));
  const extra = Object.entries(inc.details || {});
  $("#detail-extra").replaceChildren(
    ...(extra.length ? extra.flatMap(([k, v]) => pair(k, typeof v === "string" ? v : JSON.stringify(v))) : pair("", t("none"))),
  );
  const li = (text) => el("li", { textContent: text });
  $("#detail-broadcasts").replaceChildren(
    ...(inc.broadcasts.length ? inc.broadcasts.map(broadcastItem) : [li(t("none"))]),
  );
  $("#detail-history").replaceChildren(
    ...(inc.history.length
      ? inc.history.map((h) => li(`${fmtTime(h.at)} ${h.reviewer}: ${t(h.from_status)} → ${t(h.to_status)}${h.note ? " · " + h.note : ""}`))
      : [li(t("none"))]),
  );
}

function pair(key, value) {
  return [el("dt", { textContent: key }), el("dd", { textContent: value ?? "—" })];
}

// The API logs what was said (text, language, kind); it keeps no audio, so the played warning is its text.
function broadcastItem(b) {
  return el("li", { className: "broadcast" },
    el("span", { className: "meta", textContent: `${fmtTime(b.ts)} · ${b.language} · ${b.kind}` }),
    el("q", { textContent: b.text }));
}

async function showSnapshot(inc) {
  const img = $("#detail-snapshot");
  img.hidden = true;
  if (!inc.snapshot_sha) return;
  const resp = await api(`/snapshots/${encodeURIComponent(inc.snapshot_sha)}`);
  if (!resp.ok || !state.detail || state.detail.id !== inc.id) return;
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await resp.blob());
  img.hidden = false;
}

function closeDetail() {
  const panel = $("#detail");
  state.detailSeq += 1;  // also drops a detail still on its way
  if (panel.hidden) return;
  panel.hidden = true;
  const id = state.detail && state.detail.id;
  state.detail = null;
  // Back to the row the panel was opened from, so Tab/Enter review can go on.
  if (id) $(`#incidents tbody tr[data-id="${CSS.escape(id)}"]`)?.focus({ preventScroll: true });
}

// --- charts ------------------------------------------------------------------------------------------------
function drawCharts(stats) {
  // by_hour is in UTC; shift it into the zone the list shows (see pickZone).
  const counts = new Map(stats.by_hour.map((c) => [Number(c.key), c.count]));
  const byHour = Array.from({ length: 24 }, (_, h) => ({
    key: String(h).padStart(2, "0"), count: counts.get((h - state.zone.offsetH + 48) % 24) || 0,
  }));
  columnChart($("#chart-hour"), byHour, "#0057b8", 3);
  const byGrid = stats.by_grid.slice(0, 12).map((c) => ({ ...c, key: c.key === "none" ? "—" : gridName(c.key) }));
  rowChart($("#chart-grid"), byGrid, "#f07d00");
  state.stats = stats;
}
