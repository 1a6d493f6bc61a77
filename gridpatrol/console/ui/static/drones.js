/* One card per drone: live figures, a stalled banner, and (operators only) its buttons. Text only. */
'use strict';
GP.cards = {
  cards: {},
  FIELDS: [
    ['mode', 'Mode'], ['phase', 'Phase'], ['battery', 'Battery'], ['link', 'Link'],
    ['alt', 'Height'], ['speed', 'Speed'], ['heading', 'Heading'], ['grid', 'Grid'],
    ['item', 'Item'], ['video', 'Video'], ['message', 'Vehicle says'],
  ],

  build(d) {
    const card = GP.el('section', 'drone');
    card.dataset.drone = d.id;
    card.appendChild(GP.el('h3', null, d.id));
    const banner = GP.el('p', 'stalled', '');
    banner.setAttribute('role', 'alert');
    banner.hidden = true;
    card.appendChild(banner);
    const dl = GP.el('dl');
    const values = {};
    this.FIELDS.forEach(([key, label]) => {
      dl.appendChild(GP.tr('dt', null, label));
      const dd = GP.el('dd');
      dd.dataset.field = key;
      values[key] = dd;
      dl.appendChild(dd);
    });
    card.appendChild(dl);
    const checks = GP.el('ol', 'checks');
    checks.setAttribute('aria-label', GP.t('Pre-flight checks'));
    card.appendChild(checks);
    if (GP.me && GP.me.can_command) card.appendChild(this.buttons(d));
    GP.$('#drones').appendChild(card);
    const entry = {card, banner, values, checks};
    this.cards[d.id] = entry;
    GP.controls.addDrone(d.id);
    return entry;
  },

  buttons(d) {
    const box = GP.el('div', 'buttons');
    const add = (label, action, cls, ask) => {
      const b = GP.tr('button', cls, label);
      b.type = 'button';
      b.dataset.action = action;
      b.addEventListener('click', () => GP.controls.act(d.id, action, {}, ask ? ask() : null));
      box.appendChild(b);
    };
    add('Pause', 'pause');
    add('Resume', 'resume');
    add('Return home', 'return-home', 'danger', () => GP.t('Return {0} home now (RTL)? Its mission ends.', d.id));
    add('Land', 'land', 'danger', () => GP.t('Land {0} where it is now (LAND)? Check the ground below is clear.', d.id));
    const grids = GP.el('select');
    grids.setAttribute('aria-label', 'grid to skip');
    (d.grids || []).forEach((g) => { const o = GP.el('option', null, g); o.value = g; grids.appendChild(o); });
    box.appendChild(grids);
    const skip = GP.tr('button', 'danger', 'Skip grid');
    skip.type = 'button';
    skip.dataset.action = 'skip-grid';
    skip.addEventListener('click', () => GP.controls.act(d.id, 'skip-grid', {grid: grids.value},
      GP.t('Skip the rest of grid {0} on {1}?', grids.value, d.id)));
    box.appendChild(skip);
    return box;
  },

  MARKS: {waiting: '○', checking: '…', passed: '✓', failed: '✗'},

  /* The pre-flight checklist, shown until every check has passed (a failed one stays, with its reason). */
  showChecks(list, checks) {
    list.hidden = checks.length === 0 || checks.every((c) => c.state === 'passed');
    if (list.hidden) return;
    list.replaceChildren(...checks.map((c) => {
      const li = GP.el('li', null, (this.MARKS[c.state] || '?') + ' ' + GP.t(c.title) + (c.detail ? ': ' + c.detail : ''));
      li.dataset.check = c.key;
      li.dataset.state = c.state;
      return li;
    }));
  },

  update(d) {
    const entry = this.cards[d.id] || this.build(d);
    const v = entry.values;
    const armed = d.armed ? ' (' + GP.t('armed') + ')' : '';
    v.mode.textContent = d.connected ? (d.mode || '-') + armed : GP.t('not connected');
    v.phase.textContent = d.phase + (d.investigating ? ', ' + GP.t('investigating') : '') + (d.error ? ': ' + d.error : '');
    v.battery.textContent = GP.fmt(d.battery_pct, '%') + (d.voltage_v ? ' / ' + GP.fmt(d.voltage_v, 'V') : '');
    v.link.textContent = !d.connected ? '-' : GP.t(d.link_ok ? 'ok' : 'lost');
    v.alt.textContent = GP.fmt(d.alt_m, 'm');
    v.speed.textContent = GP.fmt(d.speed_ms, 'm/s');
    v.heading.textContent = GP.fmt(d.heading_deg, '°');
    v.grid.textContent = d.grid || '-';
    v.item.textContent = d.item === undefined || d.item === null ? '-' : d.item + ' / ' + d.items;
    v.video.textContent = d.video + (d.fps ? ', ' + d.fps + ' fps' : '');
    v.message.textContent = d.statustext || '-';
    const problems = [];
    if (d.stalled) problems.push(GP.t('Telemetry stopped {0} ago', GP.fmt(d.telemetry_age_s, 's', 1)));
    if (d.video_problem) problems.push(GP.t('Video: {0}', d.video_problem));
    entry.banner.hidden = problems.length === 0;
    entry.banner.textContent = problems.join(' · ');
    this.showChecks(entry.checks, d.checks || []);
    entry.card.classList.toggle('is-stalled', Boolean(d.stalled));
    entry.card.dataset.mode = d.mode || '';
  },
};
