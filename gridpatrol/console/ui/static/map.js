/* The map: district (fence, grids, no-fly zones, launch sites), drones with heading and track, the go-to pick.
 * No tiles unless the station is configured with some: a plain background. Tooltips are DOM nodes with text. */
'use strict';
GP.map = {
  map: null, markers: {}, tracks: {}, pick: null, grids: {},
  // The review UI's five colours by the grid's incidents (fewer than [api] grid_colour_thresholds[0]: white).
  FILL: {white: '#ffffff', green: '#66bb6a', yellow: '#fdd835', orange: '#fb8c00', red: '#e53935'},

  init(onPick) {
    const map = L.map('map', {zoomControl: true, attributionControl: false});
    this.map = map;
    map.setView([30.58, 114.27], 15);
    map.on('click', (ev) => {
      if (this.pick) this.pick.setLatLng(ev.latlng);
      else this.pick = L.circleMarker(ev.latlng, {radius: 6, color: '#6a1b9a'}).addTo(map);
      onPick(ev.latlng.lat, ev.latlng.lng);
    });
  },

  tip(layer, ...lines) {
    const box = GP.el('div');
    lines.forEach((line) => box.appendChild(GP.el('div', null, line)));
    layer.bindTooltip(box, {sticky: true});
  },

  district(geojson) {
    const styles = {
      fence: {color: '#37474f', weight: 2, fill: false, dashArray: '6 4'},
      grid: {color: '#1565c0', weight: 1, fillOpacity: 0.08},
      nofly: {color: '#c62828', weight: 2, fillColor: '#e53935', fillOpacity: 0.25},
    };
    const layer = L.geoJSON(geojson, {
      style: (f) => styles[f.properties.kind] || {},
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {radius: 7, color: '#2e7d32', fillOpacity: 0.6}),
      onEachFeature: (f, lyr) => {
        const p = f.properties;
        if (p.kind === 'grid') this.grids[p.id] = lyr;
        const kind = {fence: 'fence', grid: 'grid', nofly: 'no-fly zone', launch: 'launch site'}[p.kind] || p.kind;
        this.tip(lyr, GP.t(kind) + ' ' + p.id, p.name);
      },
    }).addTo(this.map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, {padding: [10, 10]});
  },

  /* Colour each grid by the incidents found in it this patrol ({id: {count, colour}}; absent: white). */
  gridColours(counts) {
    Object.entries(this.grids).forEach(([id, lyr]) => {
      const colour = (counts[id] && counts[id].colour) || 'white';
      lyr.setStyle({fillColor: this.FILL[colour], fillOpacity: colour === 'white' ? 0.08 : 0.45});
      const node = lyr.getElement && lyr.getElement();
      if (node) node.dataset.colour = colour;
    });
  },

  drone(d, full) {
    if (d.lat === undefined || d.lat === null) return;
    const at = [d.lat, d.lon];
    let marker = this.markers[d.id];
    if (!marker) {
      const icon = GP.el('div', 'drone-icon');
      icon.appendChild(GP.el('div', 'arrow'));
      icon.appendChild(GP.el('div', 'label', d.id));
      icon.dataset.drone = d.id;
      marker = L.marker(at, {icon: L.divIcon({html: icon, className: 'drone-marker', iconSize: [28, 28], iconAnchor: [14, 14]}),
        keyboard: false});
      marker.addTo(this.map);
      marker.iconNode = icon;
      this.markers[d.id] = marker;
      this.tracks[d.id] = L.polyline([], {color: '#0d47a1', weight: 2, opacity: 0.7}).addTo(this.map);
    }
    marker.setLatLng(at);
    const icon = marker.iconNode;
    icon.dataset.lat = String(d.lat);
    icon.dataset.lon = String(d.lon);
    icon.classList.toggle('stalled', Boolean(d.stalled));
    icon.firstChild.style.transform = 'rotate(' + (d.heading_deg || 0) + 'deg)';
    const track = this.tracks[d.id];
    if (full && d.track) track.setLatLngs(d.track);
    else {
      const pts = track.getLatLngs();
      const last = pts[pts.length - 1];
      if (!last || last.distanceTo(at) >= 1) track.addLatLng(at);
    }
  },
};
