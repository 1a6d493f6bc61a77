// gridpatrol review UI, shared core: constants, state, DOM helpers, the API wrapper and the shown time zone.
// The UI is split into classic scripts loaded in order by index.html (core, map, list, detail, live, admin,
// app); they share these globals. app.js starts everything.
//
// Every string that a station, a vehicle or a user can set (grid and drone names, telemetry mode, ids, notes,
// details, broadcast text, user and station names, audit entries) reaches the page only as text: textContent,
// text nodes, new Option(), or DOM nodes handed to Leaflet. Nothing here builds HTML from data, and there is
// no inline script or style, so the page runs under a strict Content-Security-Policy.
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
  map: null, gridLayer: null, markers: null, dots: [], dotTotal: 0, hoverTip: null,
  drones: new Map(), droneNames: new Map(), config: {}, gridNames: new Map(),
  // Each filter change starts a new "load": older responses are aborted and, should one still arrive, ignored.
  load: { seq: 0, abort: null },
  zone: null,
  // Role from /api/auth/me (admin screens are shown to admins only). `leaving` is set while this page logs out,
  // so the stream's `end` event is not reported as a session ended elsewhere. `live` is the running stream.
  role: null, leaving: false, live: { abort: null },
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
    sessionEnded();
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
