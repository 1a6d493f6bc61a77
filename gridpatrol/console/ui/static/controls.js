/* Operator controls: actions on a drone, go-to a picked point, speech. Observers never get these elements. */
'use strict';
GP.controls = {
  init(phrases) {
    if (!GP.me.can_command) { GP.$('#controls').remove(); return; }
    GP.$('#controls').hidden = false;
    const hint = GP.$('#map-hint');
    hint.dataset.i18n = 'Click the map to pick a go-to point. Keys for the drone chosen under Command: p pause, ' +
      'r resume, h return home.';
    hint.textContent = GP.t(hint.dataset.i18n);
    document.addEventListener('keydown', (ev) => this.key(ev));
    const lang = GP.$('#speak-form [name=lang]');
    phrases.langs.forEach((l) => { const o = GP.el('option', null, l); o.value = l; lang.appendChild(o); });
    lang.value = phrases.lang;
    GP.$('#speak-form [name=text]').maxLength = phrases.max_text_chars;
    const box = GP.$('#phrases');
    phrases.phrases.forEach((p) => {
      const b = GP.el('button', null, p.texts[lang.value] || p.name);
      b.type = 'button';
      b.dataset.phrase = p.name;
      b.addEventListener('click', () => this.act(this.drone(), 'speak', {phrase: p.name, lang: lang.value}));
      box.appendChild(b);
    });
    GP.$('#speak-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = ev.target;
      this.act(this.drone(), 'speak', {text: f.text.value, lang: f.lang.value});
    });
    GP.$('#goto-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = ev.target;
      const body = {lat: Number(f.lat.value), lon: Number(f.lon.value)};
      if (f.alt_m.value !== '') body.alt_m = Number(f.alt_m.value);
      const id = this.drone();
      this.act(id, 'goto', body, GP.t('Fly {0} to {1}, {2} (GUIDED)?', id, body.lat.toFixed(6), body.lon.toFixed(6)));
    });
  },

  /* Keyboard shortcuts for the drone chosen under Command (not while typing, not with modifiers). */
  key(ev) {
    const tag = (ev.target && ev.target.tagName) || '';
    if (ev.ctrlKey || ev.altKey || ev.metaKey || ['INPUT', 'SELECT', 'TEXTAREA'].includes(tag)) return;
    if (!GP.$('#confirm').hidden) return;
    const id = this.drone();
    if (!id) return;
    if (ev.key === 'p') this.act(id, 'pause', {});
    else if (ev.key === 'r') this.act(id, 'resume', {});
    else if (ev.key === 'h') this.act(id, 'return-home', {}, GP.t('Return {0} home now (RTL)? Its mission ends.', id));
    else return;
    ev.preventDefault();
  },

  addDrone(id) {
    const sel = GP.$('#drone-select');
    if (!sel) return;
    const o = GP.el('option', null, id);
    o.value = id;
    sel.appendChild(o);
  },

  drone() { const sel = GP.$('#drone-select'); return sel ? sel.value : ''; },

  picked(lat, lon) {
    const f = GP.$('#goto-form');
    if (!f) return;
    f.lat.value = lat.toFixed(7);
    f.lon.value = lon.toFixed(7);
  },

  /* Send one action; dangerous ones (question given) are confirmed in the page first. */
  async act(droneId, action, body, question) {
    if (question) {
      if (!(await GP.confirm(question))) { GP.say(true, GP.t('cancelled')); return; }
      body = Object.assign({confirm: true}, body);
    }
    GP.say(true, action + ' ' + droneId + ' …');
    const r = await GP.call('POST', '/api/drones/' + encodeURIComponent(droneId) + '/' + action, body);
    GP.say(r.ok, r.ok ? r.data.result : GP.detail(r.data));
  },
};
