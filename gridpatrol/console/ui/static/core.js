/* Console core: the shared state, safe element building (text only) and calls to the station's API.
 * Every string from a vehicle, the district file or the station goes into the page as textContent. */
'use strict';
Object.assign(window.GP = window.GP || {}, {
  me: null,          // {username, role, csrf, can_command}
  drones: {},        // id -> latest view
  district: null,
  lastNews: 0,       // Date.now() of the last drones event
});

GP.el = function (tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
};

GP.$ = (sel) => document.querySelector(sel);

GP.say = function (ok, text) {
  GP.$('#status').textContent = ok ? text : '';
  GP.$('#error').textContent = ok ? '' : text;
};

/* A JSON call; state-changing calls carry the login's CSRF token. Resolves to {ok, status, data}. */
GP.call = async function (method, path, body) {
  const headers = {Accept: 'application/json', 'X-Console-Lang': GP.lang};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && GP.me) headers['X-CSRF-Token'] = GP.me.csrf;
  let response;
  try {
    response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store'});
  } catch (err) {
    return {ok: false, status: 0, data: {detail: 'the station does not answer: ' + err}};
  }
  let data = {};
  try { data = await response.json(); } catch (err) { data = {}; }
  const ended = response.status === 401 && path !== '/api/login' && path !== '/api/me';
  if (ended) GP.showLogin(GP.t('Your login ended; log in again.'));
  return {ok: response.ok, status: response.status, data};
};

GP.detail = function (data) {
  const d = data && data.detail;
  if (typeof d === 'string') return d;
  if (Array.isArray(d)) return d.map((e) => (e.loc || []).slice(1).join('.') + ': ' + e.msg).join('; ');
  return 'refused';
};

GP.fmt = function (value, unit, digits) {
  if (value === null || value === undefined) return '-';
  const text = typeof value === 'number' && digits !== undefined ? value.toFixed(digits) : String(value);
  return unit ? text + ' ' + unit : text;
};

/* An element whose text is the translation of ``key`` (and follows language switches). */
GP.tr = function (tag, cls, key) {
  const node = GP.el(tag, cls, GP.t(key));
  node.dataset.i18n = key;
  return node;
};

/* Ask before a dangerous action, in the page (no window.confirm). Resolves to true when confirmed. */
GP.confirm = function (text) {
  return new Promise((resolve) => {
    const box = GP.$('#confirm');
    GP.$('#confirm-text').textContent = text;
    box.hidden = false;
    GP.$('#confirm-yes').focus();
    const done = (answer) => {
      box.hidden = true;
      GP.$('#confirm-yes').onclick = null;
      GP.$('#confirm-no').onclick = null;
      box.onkeydown = null;
      resolve(answer);
    };
    GP.$('#confirm-yes').onclick = () => done(true);
    GP.$('#confirm-no').onclick = () => done(false);
    box.onkeydown = (ev) => { if (ev.key === 'Escape') done(false); };
  });
};
