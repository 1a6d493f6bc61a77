/* Start-up: login, district, live stream (drones, incidents, end), the station-silent banner. */
'use strict';
GP.showLogin = function (message) {
  if (GP.stream) { GP.stream.close(); GP.stream = null; }
  if (GP.video) GP.video.stop();
  if (GP.proposals) GP.proposals.stop();
  if (GP.schedules) GP.schedules.stop();
  GP.me = null;
  GP.$('#app').hidden = true;
  GP.$('#logout').hidden = true;
  GP.$('#who').textContent = '';
  GP.$('#login').hidden = false;
  GP.$('#login-error').textContent = message || '';
};

GP.incident = function (inc, top) {
  const li = GP.el('li');
  const where = inc.grid_id ? GP.t('grid {0}', inc.grid_id) : GP.t('outside the grids');
  const what = GP.t(inc.type) + ' ×' + inc.people + ' · ' + where;
  li.appendChild(GP.el('strong', null, new Date(inc.ts).toLocaleTimeString('en-GB') + ' '));
  li.appendChild(document.createTextNode(what + ' · ' + inc.drone + (inc.warned ? ' · ' + GP.t('warned') : '')));
  li.dataset.incident = inc.id;
  if (inc.snapshot) {
    const img = GP.el('img', 'thumb');
    img.alt = GP.t('snapshot');
    img.loading = 'lazy';
    img.src = '/api/incidents/' + encodeURIComponent(inc.id) + '/snapshot';
    li.insertBefore(img, li.firstChild);
  }
  if (GP.me && GP.me.can_command && inc.lat !== null && inc.lat !== undefined) {
    const b = GP.tr('button', 'danger', 'Investigate');
    b.type = 'button';
    b.dataset.action = 'investigate';
    b.addEventListener('click', () => GP.controls.act(inc.drone, 'investigate', {incident: inc.id},
      GP.t('Send {0} to look at this {1} incident, then back to its route?', inc.drone, GP.t(inc.type))));
    li.appendChild(document.createTextNode(' '));
    li.appendChild(b);
  }
  const list = GP.$('#incidents');
  if (top) list.insertBefore(li, list.firstChild); else list.appendChild(li);
};

GP.onDrones = function (drones, full, grids) {
  if (grids) GP.map.gridColours(grids);
  GP.lastNews = Date.now();
  GP.$('#station-silent').hidden = true;
  GP.$('#link-state').dataset.i18n = 'live';
  GP.$('#link-state').textContent = GP.t('live');
  GP.$('#link-state').className = 'badge on';
  drones.forEach((d) => { GP.drones[d.id] = d; GP.cards.update(d); GP.map.drone(d, full); });
};

GP.listen = function () {
  const es = new EventSource('/api/events');
  GP.stream = es;
  es.addEventListener('drones', (ev) => { const data = JSON.parse(ev.data); GP.onDrones(data.drones, data.full, data.grids); });
  es.addEventListener('incident', (ev) => GP.incident(JSON.parse(ev.data), true));
  es.addEventListener('end', (ev) => GP.showLogin(JSON.parse(ev.data).reason));
  es.onerror = async () => {
    if (es.readyState === EventSource.CLOSED) {
      const r = await GP.call('GET', '/api/me');
      if (!r.ok) GP.showLogin(GP.t('Your login ended; log in again.'));
    }
  };
};

GP.start = async function () {
  GP.$('#login').hidden = true;
  GP.$('#app').hidden = false;
  GP.$('#logout').hidden = false;
  GP.$('#who').textContent = GP.me.username + ' (' + GP.me.role + ')';
  if (!GP.map.map) GP.map.init((lat, lon) => GP.controls.picked(lat, lon));
  const [district, phrases, incidents] = await Promise.all([
    GP.call('GET', '/api/district'), GP.call('GET', '/api/phrases'), GP.call('GET', '/api/incidents')]);
  if (!district.ok) return;
  GP.map.district(district.data);
  GP.controls.init(phrases.data);
  if (GP.me.can_command) GP.talk.init();
  await GP.plan.init();
  incidents.data.incidents.forEach((inc) => GP.incident(inc, false));
  GP.listen();
  if (GP.video) GP.video.start();
  if (GP.proposals) GP.proposals.start();
  if (GP.schedules) GP.schedules.start();
};

document.addEventListener('DOMContentLoaded', async () => {
  GP.translate();
  GP.$('#lang').addEventListener('click', () => GP.setLang(GP.lang === 'zh' ? 'en' : 'zh'));
  GP.$('#login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const r = await GP.call('POST', '/api/login', {username: f.username.value, password: f.password.value});
    if (!r.ok) { GP.$('#login-error').textContent = GP.detail(r.data); return; }
    f.password.value = '';
    GP.me = r.data;
    GP.me.can_command = r.data.role === 'operator';
    GP.start();
  });
  GP.$('#logout').addEventListener('click', async () => {
    await GP.call('POST', '/api/logout', {});
    window.location.reload();
  });
  setInterval(() => {
    if (GP.me && GP.lastNews && Date.now() - GP.lastNews > 2000) {
      GP.$('#station-silent').hidden = false;
      GP.$('#link-state').dataset.i18n = 'silent';
      GP.$('#link-state').textContent = GP.t('silent');
      GP.$('#link-state').className = 'badge off';
    }
  }, 500);
  const me = await GP.call('GET', '/api/me');
  if (me.ok) { GP.me = me.data; GP.start(); } else GP.showLogin('');
});
