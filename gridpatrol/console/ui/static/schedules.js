/* Recurring patrols: the schedules (name, times, days, grids, drones, next time) and their tasks with their states
 * (sent, in progress, paused, done, failed, cancelled) and what happened. Operators save, switch off and delete
 * schedules; observers see them. Polled from /api/schedules every 2 s; every string goes in with textContent. */
'use strict';
Object.assign(GP.ZH, {
  'Schedules': '定时巡逻', 'Name': '名称', 'Times (HH:MM)': '时间（时:分）', 'Days': '星期', 'Save schedule': '保存定时',
  'no schedules': '暂无定时巡逻', 'Tasks': '任务', 'no tasks yet': '暂无任务', 'next {0}': '下次 {0}', 'off': '已停用',
  'Switch off': '停用', 'Switch on': '启用', 'Delete': '删除', 'Delete schedule {0}?': '删除定时巡逻 {0}？',
  'Saved schedule {0}.': '已保存定时巡逻 {0}。', 'Times in {0}; the grids, drones, pattern and height are taken from Plan and launch above.':
    '时间按 {0}；网格、无人机、航线样式和高度取自上方的“规划与起飞”。',
  'sent': '已下发', 'in progress': '进行中', 'paused': '已暂停', 'done': '已完成', 'failed': '失败',
  'mon': '一', 'tue': '二', 'wed': '三', 'thu': '四', 'fri': '五', 'sat': '六', 'sun': '日',
});

GP.schedules = {timer: null, zone: ''};

GP.schedules.start = function () {
  GP.schedules.stop();
  const panel = GP.$('#schedules-panel');
  panel.hidden = false;
  const form = GP.$('#schedule-form');
  if (GP.me && GP.me.can_command && GP.$('#plan-form')) {
    form.hidden = false;
    if (!form.dataset.ready) {
      form.dataset.ready = '1';
      const days = GP.$('#schedule-days');
      ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].forEach((d) => {
        const box = GP.plan.box('day', d, GP.t(d), true);
        box.querySelector('span').dataset.i18n = d;  // follows language switches
        days.appendChild(box);
      });
      form.addEventListener('submit', (ev) => { ev.preventDefault(); GP.schedules.save(); });
    }
  } else {
    form.remove();
  }
  if (!panel.dataset.ready) {
    panel.dataset.ready = '1';
    GP.$('#lang').addEventListener('click', () => { if (GP.schedules.timer) GP.schedules.poll(); });  // redraw in it
  }
  GP.schedules.poll();
  GP.schedules.timer = setInterval(GP.schedules.poll, 2000);
};

GP.schedules.stop = function () {
  if (GP.schedules.timer) clearInterval(GP.schedules.timer);
  GP.schedules.timer = null;
};

GP.schedules.save = async function () {
  const f = GP.$('#schedule-form');
  const body = Object.assign(GP.plan.body(), {
    name: f.name.value.trim(),
    times: f.times.value.split(/[\s,;]+/).filter((t) => t),
    days: Array.from(f.querySelectorAll('input[name=day]:checked')).map((i) => i.value),
  });
  const r = await GP.call('POST', '/api/schedules', body);
  GP.say(r.ok, r.ok ? GP.t('Saved schedule {0}.', r.data.name) : GP.detail(r.data));
  if (r.ok) { f.name.value = ''; GP.schedules.poll(); }
};

GP.schedules.poll = async function () {
  let data;
  try {
    const response = await fetch('/api/schedules', {credentials: 'same-origin', cache: 'no-store'});
    if (!response.ok) return;
    data = await response.json();
  } catch (err) {
    return;  // the station does not answer: the page's banner says so
  }
  if (!GP.schedules.timer) return;
  const hint = GP.$('#schedules-hint');
  hint.textContent = GP.t('Times in {0}; the grids, drones, pattern and height are taken from Plan and launch above.', data.timezone);
  GP.schedules.render(data);
};

GP.schedules.render = function (data) {
  const list = GP.$('#schedules');
  list.textContent = '';
  data.schedules.forEach((s) => {
    const li = GP.el('li', 'schedule');
    li.dataset.schedule = s.id;
    li.appendChild(GP.el('strong', null, s.name));
    const when = s.times.join(', ') + ' · ' + s.days.map((d) => GP.t(d)).join(' ');
    li.appendChild(GP.el('span', null, ' ' + when + ' · ' + s.grids.join(', ') + ' · ' + s.drones.join(', ') + ' · '));
    li.appendChild(GP.el('span', 'next', s.enabled ? GP.t('next {0}', s.next.replace('T', ' ').slice(0, 16)) : GP.t('off')));
    if (GP.me && GP.me.can_command) {
      const buttons = GP.el('span', 'buttons');
      const toggle = GP.el('button', null, GP.t(s.enabled ? 'Switch off' : 'Switch on'));
      toggle.type = 'button';
      toggle.dataset.action = 'toggle';
      toggle.addEventListener('click', async () => {
        const r = await GP.call('PATCH', '/api/schedules/' + encodeURIComponent(s.id), {enabled: !s.enabled});
        if (!r.ok) GP.say(false, GP.detail(r.data));
        GP.schedules.poll();
      });
      const del = GP.el('button', 'danger', GP.t('Delete'));
      del.type = 'button';
      del.dataset.action = 'delete';
      del.addEventListener('click', async () => {
        if (!(await GP.confirm(GP.t('Delete schedule {0}?', s.name)))) return;
        const r = await GP.call('DELETE', '/api/schedules/' + encodeURIComponent(s.id));
        GP.say(r.ok, r.ok ? r.data.result : GP.detail(r.data));
        GP.schedules.poll();
      });
      buttons.appendChild(toggle);
      buttons.appendChild(del);
      li.appendChild(buttons);
    }
    list.appendChild(li);
  });
  GP.$('#schedules-empty').hidden = data.schedules.length > 0;
  const tasks = GP.$('#tasks');
  tasks.textContent = '';
  data.tasks.forEach((t) => {
    const li = GP.el('li', 'task');
    li.dataset.task = t.id;
    li.dataset.state = t.state;
    li.appendChild(GP.el('strong', null, t.name + ' ' + t.due.replace('T', ' ').slice(0, 16) + ' '));
    li.appendChild(GP.el('span', 'state', GP.t(t.state)));
    li.appendChild(GP.el('div', 'detail', t.detail));
    tasks.appendChild(li);
  });
  GP.$('#tasks-empty').hidden = data.tasks.length > 0;
};
