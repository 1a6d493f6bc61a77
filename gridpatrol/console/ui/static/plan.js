/* Plan and launch (operators): pick grids, drones, pattern, height and sortie, preview the routes on the map with
 * their length, time and sorties, then launch. The panel stays after a launch: drones that have landed can fly
 * their next sortie or another patrol (a drone still flying is refused by name). The planner's refusals are shown
 * in its words. */
'use strict';
GP.plan = {
  layer: null,

  async init() {
    const panel = GP.$('#plan-panel');
    if (!panel) return;
    const r = await GP.call('GET', '/api/launch');
    if (!r.ok || !GP.me.can_command) { panel.remove(); return; }
    const c = r.data;
    panel.hidden = false;
    const grids = GP.$('#plan-grids');
    c.grids.forEach((g) => grids.appendChild(this.box('grid', g.id, g.id + ' ' + g.name, c.selected.grids.includes(g.id))));
    const drones = GP.$('#plan-drones');
    c.drones.forEach((d) => drones.appendChild(this.box('drone', d, d, c.selected.drones.includes(d))));
    const pattern = GP.$('#plan-form [name=pattern]');
    c.patterns.forEach((p) => { const o = GP.el('option', null, p); o.value = p; pattern.appendChild(o); });
    GP.$('#plan-form [name=alt_m]').value = c.alt_m;
    GP.$('#plan-form').addEventListener('submit', (ev) => { ev.preventDefault(); this.preview(); });
    GP.$('#plan-launch').addEventListener('click', () => this.launch());
  },

  box(name, value, text, checked) {
    const label = GP.el('label', 'inline');
    const input = GP.el('input');
    input.type = 'checkbox';
    input.name = name;
    input.value = value;
    input.checked = checked;
    label.appendChild(input);
    label.appendChild(GP.el('span', null, text));
    return label;
  },

  body() {
    const f = GP.$('#plan-form');
    const picked = (name) => Array.from(f.querySelectorAll('input[name=' + name + ']:checked')).map((i) => i.value);
    const body = {grids: picked('grid'), drones: picked('drone')};
    if (f.pattern.value) body.pattern = f.pattern.value;
    if (f.alt_m.value !== '') body.alt_m = Number(f.alt_m.value);
    if (f.sortie.value !== '' && f.sortie.value !== '1') body.sortie = Number(f.sortie.value);
    return body;
  },

  async preview() {
    GP.say(true, GP.t('Planning …'));
    const r = await GP.call('POST', '/api/plan', this.body());
    const out = GP.$('#plan-summary');
    out.textContent = '';
    if (this.layer) { this.layer.remove(); this.layer = null; }
    if (!r.ok) { GP.say(false, GP.detail(r.data)); GP.$('#plan-launch').disabled = true; return; }
    const p = r.data;
    this.layer = L.geoJSON(p.routes, {
      style: (f) => ({color: f.properties.stroke || '#6a1b9a', weight: 3, opacity: 0.8, className: 'plan-route'}),
    }).addTo(GP.map.map);
    out.appendChild(GP.el('li', 'plan-total', GP.t('{0} km in all, {1} min of flight, {2} sortie(s)',
      (p.length_m / 1000).toFixed(2), p.flight_min, p.sorties)));
    p.drones.forEach((d) => d.sorties.forEach((s) => {
      out.appendChild(GP.el('li', null, GP.t('{0} sortie {1} from {2}: grids {3}, {4} km, {5} min, {6} % battery',
        d.drone, s.sortie, d.launch, s.grids.join(', '), (s.length_m / 1000).toFixed(2), s.duration_min, s.energy_pct)));
    }));
    if (p.flies_first_sortie_only) out.appendChild(GP.el('li', 'hint', GP.t('Each launch flies the sortie chosen above; launch the next one once the drones have landed.')));
    GP.$('#plan-launch').disabled = false;
    GP.say(true, GP.t('Planned; check the routes, then launch.'));
  },

  async launch() {
    const body = this.body();
    if (!(await GP.confirm(GP.t('Launch {0} over grid(s) {1}?', body.drones.join(', '), body.grids.join(', '))))) {
      GP.say(true, GP.t('cancelled'));
      return;
    }
    const r = await GP.call('POST', '/api/launch', Object.assign({confirm: true}, body));
    GP.say(r.ok, r.ok ? r.data.result : GP.detail(r.data));
    if (r.ok) {
      GP.$('#plan-launch').disabled = true;  // preview again before another launch
      if (this.layer) this.layer.setStyle({dashArray: '4 6', weight: 2});
    }
  },
};
