// SPDX-License-Identifier: Apache-2.0
// The minimap: the whole trace in a strip above the waterfall (one line per span, in the
// service's colour, on a canvas: thousands of spans cost one draw), the zoomed part outlined.
// Dragging across it zooms the waterfall to that time range; with the keyboard, + and - zoom
// around the middle, the arrows pan, 0 resets.
import { serviceColour } from './colour.js';

export class Minimap {
  // onZoom(from, to): ns after the trace start.
  constructor(container, onZoom) {
    this.container = container;
    this.onZoom = onZoom;
    this.canvas = container.querySelector('canvas');
    this.window = container.querySelector('.minimap-window');
    this.selection = container.querySelector('.minimap-selection');
    container.addEventListener('pointerdown', (e) => this.startDrag(e));
    container.addEventListener('keydown', (e) => this.onKey(e));
  }

  draw(ordered, total) {
    this.total = total;
    const width = this.container.clientWidth || 800;
    const height = this.canvas.clientHeight || 48;
    this.canvas.width = width;
    this.canvas.height = height;
    const g = this.canvas.getContext('2d');
    g.clearRect(0, 0, width, height);
    const n = Math.max(1, ordered.length);
    const step = height / n;
    ordered.forEach(({ span }, i) => {
      g.fillStyle = serviceColour(span.service).background;
      const x = (span.rs / total) * width;
      g.fillRect(x, i * step, Math.max(1, ((span.re - span.rs) / total) * width), Math.max(1, step));
    });
    this.show({ from: 0, to: total });
  }

  // Outlines the part of the trace the waterfall shows.
  show({ from, to }) {
    this.zoom = { from, to };
    const whole = from <= 0 && to >= this.total;
    this.window.hidden = whole;
    this.window.style.left = `${(from / this.total) * 100}%`;
    this.window.style.width = `${((to - from) / this.total) * 100}%`;
    this.container.setAttribute('aria-valuetext', whole ? 'whole trace' : `zoomed to ${Math.round((from / this.total) * 100)}-${Math.round((to / this.total) * 100)} %`);
  }

  fraction(clientX) {
    const r = this.container.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - r.left) / r.width));
  }

  startDrag(e) {
    if (e.button !== 0 || !this.total) return;
    e.preventDefault();
    this.container.focus();
    const start = this.fraction(e.clientX);
    const paint = (f) => {
      this.selection.hidden = false;
      this.selection.style.left = `${Math.min(start, f) * 100}%`;
      this.selection.style.width = `${Math.abs(f - start) * 100}%`;
    };
    const move = (ev) => paint(this.fraction(ev.clientX));
    const up = (ev) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      this.selection.hidden = true;
      const end = this.fraction(ev.clientX);
      // A click (no drag) centres the current zoom window there.
      if (Math.abs(end - start) < 0.005) {
        const half = (this.zoom.to - this.zoom.from) / 2;
        this.onZoom(end * this.total - half, end * this.total + half);
      } else {
        this.onZoom(Math.min(start, end) * this.total, Math.max(start, end) * this.total);
      }
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    paint(start);
  }

  onKey(e) {
    if (!this.total) return;
    const { from, to } = this.zoom;
    const mid = (from + to) / 2;
    const span = to - from;
    const action = {
      '+': () => this.onZoom(mid - span / 4, mid + span / 4),
      '=': () => this.onZoom(mid - span / 4, mid + span / 4),
      '-': () => this.onZoom(mid - span, mid + span),
      0: () => this.onZoom(0, this.total),
      ArrowLeft: () => this.onZoom(Math.max(0, from - span / 4), Math.max(0, from - span / 4) + span),
      ArrowRight: () => this.onZoom(Math.min(this.total, to + span / 4) - span, Math.min(this.total, to + span / 4)),
    }[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  }
}
