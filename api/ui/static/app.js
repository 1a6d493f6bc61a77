// gridpatrol review UI: login and logout, keyboard review, language switch and start-up. The other parts are
// in core.js, map.js, list.js, detail.js, live.js and admin.js (see index.html for the order).
"use strict";

// Back to the login form: the token is forgotten, the live stream closed, the admin screens and their key box
// wiped.
function showLogin() {
  state.token = null;
  state.role = null;
  sessionStorage.removeItem("gridpatrol.token");
  stopLive();
  closeAdmin();
  $("#app").hidden = true;
  $("#logout").hidden = true;
  $("#admin-open").hidden = true;
  $("#who").textContent = "";
  closeDetail();
  $("#login-error").textContent = "";
  $("#login").hidden = false;
  $("#login-form [name=username]").focus();
}

// The session ended elsewhere (logout in another place, the user disabled, a new password, the token expired):
// the live stream's `end` event or a 401. The page says so and returns to the login form.
function sessionEnded() {
  if (!state.token || state.leaving) return;
  showLogin();
  $("#login-error").textContent = t("sessionEnded");
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
  state.leaving = true;
  try {
    await api("/auth/logout", { method: "POST" });
  } catch (err) {
    // already logged out elsewhere: the form is next either way
  } finally {
    state.leaving = false;
  }
  showLogin();
}

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
// Everything built by script is drawn again in the new language: list, legend, map, charts, detail, admin.
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
  renderAdmin();
  if (state.lastReview) {
    $("#undo-text").textContent = t("undoText", { n: state.lastReview.before.length, status: t(state.lastReview.status) });
  }
}

// --- start -------------------------------------------------------------------------------------------------
async function start() {
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  try {
    // Who is logged in, and whether they are an admin, from the server (not from what the page kept).
    const me = await apiJson("/auth/me");
    state.user = me.username;
    state.role = me.role;
  } catch (err) {
    return;  // a 401 has shown the login form
  }
  $("#who").textContent = state.user || "";
  showAdminButton();
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
  bindAdmin();
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
