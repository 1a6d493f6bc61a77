// gridpatrol review UI: login, map of grids/incidents/drones, filtered incident list with keyboard review,
// detail view, charts and live updates (Server-Sent Events read with fetch so the token stays in a header).
"use strict";

const GRID_FILL = { white: "#ffffff", green: "#2e9d4a", yellow: "#f2c200", orange: "#f07d00", red: "#d7191c" };
const TYPE_COLOUR = { no_mask: "#d7191c", crowd: "#7b2fbe", other: "#555555" };
const state = {
  token: sessionStorage.getItem("gridpatrol.token"),
  user: sessionStorage.getItem("gridpatrol.user"),
  items: [], cursor: null, current: -1, selected: new Set(), detailId: null,
  map: null, gridLayer: null, markers: null, drones: new Map(), config: {}, gridNames: new Map(),
};
const $ = (sel) => document.querySelector(sel);

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

// --- login -------------------------------------------------------------------------------------------------
function showLogin() {
  state.token = null;
  sessionStorage.removeItem("gridpatrol.token");
  $("#app").hidden = true;
  $("#logout").hidden = true;
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
  state.gridLayer = L.geoJSON(null, {
    style: (f) => ({ color: "#333", weight: 1, fillColor: GRID_FILL[f.properties.colour], fillOpacity: 0.55 }),
    onEachFeature: (f, layer) =>
      layer.bindTooltip(`${f.properties.name} · ${f.properties.open_incidents}`, { sticky: true }),
  }).addTo(state.map);
  state.markers = L.layerGroup().addTo(state.map);
  state.map.on("moveend", () => { if ($("#filters [name=inview]").checked) reloadList(); });
  drawLegend();
}

function drawLegend() {
  const th = state.config.grid_colour_thresholds || [1, 3, 6, 10];
  const ranges = [`0`, `${th[0]}–${th[1] - 1}`, `${th[1]}–${th[2] - 1}`, `${th[2]}–${th[3] - 1}`, `≥${th[3]}`];
  $("#legend").replaceChildren(
    Object.assign(document.createElement("span"), { textContent: t("legend") }),
    ...Object.keys(GRID_FILL).map((c, i) => {
      const s = document.createElement("span");
      s.className = "swatch";
      s.innerHTML = `<i style="background:${GRID_FILL[c]}"></i>`;
      s.append(ranges[i]);
      return s;
    }),
  );
}

async function loadGrids() {
  const fc = await apiJson("/grids");
  state.gridLayer.clearLayers();
  state.gridLayer.addData(fc);
  if (fc.features.length && !state.fitted) {
    state.map.fitBounds(state.gridLayer.getBounds(), { padding: [10, 10] });
    state.fitted = true;
  }
  const select = $("#filters [name=grid_id]");
  const chosen = select.value;
  select.replaceChildren(select.options[0]);
  state.gridNames = new Map(fc.features.map((f) => [f.properties.id, f.properties.name]));
  for (const f of fc.features) select.add(new Option(f.properties.name, f.properties.id));
  select.value = chosen;
}

function drawMarkers() {
  state.markers.clearLayers();
  state.items.forEach((inc, i) => {
    if (inc.lon == null) return;
    const m = L.circleMarker([inc.lat, inc.lon], {
      radius: inc.type === "crowd" ? 8 : 6, color: "#fff", weight: 1,
      fillColor: TYPE_COLOUR[inc.type], fillOpacity: inc.status === "new" ? 0.95 : 0.4,
    });
    m.bindTooltip(`${t(inc.type)} · ${fmtTime(inc.ts)}`);
    m.on("click", () => { select(i); openDetail(inc.id); });
    state.markers.addLayer(m);
  });
}

async function loadDrones() {
  for (const d of await apiJson("/drones")) {
    const track = await apiJson(`/drones/${encodeURIComponent(d.id)}/track?limit=500`);
    updateDrone(d, track.map((p) => [p.lat, p.lon]));
  }
}

function updateDrone(d, trackPoints) {
  if (d.last_lat == null) return;
  let entry = state.drones.get(d.id);
  if (!entry) {
    entry = {
      marker: L.marker([d.last_lat, d.last_lon], {
        icon: L.divIcon({ className: "drone-icon", html: "✈", iconSize: [22, 22] }),
      }).addTo(state.map),
      track: L.polyline([], { color: "#0057b8", weight: 2, opacity: 0.8 }).addTo(state.map),
    };
    state.drones.set(d.id, entry);
  }
  entry.marker.setLatLng([d.last_lat, d.last_lon]);
  const batt = d.battery_pct == null ? "" : ` · ${Math.round(d.battery_pct)}%`;
  entry.marker.bindTooltip(`${d.name}${batt}${d.mode ? " · " + d.mode : ""}`);
  if (trackPoints) entry.track.setLatLngs(trackPoints);
  else entry.track.addLatLng([d.last_lat, d.last_lon]);
}

// --- list --------------------------------------------------------------------------------------------------
function fmtTime(ts) {
  return new Date(ts).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

function filterQuery() {
  const form = new FormData($("#filters"));
  const q = new URLSearchParams();
  for (const key of ["type", "status", "grid_id"]) if (form.get(key)) q.set(key, form.get(key));
  for (const key of ["since", "until"]) if (form.get(key)) q.set(key, new Date(form.get(key)).toISOString());
  if (form.get("inview") && state.map) {
    const b = state.map.getBounds();
    q.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","));
  }
  return q;
}

async function reloadList() {
  state.items = [];
  state.cursor = null;
  state.selected.clear();
  await loadPage();
  loadStats();
}

async function loadPage() {
  const q = filterQuery();
  q.set("limit", "50");
  if (state.cursor) q.set("cursor", state.cursor);
  const page = await apiJson(`/incidents?${q}`);
  state.items.push(...page.items);
  state.cursor = page.next_cursor;
  $("#more").hidden = !state.cursor;
  renderList();
  drawMarkers();
}

function renderList() {
  const body = $("#incidents tbody");
  body.replaceChildren(
    ...state.items.map((inc, i) => {
      const tr = document.createElement("tr");
      tr.dataset.id = inc.id;
      tr.className = `status-${inc.status}` + (i === state.current ? " current" : "") + (inc.fresh ? " fresh" : "");
      const box = Object.assign(document.createElement("input"), {
        type: "checkbox", checked: state.selected.has(inc.id), ariaLabel: "select",
      });
      box.addEventListener("change", () => toggleSelect(inc.id, box.checked));
      const grid = inc.grid_id ? state.gridNames.get(inc.grid_id) || inc.grid_id : "—";
      const cells = [fmtTime(inc.ts), t(inc.type), grid, inc.drone_id || "—", t(inc.status)];
      const tds = cells.map((text) => Object.assign(document.createElement("td"), { textContent: text }));
      tds[4].className = "status";
      const first = document.createElement("td");
      first.append(box);
      tr.append(first, ...tds);
      tr.addEventListener("click", (e) => {
        if (e.target !== box) { select(i); openDetail(inc.id); }
      });
      return tr;
    }),
  );
  $("#selected-count").textContent = t("selected", { n: state.selected.size });
}

function toggleSelect(id, on) {
  if (on) state.selected.add(id); else state.selected.delete(id);
  renderList();
}

function select(i) {
  if (!state.items.length) return;
  state.current = Math.max(0, Math.min(state.items.length - 1, i));
  renderList();
  const row = $(`#incidents tbody tr:nth-child(${state.current + 1})`);
  if (row) row.scrollIntoView({ block: "nearest" });
}

async function review(ids, status) {
  if (!ids.length) return;
  const note = $("#review-note").value || null;
  const resp = ids.length === 1
    ? await api(`/incidents/${encodeURIComponent(ids[0])}`, { method: "PATCH", json: { status, note } })
    : await api("/incidents/review", { method: "POST", json: { ids, status, note } });
  if (!resp.ok) return;
  for (const inc of state.items) if (ids.includes(inc.id)) inc.status = status;
  state.selected.clear();
  $("#review-note").value = "";
  renderList();
  drawMarkers();
  loadGrids();
  if (state.detailId && ids.includes(state.detailId)) openDetail(state.detailId);
}

// --- detail ------------------------------------------------------------------------------------------------
async function openDetail(id) {
  const inc = await apiJson(`/incidents/${encodeURIComponent(id)}`);
  state.detailId = id;
  $("#detail").hidden = false;
  $("#detail-title").textContent = `${t(inc.type)} · ${t(inc.status)}`;
  const fields = [
    ["time", fmtTime(inc.ts)], ["grid", inc.grid_id && (state.gridNames.get(inc.grid_id) || inc.grid_id)], ["drone", inc.drone_id], ["mission", inc.mission_id],
    ["people", inc.people], ["confidence", inc.confidence == null ? null : inc.confidence.toFixed(2)],
    ["position", inc.lon == null ? null : `${inc.lat.toFixed(6)}, ${inc.lon.toFixed(6)}`],
    ["station", inc.station], ["note", inc.note],
  ];
  $("#detail-fields").replaceChildren(
    ...fields.flatMap(([k, v]) => [
      Object.assign(document.createElement("dt"), { textContent: t(k) }),
      Object.assign(document.createElement("dd"), { textContent: v ?? "—" }),
    ]),
  );
  const li = (text) => Object.assign(document.createElement("li"), { textContent: text });
  $("#detail-broadcasts").replaceChildren(
    ...(inc.broadcasts.length ? inc.broadcasts.map((b) => li(`${fmtTime(b.ts)} [${b.language}] ${b.text}`)) : [li(t("none"))]),
  );
  $("#detail-history").replaceChildren(
    ...(inc.history.length
      ? inc.history.map((h) => li(`${fmtTime(h.at)} ${h.reviewer}: ${t(h.from_status)} → ${t(h.to_status)}${h.note ? " · " + h.note : ""}`))
      : [li(t("none"))]),
  );
  const img = $("#detail-snapshot");
  img.hidden = true;
  if (inc.snapshot_sha) {
    const resp = await api(`/snapshots/${inc.snapshot_sha}`);
    if (resp.ok) {
      if (img.src) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(await resp.blob());
      img.hidden = false;
    }
  }
}

// --- charts ------------------------------------------------------------------------------------------------
async function loadStats() {
  const q = filterQuery();
  q.delete("status");
  const s = await apiJson(`/stats?${q}`);
  barChart($("#chart-hour"), s.by_hour, "#0057b8", 3);
  const byGrid = s.by_grid.slice(0, 12).map((c) => ({ ...c, key: state.gridNames.get(c.key) || c.key }));
  barChart($("#chart-grid"), byGrid, "#f07d00", 1);
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
  const el = $("#live-state");
  el.className = `live ${on ? "on" : "off"}`;
  el.dataset.i18n = on ? "online" : "offline";
  el.textContent = t(el.dataset.i18n);
}

function matchesFilters(inc) {
  const q = filterQuery();
  return (!q.get("type") || q.get("type") === inc.type) && (!q.get("status") || q.get("status") === inc.status)
    && (!q.get("grid_id") || q.get("grid_id") === inc.grid_id);
}

function handleEvent(block) {
  let name = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (!data) return;
  const payload = JSON.parse(data);
  if (name === "incident" && matchesFilters(payload)) {
    payload.fresh = true;
    state.items.unshift(payload);
    if (state.current >= 0) state.current += 1;
    renderList();
    drawMarkers();
    loadGrids();
    loadStats();
  } else if (name === "review") {
    for (const inc of state.items) if (payload.ids.includes(inc.id)) inc.status = payload.status;
    renderList();
  } else if (name === "position") {
    updateDrone(payload, null);
  }
}

// --- keyboard ----------------------------------------------------------------------------------------------
function onKey(e) {
  if ($("#app").hidden || ["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName)) return;
  const inc = state.items[state.current];
  const targets = () => (state.selected.size ? [...state.selected] : inc ? [inc.id] : []);
  switch (e.key) {
    case "j": select(state.current + 1); break;
    case "k": select(state.current - 1); break;
    case "x": if (inc) toggleSelect(inc.id, !state.selected.has(inc.id)); break;
    case "c": review(targets(), "confirmed"); break;
    case "d": review(targets(), "dismissed"); break;
    case "Enter": if (inc) openDetail(inc.id); break;
    case "Escape": $("#detail").hidden = true; state.detailId = null; break;
    default: return;
  }
  e.preventDefault();
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

async function boot() {
  applyLabels();
  state.config = await (await fetch("/api/ui-config")).json();
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", logout);
  $("#lang").addEventListener("click", () => { setLang(LANG === "zh" ? "en" : "zh"); renderList(); drawLegend(); });
  $("#filters").addEventListener("change", reloadList);
  $("#more").addEventListener("click", loadPage);
  $("#close-detail").addEventListener("click", () => { $("#detail").hidden = true; state.detailId = null; });
  $("#bulk-confirm").addEventListener("click", () => review([...state.selected], "confirmed"));
  $("#bulk-dismiss").addEventListener("click", () => review([...state.selected], "dismissed"));
  $("#bulk-resolve").addEventListener("click", () => review([...state.selected], "resolved"));
  for (const b of document.querySelectorAll("[data-review]")) {
    b.addEventListener("click", () => state.detailId && review([state.detailId], b.dataset.review));
  }
  document.addEventListener("keydown", onKey);
  if (state.token) start(); else showLogin();
}

boot();
