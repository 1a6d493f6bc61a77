// Review UI admin screens (admins only): station keys (issue, revoke, rotate), users (create, disable or enable,
// new password) and the audit log, through the admin routes of the API. The screens are hidden unless
// /api/auth/me says the user is an admin; the routes refuse everyone else (403) whatever the page does.
//
// A new or rotated key is shown once, in #admin-secret, with a copy button: it lives only in that box's input
// (never in `state`, storage or the URL) and is wiped when the admin presses Done, opens another tab, leaves the
// admin screens, logs out or makes the next change. The API keeps only its hash, so it can never be shown again.
//
// Names, stations and audit entries are data (an old database or `gridpatrol admin` may hold any text in them):
// they reach the page as textContent only. Destructive actions ask once more on the same button (no dialogs).
"use strict";

const adminState = { tab: "keys", keys: [], users: [], audit: [], secret: null };

const isAdmin = () => state.role === "admin";

// --- open, close, tabs -------------------------------------------------------------------------------------
function showAdminButton() {
  $("#admin-open").hidden = !isAdmin();
}

function openAdmin(tab = adminState.tab) {
  if (!isAdmin()) return;
  closeDetail();
  $("#app").hidden = true;
  $("#admin").hidden = false;
  $("#admin-open").hidden = true;
  showTab(tab);
  $("#admin").focus({ preventScroll: true });
}

function closeAdmin() {
  hideSecret();
  adminMessage("", "");
  const wasOpen = !$("#admin").hidden;
  $("#admin").hidden = true;
  showAdminButton();
  if (wasOpen && state.token) {
    $("#app").hidden = false;
    state.map.invalidateSize();  // the map was hidden: let Leaflet measure it again
  }
}

function showTab(tab) {
  hideSecret();
  adminMessage("", "");
  adminState.tab = tab;
  for (const b of document.querySelectorAll("#admin-tabs [data-tab]")) {
    b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  }
  for (const pane of document.querySelectorAll("#admin [data-pane]")) pane.hidden = pane.dataset.pane !== tab;
  loadTab(tab);
}

// The pane shows its last rows while fresh ones load; aria-busy says so (a click then may land on a row that is
// about to be replaced).
async function loadTab(tab) {
  const pane = document.querySelector(`#admin [data-pane=${tab}]`);
  if (pane) pane.setAttribute("aria-busy", "true");
  try {
    if (tab === "keys") adminState.keys = await apiJson("/station-keys");
    else if (tab === "users") adminState.users = await apiJson("/users");
    else adminState.audit = await apiJson("/audit?limit=200");
  } catch (err) {
    adminMessage("", t("adminFailed", { error: err.message }));
    return;
  } finally {
    if (pane) pane.removeAttribute("aria-busy");
  }
  renderAdmin();
}

// --- calls and messages ------------------------------------------------------------------------------------
// The API's reason for a refusal, as text: a string detail, or the fields and messages of a 422.
async function refusal(resp) {
  try {
    const { detail } = await resp.json();
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ");
  } catch (err) {
    // not JSON: fall through to the status
  }
  return `HTTP ${resp.status}`;
}

// One admin change: the previous key box goes, the change is made, the message says what happened.
async function adminCall(path, json, done) {
  hideSecret();
  adminMessage("", "");
  let resp;
  try {
    resp = await api(path, { method: "POST", json });
  } catch (err) {
    adminMessage("", t("adminFailed", { error: err.message }));
    return null;
  }
  if (!resp.ok) {
    adminMessage("", t("adminFailed", { error: await refusal(resp) }));
    return null;
  }
  const body = await resp.json();
  if (done) done(body);
  return body;
}

// After a change: reload the tab's table, then say what was done, so the message never comes before the table
// that shows it (a click on the old table, redrawn a moment later, would be lost). A failed reload's error stays.
async function reloaded(tab, text) {
  await loadTab(tab);
  $("#admin-status").textContent = text;
}

function adminMessage(ok, error) {
  $("#admin-status").textContent = ok;
  $("#admin-error").textContent = error;
}

// A button that asks once more: the first click arms it ("Really revoke?"), the second runs the action.
function confirmButton(action, label, ask, run) {
  const b = el("button", { type: "button", textContent: t(label) });
  b.dataset.action = action;
  b.addEventListener("click", () => {
    if (b.dataset.armed !== "yes") {
      b.dataset.armed = "yes";
      b.textContent = t(ask);
      return;
    }
    b.disabled = true;
    run();
  });
  b.addEventListener("blur", () => {
    delete b.dataset.armed;
    b.textContent = t(label);
  });
  return b;
}

function actionButton(action, label, run) {
  const b = el("button", { type: "button", textContent: t(label) });
  b.dataset.action = action;
  b.addEventListener("click", run);
  return b;
}

const cell = (text, className = "") => el("td", { textContent: text ?? "—", className });

// --- the key shown once ------------------------------------------------------------------------------------
function showSecret(issued) {
  adminState.secret = { station: issued.station, id: issued.id };  // what the text says; never the key
  $("#secret-value").value = issued.api_key;
  $("#secret-copied").textContent = "";
  renderSecretText();
  $("#admin-secret").hidden = false;
  $("#secret-copy").focus();
}

function renderSecretText() {
  if (adminState.secret) $("#secret-text").textContent = t("secretShown", adminState.secret);
}

function hideSecret() {
  adminState.secret = null;
  $("#secret-value").value = "";
  $("#secret-text").textContent = "";
  $("#secret-copied").textContent = "";
  $("#admin-secret").hidden = true;
}

async function copySecret() {
  const input = $("#secret-value");
  try {
    await navigator.clipboard.writeText(input.value);
    $("#secret-copied").textContent = t("copied");
  } catch (err) {
    input.select();  // where the clipboard API is refused, the key is selected for Ctrl+C
    $("#secret-copied").textContent = document.execCommand("copy") ? t("copied") : t("copyFailed");
  }
}

// --- station keys ------------------------------------------------------------------------------------------
function keyRow(k) {
  const tr = el("tr", { className: k.revoked ? "revoked" : "" });
  tr.dataset.id = String(k.id);
  tr.dataset.station = k.station;
  const stateText = k.revoked ? t("revokedAt", { time: k.revoked_at ? fmtTime(k.revoked_at) : "" }) : t("active");
  const actions = el("td", { className: "actions" });
  if (!k.revoked) {
    actions.append(
      confirmButton("revoke", "revoke", "reallyRevoke", () => adminCall(`/station-keys/${k.id}/revoke`, undefined,
        (key) => reloaded("keys", t("keyRevoked", { id: key.id, station: key.station })))),
      confirmButton("rotate", "rotate", "reallyRotate", () => adminCall(`/station-keys/${k.id}/rotate`, undefined,
        (issued) => { loadTab("keys"); showSecret(issued); })),
    );
  }
  tr.append(cell(String(k.id)), cell(k.station, "name"), cell(fmtTime(k.created_at)), cell(stateText), actions);
  return tr;
}

async function issueKey(event) {
  event.preventDefault();
  const form = event.target;
  const station = new FormData(form).get("station");
  await adminCall("/station-keys", { station }, (issued) => {
    form.reset();
    loadTab("keys");
    showSecret(issued);
  });
}

// --- users -------------------------------------------------------------------------------------------------
function userRow(u) {
  const tr = el("tr", { className: u.disabled ? "disabled" : "" });
  tr.dataset.user = u.username;
  const name = encodeURIComponent(u.username);
  const self = u.username === state.user;
  const actions = el("td", { className: "actions" });
  if (u.disabled) {
    actions.append(actionButton("enable", "enable", () => adminCall(`/users/${name}/enable`, undefined,
      () => reloaded("users", t("userEnabled", { user: u.username })))));
  } else if (!self) {  // the API refuses to let admins disable themselves
    actions.append(confirmButton("disable", "disable", "reallyDisable", () => adminCall(`/users/${name}/disable`,
      undefined, () => reloaded("users", t("userDisabled", { user: u.username })))));
  }
  actions.append(actionButton("password", "newPassword", () => togglePasswordForm(tr, u.username)));
  const who = self ? `${u.username} ${t("you")}` : u.username;
  tr.append(cell(who, "name"), cell(t(`role_${u.role}`)), cell(fmtTime(u.created_at)),
    cell(u.disabled ? t("disabledState") : t("active")), actions);
  return tr;
}

// A row under the user's row with a new-password field; the policy's reason for a refusal is shown as text.
function togglePasswordForm(tr, username) {
  const open = tr.nextElementSibling;
  if (open && open.classList.contains("password-row")) { open.remove(); return; }
  const input = el("input", { type: "password", name: "password", required: true, minLength: 12, maxLength: 256,
    autocomplete: "new-password", placeholder: t("passwordHint") });
  input.setAttribute("aria-label", t("newPassword"));
  const form = el("form", { className: "admin-form" }, input,
    el("button", { type: "submit", textContent: t("save") }),
    actionButton("cancel", "cancel", () => row.remove()));
  const row = el("tr", { className: "password-row" }, el("td", { colSpan: 5 }, form));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    await adminCall(`/users/${encodeURIComponent(username)}/password`, { password: input.value },
      () => reloaded("users", t("passwordSet", { user: username })));
  });
  tr.after(row);
  input.focus();
}

async function createUser(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  const body = { username: data.get("username"), role: data.get("role"), password: data.get("password") };
  await adminCall("/users", body, (user) => {
    form.reset();
    reloaded("users", t("userCreated", { user: user.username }));
  });
}

// --- audit log ---------------------------------------------------------------------------------------------
function auditAction(action) {
  const key = `audit_${action}`;
  const label = t(key);
  return label === key ? action : label;
}

function auditRow(e) {
  const action = cell(auditAction(e.action));
  action.title = e.action;
  return el("tr", {}, cell(fmtTime(e.at)), cell(e.actor, "name"), action, cell(e.target, "name"),
    cell(e.detail, "wide"));
}

// --- render ------------------------------------------------------------------------------------------------
// Everything is drawn from adminState, so a language switch simply draws it again.
function renderAdmin() {
  $("#key-table tbody").replaceChildren(...adminState.keys.map(keyRow));
  $("#user-table tbody").replaceChildren(...adminState.users.map(userRow));
  $("#audit-table tbody").replaceChildren(...adminState.audit.map(auditRow));
  renderSecretText();
}

function bindAdmin() {
  $("#admin-open").addEventListener("click", () => openAdmin());
  $("#admin-close").addEventListener("click", closeAdmin);
  for (const b of document.querySelectorAll("#admin-tabs [data-tab]")) {
    b.addEventListener("click", () => showTab(b.dataset.tab));
  }
  $("#key-form").addEventListener("submit", issueKey);
  $("#user-form").addEventListener("submit", createUser);
  $("#audit-refresh").addEventListener("click", () => loadTab("audit"));
  $("#secret-copy").addEventListener("click", copySecret);
  $("#secret-done").addEventListener("click", hideSecret);
}
