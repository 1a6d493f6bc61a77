// Review UI live updates: Server-Sent Events read with fetch (the token stays in a header, never in a URL).
"use strict";

// One stream at a time: a new start (after a new login) or stopLive() ends the loop of the one before. The
// server ends a stream with an `end` event when its token is logged out, expired, or its user disabled; the
// page then says the session ended and shows the login form (a 401 on reconnecting does the same).
async function live() {
  stopLive();
  const run = { abort: new AbortController() };
  state.live = run;
  const token = state.token;
  const current = () => state.live === run && state.token === token;
  while (current()) {
    try {
      const resp = await fetch("/api/live", { headers: { Authorization: `Bearer ${token}` }, signal: run.abort.signal });
      if (resp.status === 401) {
        if (current()) sessionEnded();
        break;
      }
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
          if (current()) handleEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (err) {
      if (!isAbort(err)) console.warn(err);
    }
    if (state.live === run) setLive(false);
    if (current()) await new Promise((r) => setTimeout(r, 3000));
  }
}

function stopLive() {
  if (state.live.abort) state.live.abort.abort();
  state.live = { abort: null };
  setLive(false);
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
  if (name === "end") { sessionEnded(); return; }
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
