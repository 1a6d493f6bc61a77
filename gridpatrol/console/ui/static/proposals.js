/* Proposed warnings (a grid in `confirm` mode): each with its phrase, snapshot, drone, grid and a countdown; Play
 * (or the key w, for the newest) plays it through the drone's loudspeaker, Dismiss drops it. Observers see them
 * without buttons. Polled from /api/proposals twice a second; items are updated in place, never rebuilt, so a
 * click never lands on a replaced button. Every string goes in with textContent. Each Play is logged
 * (GP.proposals.clicks) for the benchmark. */
'use strict';
Object.assign(GP.ZH, {
  'Proposed warnings': '待确认喊话', 'Play': '播放', 'Dismiss': '忽略', 'expires in {0} s': '{0} 秒后过期',
  'no proposed warnings': '暂无待确认喊话', 'Key w plays the newest proposed warning.': '按 w 播放最新的待确认喊话。',
  'proposed': '待确认', 'played': '已播放', 'dismissed': '已忽略', 'expired': '已过期',
});

GP.proposals = {
  items: {},       // id -> {li, view, seen} (seen: performance.now() when expires_in_s was read)
  clicks: [],      // {id, clicked} (epoch ms), for the benchmark
  timer: null,
  ticker: null,
};

GP.proposals.start = function () {
  GP.proposals.stop();
  const list = GP.$('#proposals');
  list.textContent = '';
  GP.$('#proposals-panel').hidden = false;
  if (GP.me && GP.me.can_command) {
    const hint = GP.$('#proposals-hint');
    hint.dataset.i18n = 'Key w plays the newest proposed warning.';
    hint.textContent = GP.t(hint.dataset.i18n);
    document.addEventListener('keydown', GP.proposals.key);
  }
  GP.proposals.poll();
  GP.proposals.timer = setInterval(GP.proposals.poll, 500);
  GP.proposals.ticker = setInterval(GP.proposals.tick, 250);
};

GP.proposals.stop = function () {
  if (GP.proposals.timer) clearInterval(GP.proposals.timer);
  if (GP.proposals.ticker) clearInterval(GP.proposals.ticker);
  GP.proposals.timer = GP.proposals.ticker = null;
  document.removeEventListener('keydown', GP.proposals.key);
  GP.proposals.items = {};
};

/* A plain fetch, not GP.call: when the login ends, the live stream's `end` event says why (disabled, logged out)
 * and shows the login; a poll must not get there first with a vaguer message. */
GP.proposals.poll = async function () {
  let data;
  try {
    const response = await fetch('/api/proposals', {credentials: 'same-origin', cache: 'no-store'});
    if (!response.ok) return;
    data = await response.json();
  } catch (err) {
    return;  // the station does not answer: the page's banner says so
  }
  if (!GP.proposals.timer) return;  // stopped (logged out) while the request was out
  const list = GP.$('#proposals');
  const open = data.proposals.filter((p) => p.state === 'proposed');
  const ids = new Set(open.map((p) => p.id));
  Object.keys(GP.proposals.items).forEach((id) => {
    if (!ids.has(id)) { GP.proposals.items[id].li.remove(); delete GP.proposals.items[id]; }
  });
  open.slice().reverse().forEach((p) => {  // oldest first, so the newest ends on top
    let item = GP.proposals.items[p.id];
    if (!item) {
      item = {li: GP.proposals.build(p)};
      GP.proposals.items[p.id] = item;
      list.insertBefore(item.li, list.firstChild);
    }
    item.view = p;
    item.seen = performance.now();
  });
  GP.$('#proposals-empty').hidden = open.length > 0;
  GP.proposals.tick();
};

GP.proposals.build = function (p) {
  const li = GP.el('li', 'proposal');
  li.dataset.proposal = p.id;
  if (p.snapshot) {
    const img = GP.el('img', 'thumb');
    img.alt = GP.t('snapshot');
    img.src = p.snapshot;
    li.appendChild(img);
  }
  li.appendChild(GP.el('q', 'phrase', p.text));
  const where = p.grid ? GP.t('grid {0}', p.grid) : GP.t('outside the grids');
  li.appendChild(GP.el('div', 'hint', GP.t(p.kind) + ' · ' + where + ' · ' + p.drone));
  li.appendChild(GP.el('div', 'countdown'));
  if (GP.me && GP.me.can_command) {
    const buttons = GP.el('div', 'buttons');
    const play = GP.tr('button', 'play', 'Play');
    play.type = 'button';
    play.dataset.action = 'play';
    play.addEventListener('click', () => GP.proposals.decide(p.id, 'play'));
    const dismiss = GP.tr('button', null, 'Dismiss');
    dismiss.type = 'button';
    dismiss.dataset.action = 'dismiss';
    dismiss.addEventListener('click', () => GP.proposals.decide(p.id, 'dismiss'));
    buttons.appendChild(play);
    buttons.appendChild(dismiss);
    li.appendChild(buttons);
  }
  return li;
};

/* Count each proposal down from the seconds the station gave; at zero its buttons are disabled (the station
 * refuses an expired one anyway, 409). */
GP.proposals.tick = function () {
  Object.values(GP.proposals.items).forEach((item) => {
    const left = Math.max(0, item.view.expires_in_s - (performance.now() - item.seen) / 1000);
    item.li.querySelector('.countdown').textContent = GP.t('expires in {0} s', Math.ceil(left));
    item.li.querySelectorAll('button').forEach((b) => { b.disabled = left <= 0; });
  });
};

GP.proposals.decide = async function (id, verb) {
  if (verb === 'play') GP.proposals.clicks.push({id, clicked: Date.now()});
  const r = await GP.call('POST', '/api/proposals/' + encodeURIComponent(id) + '/' + verb, {});
  if (r.ok) {
    GP.say(true, GP.t(r.data.state) + ': ' + r.data.drone + ' · ' + r.data.text);
    const item = GP.proposals.items[id];
    if (item) { item.li.remove(); delete GP.proposals.items[id]; }
  } else {
    GP.say(false, GP.detail(r.data));
  }
};

/* w plays the newest proposal (not while typing, not with modifiers, not over a confirmation). */
GP.proposals.key = function (ev) {
  const tag = (ev.target && ev.target.tagName) || '';
  if (ev.key !== 'w' || ev.ctrlKey || ev.altKey || ev.metaKey || ['INPUT', 'SELECT', 'TEXTAREA'].includes(tag)) return;
  if (!GP.$('#confirm').hidden) return;
  const first = GP.$('#proposals li.proposal');
  if (!first) return;
  ev.preventDefault();
  GP.proposals.decide(first.dataset.proposal, 'play');
};
