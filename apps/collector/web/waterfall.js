// SPDX-License-Identifier: Apache-2.0
// The waterfall of one trace: a tree (role="tree") of span rows, each a treeitem that can be
// focused, collapsed and selected with the keyboard (arrows, Home/End, Enter/Space), with its
// bar on the time axis, marks for its events and log records, and the critical path.
// Rows are virtualized: only those near the viewport are in the DOM (a 5,000-span trace keeps
// a few dozen row elements), each built when first shown and kept until the zoom changes.
// The time axis can be zoomed to a part of the trace (the minimap sets it).
// Span data reaches the DOM only as textContent and attributes.
import { serviceColour } from './colour.js';
import { criticalPath, spanMatches, treeOrder } from './trace_model.js';
import { anyValueText, el, formatDuration } from './format.js';

const ROW_HEIGHT = 21;  // px, border included (style.css: .span-row)
const OVERSCAN = 20;  // rows built above and below the viewport

function severityClass(log) {
  const n = Number(log.severityNumber) || 0;
  return n >= 17 ? 'sev-error' : n >= 13 ? 'sev-warn' : 'sev-info';
}

export class Waterfall {
  // onSelect(span) runs when a row is selected (click, Enter, or select()); onView() after the
  // zoom changes.
  constructor(rowsEl, axisEl, onSelect, onView = () => {}) {
    this.rowsEl = rowsEl;
    this.axisEl = axisEl;
    this.onSelect = onSelect;
    this.onView = onView;
    this.rowsEl.setAttribute('role', 'tree');
    this.rowsEl.addEventListener('keydown', (e) => this.onKey(e));
    this.rowsEl.addEventListener('click', (e) => this.onClick(e));
    let pending = false;
    const repaint = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; this.paint(); });
    };
    window.addEventListener('scroll', repaint, { passive: true });
    window.addEventListener('resize', repaint);
  }

  render(spans, traceStart, total) {
    const { ordered, roots, children } = treeOrder(spans);
    this.ordered = ordered;
    this.traceStart = traceStart;
    this.total = total;
    this.indexOf = new Map(ordered.map((o, i) => [o.span.spanId, i]));
    this.hasKidsAt = ordered.map((o, i) => i + 1 < ordered.length && ordered[i + 1].depth > o.depth);
    this.collapsed = new Set();
    this.matches = new Set();
    this.selected = -1;
    this.focused = 0;
    this.critical = criticalPath(roots, children);
    this.zoom = { from: 0, to: total };
    this.rows = new Map();
    this.rowsEl.dataset.rows = String(ordered.length);
    this.rowsEl.classList.remove('finding');
    this.layout();
    this.drawAxis();
    this.paint();
  }

  // Zooms the time axis to [from, to] (ns after the trace start); the whole trace when omitted.
  setZoom(from = 0, to = this.total) {
    const lo = Math.max(0, Math.min(from, to));
    const hi = Math.min(this.total, Math.max(from, to));
    this.zoom = hi - lo >= 1 ? { from: lo, to: hi } : { from: 0, to: this.total };
    this.rows = new Map();  // bars are placed for the zoom they were built with
    this.drawAxis();
    this.paint();
    this.onView(this.zoom);
  }

  drawAxis() {
    const { from, to } = this.zoom;
    this.axisEl.replaceChildren(...[0, 0.25, 0.5, 0.75, 1].map((f) => el('span', {
      className: 'tick', text: formatDuration(Math.round(from + (to - from) * f)), style: { left: `${f * 100}%` },
    })));
  }

  buildRow(i) {
    const { span, depth } = this.ordered[i];
    const { from, to } = this.zoom;
    const range = to - from;
    const hasKids = this.hasKidsAt[i];
    const colour = serviceColour(span.service);
    const clip = (v) => Math.min(100, Math.max(0, v));
    const left = clip(((span.rs - from) / range) * 100);
    const right = clip(((span.re - from) / range) * 100);
    const width = right - left;
    const isError = span.status.code === 'ERROR';
    const critical = this.critical.has(span.spanId);
    const bar = el('div', {
      className: `bar${isError ? ' error' : ''}${critical ? ' critical' : ''}`,
      style: { left: `${left}%`, width: `${width}%`, background: colour.background },
    });
    const label = el('span', { className: 'bar-label', text: formatDuration(Number(span.durationNs)) });
    // After the bar when there is room, else before it, else inside its end (in the text
    // colour that contrasts with the service's colour).
    if (left + width <= 85) label.style.left = `calc(${left + width}% + 4px)`;
    else if (left >= 15) label.style.right = `calc(${100 - left}% + 4px)`;
    else {
      label.style.right = `calc(${100 - left - width}% + 4px)`;
      label.classList.add('inside');
      label.style.color = colour.text;
    }
    const marks = [];
    const at = (ns) => ((ns - from) / range) * 100;
    for (const ev of span.events || []) {
      const t = Number(BigInt(ev.timeUnixNano) - this.traceStart);
      if (at(t) < 0 || at(t) > 100) continue;
      const attrs = (ev.attributes || []).map((kv) => `\n${kv.key}=${anyValueText(kv.value)}`).join('');
      marks.push(el('span', {
        className: 'event-mark', title: `${ev.name} at +${formatDuration(t - span.rs)}${attrs}`,
        'data-event-name': ev.name, style: { left: `${at(t)}%` },
      }));
    }
    for (const log of span.logs || []) {
      const t = Number(BigInt(log.timeUnixNano) - this.traceStart);
      marks.push(el('span', {
        className: `log-mark ${severityClass(log)}`, title: `${log.severityText} ${log.body}`,
        style: { left: `${clip(at(t))}%` },
      }));
    }
    const row = el('div', {
      className: `span-row${isError ? ' error' : ''}${critical ? ' critical' : ''}`,
      role: 'treeitem', tabIndex: -1,
      'data-span-id': span.spanId, 'data-parent-id': span.parentSpanId, 'data-depth': String(depth),
      'data-index': String(i),
      'aria-level': String(depth + 1),
      'aria-label': `${span.service} ${span.name} ${formatDuration(Number(span.durationNs))}${isError ? ' error' : ''}`,
    },
    el('div', { className: 'label-col', style: { paddingLeft: `${4 + depth * 14}px` }, title: `${span.service}: ${span.name}` },
      el('span', { className: hasKids ? 'toggle' : 'toggle leaf', 'aria-hidden': 'true' }),
      el('span', { className: 'service', text: span.service, style: { background: colour.background, color: colour.text } }),
      el('span', { className: 'name', text: span.name })),
    el('div', { className: 'bar-col' }, bar, label, ...marks));
    return row;
  }

  // The row element of span i with its current state (selection, focus, collapse, match).
  rowAt(i) {
    let row = this.rows.get(i);
    if (!row) {
      row = this.buildRow(i);
      this.rows.set(i, row);
    }
    row.tabIndex = i === this.focused ? 0 : -1;
    row.classList.toggle('selected', i === this.selected);
    row.setAttribute('aria-selected', String(i === this.selected));
    row.classList.toggle('match', this.matches.has(i));
    if (this.hasKidsAt[i]) {
      const collapsed = this.collapsed.has(i);
      row.setAttribute('aria-expanded', String(!collapsed));
      row.classList.toggle('collapsed', collapsed);
      row.querySelector('.toggle').dataset.hidden = collapsed ? String(this.descendantCount(i)) : '';
    }
    return row;
  }

  // The rows not under a collapsed row, in order; the container is as tall as all of them.
  layout() {
    this.visible = [];
    this.position = new Map();
    let hideBelow = -1;
    for (let i = 0; i < this.ordered.length; i++) {
      const d = this.ordered[i].depth;
      if (hideBelow >= 0 && d > hideBelow) continue;
      this.position.set(i, this.visible.length);
      this.visible.push(i);
      hideBelow = this.collapsed.has(i) ? d : -1;
    }
    this.rowsEl.style.height = `${this.visible.length * ROW_HEIGHT}px`;
  }

  // Puts the rows near the viewport in the DOM.
  paint() {
    if (!this.ordered || !this.rowsEl.isConnected || this.rowsEl.offsetParent === null) return;
    const top = this.rowsEl.getBoundingClientRect().top;
    const first = Math.max(0, Math.floor(-top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.visible.length, Math.ceil((window.innerHeight - top) / ROW_HEIGHT) + OVERSCAN);
    const positions = [];
    for (let k = first; k < last; k++) positions.push(k);
    // Keep the focused row in the DOM (focus would fall to the page otherwise).
    const keep = this.rows.get(this.focused);
    const keepAt = this.position.get(this.focused);
    if (keep && keep.contains(document.activeElement) && keepAt !== undefined && (keepAt < first || keepAt >= last)) {
      positions.push(keepAt);
      positions.sort((a, b) => a - b);
    }
    const nodes = positions.map((k) => {
      const row = this.rowAt(this.visible[k]);
      row.style.top = `${k * ROW_HEIGHT}px`;
      return row;
    });
    // Rows in tree order, changed in place: a row that stays is never moved (moving the focused
    // element would drop its focus). Rows that stay keep their relative order, so new ones are
    // inserted between them.
    const wanted = new Set(nodes);
    for (const child of [...this.rowsEl.children]) if (!wanted.has(child)) child.remove();
    let cursor = this.rowsEl.firstElementChild;
    for (const node of nodes) {
      if (node === cursor) cursor = cursor.nextElementSibling;
      else this.rowsEl.insertBefore(node, cursor);
    }
  }

  hasKids(i) { return this.hasKidsAt[i]; }

  parentIndex(i) {
    const d = this.ordered[i].depth;
    for (let j = i - 1; j >= 0; j--) if (this.ordered[j].depth < d) return j;
    return -1;
  }

  descendantCount(i) {
    let j = i + 1;
    while (j < this.ordered.length && this.ordered[j].depth > this.ordered[i].depth) j++;
    return j - i - 1;
  }

  setCollapsed(i, collapse) {
    if (!this.hasKids(i) || this.collapsed.has(i) === collapse) return;
    if (collapse) this.collapsed.add(i);
    else this.collapsed.delete(i);
    this.layout();
    this.paint();
  }

  collapseAll(collapse) {
    this.collapsed.clear();
    if (collapse) {
      for (let i = 0; i < this.ordered.length; i++) if (this.hasKids(i) && this.ordered[i].depth > 0) this.collapsed.add(i);
    }
    if (!this.position.has(this.focused)) this.focused = 0;
    this.layout();
    this.paint();
  }

  // Expands every collapsed ancestor of row i, so that it can be seen.
  reveal(i) {
    let changed = false;
    for (let p = this.parentIndex(i); p >= 0; p = this.parentIndex(p)) changed = this.collapsed.delete(p) || changed;
    if (changed) this.layout();
  }

  // Scrolls the page so that row i is in view ('nearest' or 'center').
  scrollTo(i, block) {
    const k = this.position.get(i);
    if (k === undefined) return;
    const top = this.rowsEl.getBoundingClientRect().top + k * ROW_HEIGHT;
    const axis = this.axisEl.getBoundingClientRect().height + 2;
    if (block === 'center') window.scrollBy(0, top - window.innerHeight / 2);
    else if (top < axis) window.scrollBy(0, top - axis);
    else if (top + ROW_HEIGHT > window.innerHeight) window.scrollBy(0, top + ROW_HEIGHT - window.innerHeight);
    this.paint();
  }

  focusRow(i) {
    if (i < 0 || i >= this.ordered.length) return;
    const previous = this.rows.get(this.focused);
    if (previous) previous.tabIndex = -1;
    this.focused = i;
    this.scrollTo(i, 'nearest');
    this.rowAt(i).focus({ preventScroll: true });
  }

  select(i, { focus = false, scroll = true } = {}) {
    if (i < 0 || i >= this.ordered.length) return;
    this.reveal(i);
    const previous = this.rows.get(this.selected);
    this.selected = i;
    if (previous) this.rowAt(Number(previous.dataset.index));
    if (focus) this.focusRow(i);
    else {
      const was = this.rows.get(this.focused);
      this.focused = i;
      if (was) this.rowAt(Number(was.dataset.index));
      if (scroll) this.scrollTo(i, 'center');
      else this.paint();
    }
    this.rowAt(i);
    this.onSelect(this.ordered[i].span);
  }

  selectSpan(spanId, options) {
    const i = this.indexOf.get(spanId);
    if (i === undefined) return false;
    this.select(i, options);
    return true;
  }

  nextVisible(i, step) {
    const k = this.position.get(i);
    if (k === undefined) return i;
    const next = this.visible[k + step];
    return next === undefined ? i : next;
  }

  onClick(e) {
    const row = e.target.closest('.span-row');
    if (!row) return;
    const i = Number(row.dataset.index);
    if (e.target.classList.contains('toggle')) {
      this.setCollapsed(i, !this.collapsed.has(i));
      return;
    }
    this.select(i, { scroll: false });
  }

  onKey(e) {
    const row = e.target.closest('.span-row');
    if (!row || e.altKey || e.ctrlKey || e.metaKey) return;
    const i = Number(row.dataset.index);
    const handled = {
      ArrowDown: () => this.focusRow(this.nextVisible(i, 1)),
      ArrowUp: () => this.focusRow(this.nextVisible(i, -1)),
      Home: () => this.focusRow(this.visible[0]),
      End: () => this.focusRow(this.visible[this.visible.length - 1]),
      ArrowRight: () => {
        if (!this.hasKids(i)) return;
        if (this.collapsed.has(i)) this.setCollapsed(i, false);
        else this.focusRow(i + 1);
      },
      ArrowLeft: () => {
        if (this.hasKids(i) && !this.collapsed.has(i)) this.setCollapsed(i, true);
        else this.focusRow(this.parentIndex(i));
      },
      Enter: () => this.select(i, { focus: true }),
      ' ': () => this.select(i, { focus: true }),
    }[e.key];
    if (!handled) return;
    e.preventDefault();
    handled();
  }

  // Find in trace: marks matching rows (and dims the rest); returns the matching row indexes.
  find(text) {
    const needle = text.trim().toLowerCase();
    const matches = [];
    for (let i = 0; i < this.ordered.length; i++) {
      if (spanMatches(this.ordered[i].span, needle, anyValueText)) matches.push(i);
    }
    this.matches = new Set(matches);
    this.rowsEl.classList.toggle('finding', needle !== '');
    this.rowsEl.dataset.matches = String(matches.length);
    for (const i of this.rows.keys()) if (this.rows.get(i).isConnected) this.rowAt(i);
    // Rows not in the DOM get their state when painted.
    for (const [i, row] of this.rows) if (!row.isConnected) row.classList.toggle('match', this.matches.has(i));
    return matches;
  }
}
