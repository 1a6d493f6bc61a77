// gridpatrol review UI: login, map of grids/incidents/drones, filtered incident list with keyboard review,
// detail panel, charts and live updates (Server-Sent Events read with fetch so the token stays in a header).
//
// Every string that a station, a vehicle or a user can set (grid and drone names, telemetry mode, ids, notes,
// details, broadcast text) reaches the page only as text: textContent, text nodes, new Option(), or DOM nodes
// handed to Leaflet. Nothing here builds HTML from data, and there is no inline script or style, so the page
// runs under a strict Content-Security-Policy.
"use strict";

const GRID_FILL = { white: "#ffffff", green: "#2e9d4a", yellow: "#f2c200", orange: "#f07d00", red: "#d7191c" };
const TYPE_COLOUR = { no_mask: "#d7191c", crowd: "#7b2fbe", other: "#555555" };
// Dots get a dark outline on a white halo (see dotStyle), so a red dot stays visible on a red grid.
const DOT_OUTLINE = "#111111";
const PAGE = 50;          // rows per list page
const MAP_PAGE = 500;     // the server's largest page (page_max)
const MAP_MAX = 5000;     // most incident dots drawn; the map note says when there are more
const OPEN = ["new", "confirmed"];

const state = {
  token: sessionStorage.getItem("gridpatrol.token"),
  user: sessionStorage.getItem("gridpatrol.user"),
  items: [], cursor: null, total: null, current: -1, selected: new Set(),
  detail: null, detailSeq: 0, lastReview: null,
  map: null, gridLayer: null, markers: null, dots: [], dotTotal: 0,
  drones: new Map(), droneNames: new Map(), config: {}, gridNames: new Map(),
  // Each filter change starts a new "load": older responses are aborted and, should one still arrive, ignored.
  load: { seq: 0, abort: null },
  zone: null,
};
const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

// --- API ---------------------------------------------------------------------------------------------------
async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const resp = await fetch(`/api${path}`, { ...options, headers });
  if (resp.status === 401 && !path.startsWith("/auth/login")) {
    showLogin();
    throw new Error("login required");
  }
  return resp;
}

async function apiJson(path, options) {
  const resp = await api(path, options);
  if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status}`);
  return resp.json();
}

const isAbort = (err) => err && err.name === "AbortError";

// --- time zone ---------------------------------------------------------------------------------------------
// One zone for the list, the detail, the date filters and the hour chart, shown next to each of them.
// /api/stats counts hours in UTC; the chart can be shifted into the browser's zone only when that zone is a
// whole number of hours from UTC all year (China: UTC+08:00). Anywhere else everything is shown in UTC,
// so the chart and the list never disagree.
function pickZone() {
  const year = new Date().getFullYear();
  const jan = -new Date(year, 0, 1).getTimezoneOffset();
  const jul = -new Date(year, 6, 1).getTimezoneOffset();
  if (jan === jul && jan % 60 === 0) return { offsetH: jan / 60, timeZone: undefined, label: utcLabel(jan) };
  return { offsetH: 0, timeZone: "UTC", label: "UTC" };
}

function utcLabel(minutes) {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function fmtTime(ts) {
  return new Date(ts).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB", {
    hour12: false, timeZone: state.zone.timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}

// A datetime-local value ("2026-11-20T08:00") read in the zone the UI shows.
function parseFilterTime(value) {
  return state.zone.timeZone === "UTC" ? new Date(`${value}Z`) : new Date(value);
}

function showZone() {
  for (const node of document.querySelectorAll(".zone")) {
    node.textContent = `(${state.zone.label})`;
    node.title = t("zoneLabel", { zone: state.zone.label });
  }
}

// --- login -------------------------------------------------------------------------------------------------
function showLogin() {
  state.token = null;
  sessionStorage.removeItem("gridpatrol.token");
  $("#app").hidden = true;
  $("#logout").hidden = true;
  closeDetail();
  $("#login").hidden = false;
  $("#login-form [name=username]").focus();
}

async function login(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const resp = await api("/auth/login", {
    method: "POST",
    json: { username: form.get("username"), password: form.get("password") },
  });
  if (!resp.ok) {
    $("#login-error").textContent = t(resp.status === 429 ? "tooMany" : "loginFailed");
    return;
  }
  const body = await resp.json();
  state.token = body.access_token;
  state.user = body.username;
  sessionStorage.setItem("gridpatrol.token", state.token);
  sessionStorage.setItem("gridpatrol.user", state.user);
  event.target.reset();
  $("#login-error").textContent = "";
  start();
}

async function logout() {
  await api("/auth/logout", { method: "POST" }).catch(() => {});
  showLogin();
}

// --- map ---------------------------------------------------------------------------------------------------
function initMap() {
  if (state.map) return;
  state.map = L.map("map", { zoomControl: true }).setView([39.9, 116.4], 14);
  if (state.config.tile_url) L.tileLayer(state.config.tile_url, { maxZoom: 19 }).addTo(state.map);
  // Grids get their own pane under the dots: reloading the grids (after a review or a live incident) would
  // otherwise append them to the shared SVG after the dots and cover them.
  state.map.createPane("grids").style.zIndex = "350";
  state.gridLayer = L.geoJSON(null, {
    pane: "grids",
    style: (f) => ({
      color: "#333", weight: 1, fillColor: GRID_FILL[f.properties.colour], fillOpacity: 0.55,
      className: `grid-area grid-${f.properties.colour}`,
    }),
    // Names are always on the map (a permanent label), not only on hover. The label is a DOM node: Leaflet
    // would put a string in with innerHTML.
    onEachFeature: (f, layer) =>
      layer.bindTooltip(gridLabel(f.properties), {
        permanent: true, direction: "center", className: "grid-label", interactive: false,
      }),
  }).addTo(state.map);
  state.markers = L.layerGroup().addTo(state.map);
  state.map.on("moveend", () => { if ($("#filters [name=inview]").checked) reloadList(); });
  state.map.on("zoomend", fitGridLabels);
  drawLegend();
}

// Each grid's label is kept as wide as the grid is on screen (the name is cut with an ellipsis, the full name
// in its title), so the labels of neighbouring grids never lie over each other. A CSSOM style, which the CSP
// allows, unlike a style attribute.
function fitGridLabels() {
  state.gridLayer.eachLayer((layer) => {
    const tip = layer.getTooltip();
    const node = tip && tip.getElement();
    if (!node) return;
    const b = layer.getBounds();
    const west = state.map.latLngToContainerPoint(b.getSouthWest()).x;
    const east = state.map.latLngToContainerPoint(b.getNorthEast()).x;
    node.style.maxWidth = `${Math.max(28, Math.floor(east - west) - 6)}px`;
    tip.update();  // centre it again at its new width
  });
}

function gridLabel(props) {
  return el("span", {},
    el("span", { className: "grid-name", textContent: String(props.name), title: String(props.name) }),
    el("span", { className: "grid-open", textContent: t("open", { n: props.open_incidents }) }));
}

function drawLegend() {
  const th = state.config.grid_colour_thresholds || [1, 3, 6, 10];
  const ranges = ["0", `${th[0]}–${th[1] - 1}`, `${th[1]}–${th[2] - 1}`, `${th[2]}–${th[3] - 1}`, `≥${th[3]}`];
  $("#legend").replaceChildren(
    el("span", { textContent: t("legend") }),
    // The colour comes from a class in app.css (an inline style attribute would break the CSP).
    ...Object.keys(GRID_FILL).map((c, i) => el("span", { className: "swatch" }, el("i", { className: `fill-${c}` }), ranges[i])),
  );
}

async function loadGrids() {
  const fc = await apiJson("/grids");
  state.gridLayer.clearLayers();
  state.gridLayer.addData(fc);
  if (fc.features.length && !state.fitted) {
    state.map.fitBounds(state.gridLayer.getBounds(), { padding: [10, 10], animate: false });  // first view: no animation
    state.fitted = true;
  }
  fitGridLabels();
  const select = $("#filters [name=grid_id]");
  const chosen = select.value;
  select.replaceChildren(select.options[0]);
  state.gridNames = new Map(fc.features.map((f) => [f.properties.id, String(f.properties.name)]));
  for (const f of fc.features) select.add(new Option(String(f.properties.name), f.properties.id));
  select.value = chosen;
}

function dotStyle(inc) {
  return {
    radius: inc.type === "crowd" ? 8 : 6, color: DOT_OUTLINE, weight: 2, opacity: 1,
    fillColor: TYPE_COLOUR[inc.type] || TYPE_COLOUR.other, fillOpacity: OPEN.includes(inc.status) ? 0.95 : 0.45,
  };
}

// The map draws every incident that matches the filters (not only the rows loaded in the list), up to MAP_MAX.
function drawDots() {
  state.markers.clearLayers();
  for (const inc of state.dots) {
    if (inc.lon == null || inc.lat == null) continue;
    // A white ring under the dark outline keeps the dot visible on dark fills and on red grids alike.
    const halo = L.circleMarker([inc.lat, inc.lon], {
      radius: dotStyle(inc).radius + 2, stroke: false, fillColor: "#ffffff", fillOpacity: 0.9, interactive: false,
      className: "dot-halo",
    });
    const m = L.circleMarker([inc.lat, inc.lon], { ...dotStyle(inc), className: "incident-dot" });
    m.bindTooltip(el("span", { textContent: `${t(inc.type)} · ${t(inc.status)} · ${fmtTime(inc.ts)}` }));
    m.on("click", () => openDetail(inc.id));
    state.markers.addLayer(halo);
    state.markers.addLayer(m);
  }
  drawMapNote();
}

function drawMapNote() {
  const shown = state.dots.length;
  $("#map-note").textContent = shown < state.dotTotal
    ? t("mapNoteCapped", { shown, n: state.dotTotal })
    : t("mapNote", { n: shown });
}

async function loadDots(query, signal) {
  const dots = [];
  let cursor = null;
  do {
    const q = new URLSearchParams(query);
    q.set("limit", String(MAP_PAGE));
    if (cursor) q.set("cursor", cursor);
    const page = await apiJson(`/incidents?${q}`, { signal });
    dots.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && dots.length < MAP_MAX);
  return dots;
}

async function loadDrones() {
  for (const d of await apiJson("/drones")) {
    const track = await apiJson(`/drones/${encodeURIComponent(d.id)}/track?limit=500`);
    updateDrone(d, track.map((p) => [p.lat, p.lon]));
  }
  renderList();
}

function droneLabel(d) {
  const parts = [String(d.name)];
  if (d.battery_pct != null) parts.push(`${Math.round(d.battery_pct)}%`);
  if (d.mode) parts.push(String(d.mode));
  return el("span", { className: "drone-label", textContent: parts.join(" · ") });
}

function updateDrone(d, trackPoints) {
  state.droneNames.set(d.id, String(d.name));
  if (d.last_lat == null) return;
  let entry = state.drones.get(d.id);
  if (!entry) {
    entry = {
      marker: L.marker([d.last_lat, d.last_lon], {
        icon: L.divIcon({ className: "drone-icon", html: el("span", { textContent: "✈" }), iconSize: [22, 22] }),
      }).addTo(state.map),
      track: L.polyline([], { color: "#0057b8", weight: 2, opacity: 0.8 }).addTo(state.map),
    };
    entry.marker.bindTooltip(droneLabel(d));
    state.drones.set(d.id, entry);
  }
  entry.marker.setLatLng([d.last_lat, d.last_lon]);
  entry.marker.setTooltipContent(droneLabel(d));
  if (trackPoints) entry.track.setLatLngs(trackPoints);
  else entry.track.addLatLng([d.last_lat, d.last_lon]);
}

// --- filters and loading -----------------------------------------------------------------------------------
function filterQuery() {
  const form = new FormData($("#filters"));
  const q = new URLSearchParams();
  for (const key of ["type", "status", "grid_id"]) if (form.get(key)) q.set(key, form.get(key));
  for (const key of ["since", "until"]) {
    const when = form.get(key) ? parseFilterTime(form.get(key)) : null;
    if (when && !Number.isNaN(when.getTime())) q.set(key, when.toISOString());
  }
  if (form.get("inview") && state.map) {
    const b = state.map.getBounds();
    q.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","));
  }
  return q;
}

// A new load for the current filters: the list's first page, the total, the charts and the map's dots.
// Whatever an older load still has in flight is aborted, and its results are dropped if they arrive anyway,
// so two quick filter changes can never mix their rows.
async function reloadList() {
  if (state.load.abort) state.load.abort.abort();
  const load = { seq: state.load.seq + 1, abort: new AbortController() };
  state.load = load;
  const stale = () => state.load !== load;
  const query = filterQuery();
  state.items = [];
  state.cursor = null;
  state.total = null;
  state.current = -1;
  state.selected.clear();
  setBusy(true);
  renderList();
  try {
    const [page, stats, dots] = await Promise.all([
      fetchPage(query, null, load.abort.signal),
      fetchStats(query, load.abort.signal),
      loadDots(query, load.abort.signal),
    ]);
    if (stale()) return;
    state.items = page.items;
    state.cursor = page.next_cursor;
    state.total = totalFor(stats, query);
    state.dots = dots;
    state.dotTotal = Math.max(state.total, dots.length);
    $("#list-error").textContent = "";
    renderList();
    drawDots();
    drawCharts(stats);
  } catch (err) {
    if (stale() || isAbort(err)) return;
    $("#list-error").textContent = t("loadFailed", { error: err.message });
  } finally {
    if (!stale()) setBusy(false);
  }
}

async function loadMore() {
  const load = state.load;
  if (!state.cursor) return;
  setBusy(true);
  try {
    const page = await fetchPage(filterQuery(), state.cursor, load.abort.signal);
    if (state.load !== load) return;
    // The list can have live rows at the top already; never show one incident twice.
    const have = new Set(state.items.map((i) => i.id));
    state.items.push(...page.items.filter((i) => !have.has(i.id)));
    state.cursor = page.next_cursor;
    renderList();
  } catch (err) {
    if (state.load === load && !isAbort(err)) $("#list-error").textContent = t("loadFailed", { error: err.message });
  } finally {
    if (state.load === load) setBusy(false);
  }
}

function fetchPage(query, cursor, signal) {
  const q = new URLSearchParams(query);
  q.set("limit", String(PAGE));
  if (cursor) q.set("cursor", cursor);
  return apiJson(`/incidents?${q}`, { signal });
}

// The charts count every status (so the status filter is left out); the list's total is then the count of
// the chosen status, or of all of them.
function fetchStats(query, signal) {
  const q = new URLSearchParams(query);
  q.delete("status");
  return apiJson(`/stats?${q}`, { signal });
}

function totalFor(stats, query) {
  const status = query.get("status");
  if (!status) return stats.total;
  const row = stats.by_status.find((c) => c.key === status);
  return row ? row.count : 0;
}

function setBusy(busy) {
  $("#incidents").setAttribute("aria-busy", busy ? "true" : "false");
}

// --- list --------------------------------------------------------------------------------------------------
function gridName(id) {
  return id ? state.gridNames.get(id) || id : "—";
}

function droneName(id) {
  return id ? state.droneNames.get(id) || id : "—";
}

function rowFor(inc, i) {
  const tr = el("tr", { tabIndex: 0 });
  tr.dataset.id = inc.id;
  tr.className = `status-${inc.status}` + (i === state.current ? " current" : "") + (inc.fresh ? " fresh" : "");
  const box = el("input", { type: "checkbox", checked: state.selected.has(inc.id) });
  box.setAttribute("aria-label", "select");
  box.addEventListener("change", () => toggleSelect(inc.id, box.checked));
  const cells = [fmtTime(inc.ts), t(inc.type), gridName(inc.grid_id), droneName(inc.drone_id), t(inc.status)];
  const tds = cells.map((text) => el("td", { textContent: text, title: text }));
  tds[0].className = "time";
  tds[4].className = "status";
  tr.append(el("td", {}, box), ...tds);
  tr.addEventListener("click", (e) => { if (e.target !== box) { select(i); openDetail(inc.id); } });
  tr.addEventListener("focus", () => select(i, { focus: false }));
  tr.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target === tr) { e.preventDefault(); e.stopPropagation(); openDetail(inc.id); }
  });
  return tr;
}

function renderList() {
  const focusedId = document.activeElement && document.activeElement.closest("#incidents tbody tr")?.dataset.id;
  const body = $("#incidents tbody");
  body.replaceChildren(...state.items.map(rowFor));
  // A re-render (a live row, a review) must not throw the keyboard user out of the list.
  if (focusedId) body.querySelector(`tr[data-id="${CSS.escape(focusedId)}"]`)?.focus({ preventScroll: true });
  $("#more").hidden = !state.cursor;
  renderCounts();
}

function renderCounts() {
  const shown = state.items.length;
  let text = t("loading");
  if (state.total != null) text = shown < state.total ? t("showing", { shown, n: state.total }) : t("total", { n: state.total });
  $("#total").textContent = text;
  $("#selected-count").textContent = t("selected", { n: state.selected.size });
  const all = $("#select-all");
  all.checked = shown > 0 && state.items.every((i) => state.selected.has(i.id));
  all.indeterminate = !all.checked && state.selected.size > 0;
}

function toggleSelect(id, on) {
  if (on) state.selected.add(id); else state.selected.delete(id);
  const box = $(`#incidents tbody tr[data-id="${CSS.escape(id)}"] input[type=checkbox]`);
  if (box) box.checked = on;
  renderCounts();
}

// "Select all" selects (or clears) every row loaded in the list.
function selectAll(on) {
  for (const inc of state.items) toggleSelect(inc.id, on);
}

function select(i, { focus = true } = {}) {
  if (!state.items.length) return;
  state.current = Math.max(0, Math.min(state.items.length - 1, i));
  const rows = $("#incidents tbody").children;
  for (const row of rows) row.classList.remove("current");
  const row = rows[state.current];
  if (!row) return;
  row.classList.add("current");
  if (focus) row.focus({ preventScroll: true });
  row.scrollIntoView({ block: "nearest" });
}

// --- review and undo ---------------------------------------------------------------------------------------
async function sendReview(ids, status, note) {
  const resp = ids.length === 1
    ? await api(`/incidents/${encodeURIComponent(ids[0])}`, { method: "PATCH", json: { status, note } })
    : await api("/incidents/review", { method: "POST", json: { ids, status, note } });
  if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
}

// Status of an incident as the UI knows it (list row, map dot or open detail).
function knownStatus(id) {
  const inc = state.items.find((i) => i.id === id) || state.dots.find((i) => i.id === id);
  if (inc) return inc.status;
  return state.detail && state.detail.id === id ? state.detail.status : null;
}

async function review(ids, status) {
  if (!ids.length) return;
  const note = $("#review-note").value || null;
  const before = ids.map((id) => ({ id, status: knownStatus(id) }));
  try {
    await sendReview(ids, status, note);
  } catch (err) {
    $("#list-error").textContent = t("loadFailed", { error: err.message });
    return;
  }
  state.lastReview = { before, status };
  $("#undo-text").textContent = t("undoText", { n: ids.length, status: t(status) });
  $("#undo").hidden = false;
  $("#undo-bar").hidden = false;
  state.selected.clear();
  $("#review-note").value = "";
  applyStatuses(ids, status);
}

// Undo puts every incident of the last review back to the status it had before, one request per status.
async function undoReview() {
  const last = state.lastReview;
  if (!last) return;
  const groups = new Map();
  for (const { id, status } of last.before) {
    if (!status) continue;
    if (!groups.has(status)) groups.set(status, []);
    groups.get(status).push(id);
  }
  try {
    for (const [status, ids] of groups) {
      await sendReview(ids, status, null);
      applyStatuses(ids, status);
    }
  } catch (err) {
    $("#undo-text").textContent = t("undoFailed", { error: err.message });
    return;
  }
  state.lastReview = null;
  $("#undo-text").textContent = t("undone");
  $("#undo").hidden = true;
}

function applyStatuses(ids, status) {
  const changed = new Set(ids);
  for (const inc of [...state.items, ...state.dots]) if (changed.has(inc.id)) inc.status = status;
  renderList();
  drawDots();
  loadGrids().catch(console.warn);
  if (state.detail && changed.has(state.detail.id)) openDetail(state.detail.id, { focus: false });
}

// --- detail ------------------------------------------------------------------------------------------------
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

// --- export ------------------------------------------------------------------------------------------------
// The export routes need the token in a header, so a plain link cannot fetch them: fetch, then save the blob.
async function exportAs(kind) {
  const q = filterQuery();
  try {
    const resp = await api(`/exports/incidents.${kind}?${q}`);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const url = URL.createObjectURL(await resp.blob());
    const a = el("a", { href: url, download: `incidents.${kind}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (err) {
    $("#list-error").textContent = t("exportFailed", { error: err.message });
  }
}

// --- live updates ------------------------------------------------------------------------------------------
async function live() {
  while (state.token) {
    try {
      const resp = await fetch("/api/live", { headers: { Authorization: `Bearer ${state.token}` } });
      if (!resp.ok) throw new Error(`live: HTTP ${resp.status}`);
      setLive(true);
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          handleEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (err) {
      console.warn(err);
    }
    setLive(false);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

function setLive(on) {
  const node = $("#live-state");
  node.className = `live ${on ? "on" : "off"}`;
  node.dataset.i18n = on ? "online" : "offline";
  node.textContent = t(node.dataset.i18n);
}

// Whether a live incident belongs in the list: every filter, the dates and the map view included.
function matchesFilters(inc) {
  const q = filterQuery();
  const ts = new Date(inc.ts);
  if (q.get("type") && q.get("type") !== inc.type) return false;
  if (q.get("status") && q.get("status") !== inc.status) return false;
  if (q.get("grid_id") && q.get("grid_id") !== inc.grid_id) return false;
  if (q.get("since") && ts < new Date(q.get("since"))) return false;
  if (q.get("until") && ts >= new Date(q.get("until"))) return false;
  if (q.get("bbox")) {
    const [w, s, e, n] = q.get("bbox").split(",").map(Number);
    if (inc.lon == null || inc.lon < w || inc.lon > e || inc.lat < s || inc.lat > n) return false;
  }
  return true;
}

function handleEvent(block) {
  let name = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (!data) return;
  const payload = JSON.parse(data);
  if (name === "incident") addLiveIncident(payload);
  else if (name === "review") applyLiveReview(payload);
  else if (name === "position") updateDrone(payload, null);
  if (name === "incident" || name === "review") loadGrids().catch(console.warn);
}

function addLiveIncident(inc) {
  if (!matchesFilters(inc) || state.items.some((i) => i.id === inc.id)) return;
  inc.fresh = true;
  state.items.unshift(inc);
  if (state.current >= 0) state.current += 1;
  if (state.total != null) state.total += 1;
  state.dots.unshift(inc);
  state.dotTotal += 1;
  renderList();
  drawDots();
  fetchStats(filterQuery(), state.load.abort && state.load.abort.signal).then(drawCharts).catch(() => {});
}

function applyLiveReview(payload) {
  const ids = new Set(payload.ids);
  for (const inc of [...state.items, ...state.dots]) if (ids.has(inc.id)) inc.status = payload.status;
  renderList();
  drawDots();
}

// --- keyboard ----------------------------------------------------------------------------------------------
function onKey(e) {
  if ($("#app").hidden) return;
  if (e.key === "Escape") { closeDetail(); return; }
  // Keys typed into a field, or Enter/Space on a button, belong to that control.
  if (["INPUT", "SELECT", "TEXTAREA", "BUTTON", "A"].includes(e.target.tagName)) return;
  const inc = state.items[state.current];
  const targets = () => (state.selected.size ? [...state.selected] : inc ? [inc.id] : []);
  switch (e.key) {
    case "j": select(state.current + 1); break;
    case "k": select(state.current - 1); break;
    case "x": if (inc) toggleSelect(inc.id, !state.selected.has(inc.id)); break;
    case "c": review(targets(), "confirmed"); break;
    case "d": review(targets(), "dismissed"); break;
    case "Enter": if (inc) openDetail(inc.id); break;
    default: return;
  }
  e.preventDefault();
}

// --- language ----------------------------------------------------------------------------------------------
// Everything built by this file is drawn again in the new language: list, legend, map, charts, detail.
function switchLanguage() {
  setLang(LANG === "zh" ? "en" : "zh");
  showZone();
  renderList();
  drawLegend();
  if (state.map) {
    drawDots();
    loadGrids().catch(console.warn);
  }
  if (state.stats) drawCharts(state.stats);
  renderDetail();
  if (state.lastReview) {
    $("#undo-text").textContent = t("undoText", { n: state.lastReview.before.length, status: t(state.lastReview.status) });
  }
}

// --- start -------------------------------------------------------------------------------------------------
async function start() {
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  $("#who").textContent = state.user || "";
  initMap();
  state.map.invalidateSize();
  await loadGrids();
  await reloadList();
  await loadDrones();
  live();
}

function bind() {
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", logout);
  $("#lang").addEventListener("click", switchLanguage);
  $("#filters").addEventListener("change", reloadList);
  $("#more").addEventListener("click", loadMore);
  $("#close-detail").addEventListener("click", closeDetail);
  $("#select-all").addEventListener("change", (e) => selectAll(e.target.checked));
  $("#bulk-confirm").addEventListener("click", () => review([...state.selected], "confirmed"));
  $("#bulk-dismiss").addEventListener("click", () => review([...state.selected], "dismissed"));
  $("#bulk-resolve").addEventListener("click", () => review([...state.selected], "resolved"));
  $("#undo").addEventListener("click", undoReview);
  $("#export-csv").addEventListener("click", () => exportAs("csv"));
  $("#export-geojson").addEventListener("click", () => exportAs("geojson"));
  for (const b of document.querySelectorAll("[data-review]")) {
    b.addEventListener("click", () => state.detail && review([state.detail.id], b.dataset.review));
  }
  document.addEventListener("keydown", onKey);
}

async function boot() {
  state.zone = pickZone();
  applyLabels();
  showZone();
  state.config = await (await fetch("/api/ui-config")).json();
  bind();
  if (state.token) start(); else showLogin();
}

boot();
