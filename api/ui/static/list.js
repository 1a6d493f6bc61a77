// Review UI list: filters and loads (never mixing two filters' rows), rows, selection, review and undo, export.
"use strict";

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
