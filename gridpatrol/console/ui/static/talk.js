/* Push-to-talk: hold the talk button (or the t key) and speak; on release the recording goes to the chosen
 * drone's loudspeaker, as a megaphone's record-and-play does. The microphone is opened on the first press and
 * kept for the session, so later presses start at once. Browsers give the microphone only to https pages or to
 * localhost; elsewhere the button says why it cannot work. */
'use strict';
GP.talk = {
  RATE: 16000,          // what the loudspeaker needs; the browser's rate is resampled to it
  MAX_S: 30,            // the station plays at most this much
  ready: false, context: null, source: null, node: null, chunks: null, started: 0, timer: null,

  init() {
    const button = GP.$('#talk');
    if (!button || this.ready) return;
    this.ready = true;
    if (!window.isSecureContext || !navigator.mediaDevices || !window.AudioWorkletNode) {
      button.disabled = true;
      button.title = GP.t('Push-to-talk needs the console on https or on this computer (localhost).');
      return;
    }
    button.addEventListener('pointerdown', (ev) => { ev.preventDefault(); this.start(); });
    ['pointerup', 'pointerleave', 'pointercancel'].forEach((name) => button.addEventListener(name, () => this.stop()));
    document.addEventListener('keydown', (ev) => { if (this.isKey(ev) && !ev.repeat) { ev.preventDefault(); this.start(); } });
    document.addEventListener('keyup', (ev) => { if (this.isKey(ev)) { ev.preventDefault(); this.stop(); } });
  },

  isKey(ev) {
    const tag = (ev.target && ev.target.tagName) || '';
    return ev.key === 't' && !ev.ctrlKey && !ev.altKey && !ev.metaKey && !['INPUT', 'SELECT', 'TEXTAREA'].includes(tag);
  },

  async open() {
    if (this.context) return;
    const stream = await navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: true}});
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule('/static/talk-worklet.js');
    this.source = this.context.createMediaStreamSource(stream);
    this.node = new AudioWorkletNode(this.context, 'gp-talk-capture');
    this.node.port.onmessage = (ev) => { if (this.chunks) this.chunks.push(ev.data); };
    this.source.connect(this.node);
  },

  async start() {
    if (this.chunks) return;
    const id = GP.controls.drone();
    if (!id) return;
    this.chunks = [];
    this.started = Date.now();
    GP.$('#talk').classList.add('talking');
    GP.say(true, GP.t('Talking to {0}: release to send', id));
    try {
      await this.open();
      await this.context.resume();
    } catch (err) {
      this.chunks = null;
      GP.$('#talk').classList.remove('talking');
      GP.say(false, GP.t('No microphone: {0}', String(err)));
      return;
    }
    this.timer = setTimeout(() => this.stop(), this.MAX_S * 1000);
  },

  async stop() {
    if (!this.chunks) return;
    clearTimeout(this.timer);
    const chunks = this.chunks;
    this.chunks = null;
    GP.$('#talk').classList.remove('talking');
    if (!this.context) return;
    const id = GP.controls.drone();
    const wav = this.wav(chunks, this.context.sampleRate);
    const lang = GP.$('#speak-form [name=lang]').value;
    GP.say(true, GP.t('Sending your voice to {0} …', id));
    let response;
    try {
      response = await fetch('/api/talk/' + encodeURIComponent(id) + '?lang=' + encodeURIComponent(lang), {
        method: 'POST', body: wav, credentials: 'same-origin', cache: 'no-store',
        headers: {'Content-Type': 'audio/wav', 'X-CSRF-Token': GP.me.csrf, Accept: 'application/json',
          'X-Console-Lang': GP.lang}});
    } catch (err) {
      GP.say(false, 'the station does not answer: ' + err);
      return;
    }
    let data = {};
    try { data = await response.json(); } catch (err) { data = {}; }
    GP.say(response.ok, response.ok ? data.result : GP.detail(data));
  },

  /* 16-bit mono PCM WAV at RATE from float blocks at ``rate`` (linear interpolation). */
  wav(chunks, rate) {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const input = new Float32Array(total);
    let at = 0;
    chunks.forEach((c) => { input.set(c, at); at += c.length; });
    const n = Math.floor(total * this.RATE / rate);
    const buffer = new ArrayBuffer(44 + 2 * n);
    const view = new DataView(buffer);
    const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
    text(0, 'RIFF'); view.setUint32(4, 36 + 2 * n, true); text(8, 'WAVE'); text(12, 'fmt ');
    view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, this.RATE, true); view.setUint32(28, 2 * this.RATE, true);
    view.setUint16(32, 2, true); view.setUint16(34, 16, true); text(36, 'data'); view.setUint32(40, 2 * n, true);
    for (let i = 0; i < n; i++) {
      const x = i * rate / this.RATE;
      const j = Math.floor(x);
      const a = input[j], b = j + 1 < total ? input[j + 1] : a;
      const v = Math.max(-1, Math.min(1, a + (b - a) * (x - j)));
      view.setInt16(44 + 2 * i, v < 0 ? v * 32768 : v * 32767, true);
    }
    return buffer;
  },
};
