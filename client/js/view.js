// Reports to the server how large each remote participant's video is shown (`view`,
// docs/signaling.md), so that it forwards the simulcast layer that fits the tile: a thumbnail
// gets the quarter-resolution layer, a large tile the full one. Sizes are CSS pixels of the
// tile as laid out; a tile not laid out (hidden) is left out, and the server then sends that
// participant's lowest layer.

const DEBOUNCE_MS = 300;
// Sent again even when nothing changed: a subscription the server added since (a new sub
// offer) learns its tile this way.
const REFRESH_MS = 3000;

/** The tiles under `root` as the `view` message lists them. */
export function measureTiles(root) {
  const tiles = [];
  if (!root) return tiles;
  for (const el of root.querySelectorAll('.tile.remote[data-participant-id]')) {
    const r = el.getBoundingClientRect();
    const width = Math.round(r.width);
    const height = Math.round(r.height);
    if (width > 0 && height > 0 && tiles.length < 64) {
      tiles.push({ participant: el.dataset.participantId, width: Math.min(width, 16384), height: Math.min(height, 16384) });
    }
  }
  return tiles;
}

export class ViewReporter {
  /** `send(msg)` sends a signalling message; `root` holds the tiles (the grid). */
  constructor({ send, root }) {
    this.send = send;
    this.root = root;
    this.last = '';
    this.timer = 0;
    this.refresh = 0;
    this.resize = typeof ResizeObserver === 'function' ? new ResizeObserver(() => this.schedule()) : null;
    this.mutation = typeof MutationObserver === 'function' ? new MutationObserver(() => this.observeTiles()) : null;
  }

  start() {
    if (!this.root) return;
    if (this.mutation) this.mutation.observe(this.root, { childList: true, subtree: true, attributes: true, attributeFilter: ['class', 'hidden'] });
    this.observeTiles();
    this.refresh = setInterval(() => this.report(true), REFRESH_MS);
  }

  observeTiles() {
    if (this.resize) {
      this.resize.disconnect();
      this.resize.observe(this.root);
      for (const el of this.root.querySelectorAll('.tile.remote')) this.resize.observe(el);
    }
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.report(false), DEBOUNCE_MS);
  }

  report(force) {
    const tiles = measureTiles(this.root);
    const text = JSON.stringify(tiles);
    if (!force && text === this.last) return;
    this.last = text;
    this.send({ type: 'view', tiles });
  }

  stop() {
    clearTimeout(this.timer);
    clearInterval(this.refresh);
    if (this.resize) this.resize.disconnect();
    if (this.mutation) this.mutation.disconnect();
  }
}
