// The WebSocket side of the hoinghi protocol (docs/signaling.md): JSON text messages, a ping every
// 2 s, and detection of a silent server. Knows nothing about rooms or media.
//
// Events (EventTarget):
//   'message' detail: the parsed server message (an object with a string `type`)
//   'close'   detail: {code, reason, byClient}  -- fired once, whatever closed the socket

export const PING_INTERVAL_MS = 2000;
// The server answers every ping; if nothing at all arrives for this long the link is dead even
// when TCP has not noticed yet (a half-open connection after a network change).
export const SILENCE_TIMEOUT_MS = 10000;
// Same limit as the server's: never send a message it would refuse.
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** URL of the signalling endpoint served by the same host as the page. */
export function defaultSignalingUrl(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws`;
}

export class Signaling extends EventTarget {
  /** `log(dir, obj)` is called for every message in and out (for the debug console). */
  constructor(url, { log = () => {} } = {}) {
    super();
    this.url = url;
    this.log = log;
    this.ws = null;
    this.pingTimer = 0;
    this.lastReceived = 0;
    this.closed = false;
    this.closingByClient = false;
  }

  /** Opens the socket. Resolves when it is open; rejects (and fires 'close') if it cannot. */
  connect() {
    return new Promise((resolve, reject) => {
      let opened = false;
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (err) {
        this.closed = true;
        reject(err);
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        opened = true;
        this.lastReceived = performance.now();
        this.pingTimer = setInterval(() => this.keepAlive(), PING_INTERVAL_MS);
        resolve();
      };
      ws.onmessage = (ev) => this.onMessage(ev);
      ws.onerror = () => {
        /* always followed by 'close', which reports */
      };
      ws.onclose = (ev) => {
        this.finish(ev.code, ev.reason);
        if (!opened) reject(new Error(`WebSocket closed before opening (code ${ev.code})`));
      };
    });
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one message; returns false when the socket is not open or the message is too big. */
  send(msg) {
    if (!this.isOpen) return false;
    const text = JSON.stringify(msg);
    if (new TextEncoder().encode(text).length > MAX_MESSAGE_BYTES) {
      this.log('drop', { reason: 'message over 64 KiB', type: msg.type });
      return false;
    }
    if (msg.type !== 'ping') this.log('out', msg);
    this.ws.send(text);
    return true;
  }

  /** Closes the socket from our side; 'close' fires with byClient = true. */
  close(code = 1000, reason = '') {
    if (this.closed) return;
    this.closingByClient = true;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) {
      try {
        this.ws.close(code, reason);
      } catch {
        /* already closing */
      }
    }
    // Do not wait for the server's close frame: report right away.
    this.finish(code, reason);
  }

  keepAlive() {
    if (performance.now() - this.lastReceived > SILENCE_TIMEOUT_MS) {
      this.log('drop', { reason: 'server silent', ms: SILENCE_TIMEOUT_MS });
      if (this.ws) this.ws.close(4000, 'server silent');
      this.finish(4000, 'server silent');
      return;
    }
    this.send({ type: 'ping' });
  }

  onMessage(ev) {
    this.lastReceived = performance.now();
    if (typeof ev.data !== 'string') {
      this.log('drop', { reason: 'binary frame' });
      return;
    }
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      this.log('drop', { reason: 'invalid JSON', data: ev.data.slice(0, 200) });
      return;
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg) || typeof msg.type !== 'string') {
      this.log('drop', { reason: 'not an object with a string type', data: ev.data.slice(0, 200) });
      return;
    }
    if (msg.type !== 'pong') this.log('in', msg);
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }

  finish(code, reason) {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    if (this.ws) {
      this.ws.onopen = this.ws.onmessage = this.ws.onclose = null;
    }
    const detail = { code, reason, byClient: this.closingByClient };
    this.dispatchEvent(new CustomEvent('close', { detail }));
  }
}
