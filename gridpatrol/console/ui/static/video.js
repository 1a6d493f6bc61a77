/* Live video: one tile per drone with a camera (a mosaic when several), each frame drawn into a <canvas> with the
 * analysis overlay over it (person boxes, track ids, mask verdicts, crowd outlines). Frames come from
 * /api/video/DRONE.mjpg (multipart JPEG; number, capture time and overlay in each part's headers). Only the newest
 * frame is drawn: one arriving while another decodes replaces the waiting one. Overlay strings are drawn with
 * fillText only. Each paint is logged (GP.video.paints) for the benchmark. */
'use strict';
Object.assign(GP.ZH, {
  'Live video': '实时视频', 'waiting for video': '等待视频', 'frame {0}': '第 {0} 帧',
  'Video stalled: no frame for {0} s': '视频中断：{0} 秒没有画面',
  'Analysis stalled: no analysed frame for {0} s': '分析中断：{0} 秒没有分析结果',
});

GP.video = {
  tiles: {},       // drone id -> tile state
  paints: [],      // {drone, frame, captured, painted} (epoch ms), the newest 5000
  stallS: 1.5,
  analysisFps: 2,
  timer: null,
};

GP.video.start = async function () {
  GP.video.stop();
  const r = await GP.call('GET', '/api/video');
  if (!r.ok || !r.data.drones.length) return;
  GP.video.stallS = r.data.stall_s;
  GP.video.analysisFps = r.data.analysis_fps;
  const mosaic = GP.$('#video-mosaic');
  mosaic.textContent = '';
  mosaic.dataset.count = String(r.data.drones.length);
  GP.$('#video-panel').hidden = false;
  r.data.drones.forEach((d) => GP.video.open(d.id, mosaic));
  GP.video.timer = setInterval(GP.video.checkStalls, 250);
};

GP.video.stop = function () {
  Object.values(GP.video.tiles).forEach((tile) => tile.abort.abort());
  GP.video.tiles = {};
  if (GP.video.timer) clearInterval(GP.video.timer);
  GP.video.timer = null;
};

GP.video.open = function (id, mosaic) {
  const fig = GP.el('figure', 'video-tile');
  fig.dataset.drone = id;
  const canvas = GP.el('canvas');
  canvas.width = 640; canvas.height = 360;
  const caption = GP.el('figcaption');
  const name = GP.el('strong', null, id + ' ');
  const info = GP.tr('span', 'video-info', 'waiting for video');
  const banner = GP.el('p', 'banner video-stalled');
  banner.setAttribute('role', 'alert');
  banner.hidden = true;
  caption.append(name, info);
  fig.append(canvas, caption, banner);
  mosaic.appendChild(fig);
  const tile = {id, fig, canvas, info, banner, abort: new AbortController(), received: 0, analysisAge: null,
    pending: null, busy: false};
  GP.video.tiles[id] = tile;
  GP.video.read(tile);
};

/* Read the multipart stream; reconnect after a second while logged in. */
GP.video.read = async function (tile) {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const sep = enc.encode('\r\n\r\n');
  while (GP.me && GP.video.tiles[tile.id] === tile) {
    try {
      const response = await fetch('/api/video/' + encodeURIComponent(tile.id) + '.mjpg',
        {credentials: 'same-origin', cache: 'no-store', signal: tile.abort.signal});
      if (response.status === 401) { GP.showLogin(GP.t('Your login ended; log in again.')); return; }
      if (!response.ok || !response.body) throw new Error('video ' + response.status);
      const reader = response.body.getReader();
      let buf = new Uint8Array(0);
      for (;;) {
        const {done, value} = await reader.read();
        if (done) break;
        const joined = new Uint8Array(buf.length + value.length);
        joined.set(buf); joined.set(value, buf.length);
        buf = joined;
        for (;;) {
          const end = GP.video.find(buf, sep);
          if (end < 0) break;
          const headers = GP.video.headers(dec.decode(buf.subarray(0, end)));
          const length = Number(headers['content-length']);
          const start = end + sep.length;
          if (buf.length < start + length) break;
          GP.video.arrived(tile, headers, buf.slice(start, start + length));
          buf = buf.slice(start + length);
        }
      }
    } catch (err) {
      if (tile.abort.signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
};

GP.video.find = function (buf, sep) {
  outer: for (let i = 0; i + sep.length <= buf.length; i++) {
    for (let j = 0; j < sep.length; j++) if (buf[i + j] !== sep[j]) continue outer;
    return i;
  }
  return -1;
};

GP.video.headers = function (text) {
  const out = {};
  text.split('\r\n').forEach((line) => {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  });
  return out;
};

GP.video.arrived = function (tile, headers, jpeg) {
  tile.received = Date.now();
  const age = headers['x-analysis-age'];
  tile.analysisAge = age === undefined ? null : {age: Number(age), at: tile.received};
  tile.pending = {frame: Number(headers['x-frame']), captured: Number(headers['x-captured']) * 1000,
    overlay: JSON.parse(headers['x-overlay'] || 'null'), jpeg};
  if (!tile.busy) GP.video.paint(tile);
};

/* Decode and draw the newest waiting frame, then its overlay; log when it is on screen. */
GP.video.paint = async function (tile) {
  const next = tile.pending;
  if (!next) return;
  tile.pending = null;
  tile.busy = true;
  try {
    const bitmap = await createImageBitmap(new Blob([next.jpeg], {type: 'image/jpeg'}));
    const c = tile.canvas;
    if (c.width !== bitmap.width || c.height !== bitmap.height) { c.width = bitmap.width; c.height = bitmap.height; }
    const ctx = c.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const drawn = GP.video.overlay(ctx, next.overlay);
    tile.fig.dataset.frame = String(next.frame);
    tile.fig.dataset.boxes = String(drawn.boxes);
    tile.fig.dataset.crowds = String(drawn.crowds);
    tile.info.dataset.i18n = '';
    tile.info.textContent = GP.t('frame {0}', next.frame);
    requestAnimationFrame(() => {
      const log = GP.video.paints;
      log.push({drone: tile.id, frame: next.frame, captured: next.captured, painted: performance.timeOrigin + performance.now()});
      if (log.length > 5000) log.splice(0, log.length - 5000);
    });
  } catch (err) {
    // a broken frame is skipped; the next one is drawn
  } finally {
    tile.busy = false;
  }
  if (tile.pending) GP.video.paint(tile);
};

GP.video.COLOURS = {without_mask: '#e53935', with_mask: '#43a047', incorrect_mask: '#fb8c00'};

/* Boxes with "#track verdict" and crowd hulls; every string is drawn as text. Returns what it drew. */
GP.video.overlay = function (ctx, overlay) {
  if (!overlay) return {boxes: 0, crowds: 0};
  const scale = Math.max(1, ctx.canvas.width / 640);
  ctx.lineWidth = 2 * scale;
  ctx.font = (14 * scale) + 'px sans-serif';
  ctx.textBaseline = 'bottom';
  overlay.crowds.forEach((crowd) => {
    if (!crowd.hull.length) return;
    ctx.strokeStyle = '#d500f9';
    ctx.beginPath();
    crowd.hull.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.stroke();
    ctx.fillStyle = '#d500f9';
    ctx.fillText(String(crowd.count) + ' ×', crowd.hull[0][0], crowd.hull[0][1]);
  });
  overlay.boxes.forEach((b) => {
    const [x1, y1, x2, y2] = b.box;
    ctx.strokeStyle = GP.video.COLOURS[b.verdict] || '#ffeb3b';
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const label = (b.track_id === null ? '' : '#' + b.track_id) + (b.verdict ? ' ' + GP.t(b.verdict) : '');
    if (label) { ctx.fillStyle = ctx.strokeStyle; ctx.fillText(label, x1, y1 - 2); }
  });
  return {boxes: overlay.boxes.length, crowds: overlay.crowds.length};
};

/* Per drone: no frame for stall_s, or frames with an overlay older than stall_s plus one analysis period. */
GP.video.checkStalls = function () {
  const now = Date.now();
  Object.values(GP.video.tiles).forEach((tile) => {
    let text = null;
    if (tile.received && now - tile.received > GP.video.stallS * 1000) {
      text = GP.t('Video stalled: no frame for {0} s', ((now - tile.received) / 1000).toFixed(1));
    } else if (tile.analysisAge) {
      const age = tile.analysisAge.age + (now - tile.analysisAge.at) / 1000;
      if (age > GP.video.stallS + 1 / GP.video.analysisFps) {
        text = GP.t('Analysis stalled: no analysed frame for {0} s', age.toFixed(1));
      }
    }
    tile.banner.hidden = text === null;
    tile.banner.textContent = text || '';
    tile.fig.classList.toggle('stalled', text !== null);
  });
};
