// Review UI map: grids coloured by open incidents with permanent labels, incident dots, drones and tracks.
"use strict";

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
  // One hover tooltip (dot or drone) at a time. Leaflet opens a tooltip on mouseover, click or tap and closes it
  // on mouseout, which a tap never sends and which is lost when the dots are drawn again under the pointer; so
  // two could stay open. Opening one closes the one before (grid labels are permanent and stay).
  state.map.on("tooltipopen", (e) => {
    if (e.tooltip.options.permanent) return;
    if (state.hoverTip && state.hoverTip !== e.tooltip) state.hoverTip.close();
    state.hoverTip = e.tooltip;
  });
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
