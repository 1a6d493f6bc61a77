/* Push-to-talk capture: hands each block of microphone samples (mono, the context's rate) to the page. */
'use strict';
class TalkCapture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor('gp-talk-capture', TalkCapture);
