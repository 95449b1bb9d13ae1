// SPDX-License-Identifier: Apache-2.0
// The waterfall of one trace: a tree (role="tree") of span rows, each a treeitem that can be
// focused, collapsed and selected with the keyboard (arrows, Home/End, Enter/Space), with its
// bar on the time axis, marks for its events and log records, and the critical path.
// Span data reaches the DOM only as textContent and attributes.
import { serviceColour } from './colour.js';
import { criticalPath, spanMatches, treeOrder } from './trace_model.js';
import { anyValueText, el, formatDuration } from './format.js';

function severityClass(log) {
  const n = Number(log.severityNumber) || 0;
  return n >= 17 ? 'sev-error' : n >= 13 ? 'sev-warn' : 'sev-info';
}

export class Waterfall {
  // onSelect(span) runs when a row is selected (click, Enter, or select()).
  constructor(rowsEl, axisEl, onSelect) {
    this.rowsEl = rowsEl;
    this.axisEl = axisEl;
    this.onSelect = onSelect;
    this.rowsEl.setAttribute('role', 'tree');
    this.rowsEl.addEventListener('keydown', (e) => this.onKey(e));
    this.rowsEl.addEventListener('click', (e) => this.onClick(e));
  }

  render(spans, traceStart, total) {
    const { ordered, roots, children } = treeOrder(spans);
    this.ordered = ordered;
    this.indexOf = new Map(ordered.map((o, i) => [o.span.spanId, i]));
    this.collapsed = new Set();
    this.selected = -1;
    this.focused = 0;
    this.critical = criticalPath(roots, children);
    this.axisEl.replaceChildren(...[0, 0.25, 0.5, 0.75, 1].map((f) => el('span', {
      className: 'tick', text: formatDuration(Math.round(total * f)), style: { left: `${f * 100}%` },
    })));
    const pct = (ns) => `${Math.min(100, Math.max(0, (ns / total) * 100))}%`;
    const fragment = document.createDocumentFragment();
    this.rows = ordered.map(({ span, depth }, i) => {
      const hasKids = i + 1 < ordered.length && ordered[i + 1].depth > depth;
      const colour = serviceColour(span.service);
      const left = (span.rs / total) * 100;
      const width = ((span.re - span.rs) / total) * 100;
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
      for (const ev of span.events || []) {
        const at = Number(BigInt(ev.timeUnixNano) - traceStart);
        const attrs = (ev.attributes || []).map((kv) => `\n${kv.key}=${anyValueText(kv.value)}`).join('');
        marks.push(el('span', {
          className: 'event-mark', title: `${ev.name} at +${formatDuration(at - span.rs)}${attrs}`,
          'data-event-name': ev.name, style: { left: pct(at) },
        }));
      }
      for (const log of span.logs || []) {
        const at = Number(BigInt(log.timeUnixNano) - traceStart);
        marks.push(el('span', {
          className: `log-mark ${severityClass(log)}`, title: `${log.severityText} ${log.body}`,
          style: { left: pct(at) },
        }));
      }
      const row = el('div', {
        className: `span-row${isError ? ' error' : ''}${critical ? ' critical' : ''}`,
        role: 'treeitem', tabIndex: i === 0 ? 0 : -1,
        'data-span-id': span.spanId, 'data-parent-id': span.parentSpanId, 'data-depth': String(depth),
        'data-index': String(i),
      },
      el('div', { className: 'label-col', style: { paddingLeft: `${4 + depth * 14}px` }, title: `${span.service}: ${span.name}` },
        el('span', { className: hasKids ? 'toggle' : 'toggle leaf', 'aria-hidden': 'true' }),
        el('span', { className: 'service', text: span.service, style: { background: colour.background, color: colour.text } }),
        el('span', { className: 'name', text: span.name })),
      el('div', { className: 'bar-col' }, bar, label, ...marks));
      row.setAttribute('aria-level', String(depth + 1));
      row.setAttribute('aria-selected', 'false');
      row.setAttribute('aria-label', `${span.service} ${span.name} ${formatDuration(Number(span.durationNs))}${isError ? ' error' : ''}`);
      if (hasKids) row.setAttribute('aria-expanded', 'true');
      fragment.append(row);
      return row;
    });
    this.rowsEl.replaceChildren(fragment);
    this.rowsEl.setAttribute('aria-activedescendant', '');
  }

  hasKids(i) { return i + 1 < this.ordered.length && this.ordered[i + 1].depth > this.ordered[i].depth; }

  parentIndex(i) {
    const d = this.ordered[i].depth;
    for (let j = i - 1; j >= 0; j--) if (this.ordered[j].depth < d) return j;
    return -1;
  }

  // Shows or hides rows after a collapse or expand: descendants of a collapsed row are hidden.
  applyCollapse() {
    let hideBelow = -1;
    for (let i = 0; i < this.rows.length; i++) {
      const d = this.ordered[i].depth;
      const hide = hideBelow >= 0 && d > hideBelow;
      if (this.rows[i].hidden !== hide) this.rows[i].hidden = hide;
      if (hide) continue;
      hideBelow = this.collapsed.has(i) ? d : -1;
    }
  }

  setCollapsed(i, collapse) {
    if (!this.hasKids(i) || this.collapsed.has(i) === collapse) return;
    if (collapse) this.collapsed.add(i);
    else this.collapsed.delete(i);
    this.rows[i].setAttribute('aria-expanded', String(!collapse));
    this.rows[i].classList.toggle('collapsed', collapse);
    const kids = this.rows[i].querySelector('.toggle');
    kids.dataset.hidden = collapse ? String(this.descendantCount(i)) : '';
    this.applyCollapse();
  }

  descendantCount(i) {
    let j = i + 1;
    while (j < this.ordered.length && this.ordered[j].depth > this.ordered[i].depth) j++;
    return j - i - 1;
  }

  collapseAll(collapse) {
    for (let i = 0; i < this.rows.length; i++) {
      if (!this.hasKids(i) || this.ordered[i].depth === 0) continue;
      if (collapse) this.collapsed.add(i);
      else this.collapsed.delete(i);
      this.rows[i].setAttribute('aria-expanded', String(!collapse));
      this.rows[i].classList.toggle('collapsed', collapse);
      this.rows[i].querySelector('.toggle').dataset.hidden = collapse ? String(this.descendantCount(i)) : '';
    }
    this.applyCollapse();
  }

  // Expands every collapsed ancestor of row i, so that it can be seen.
  reveal(i) {
    let changed = false;
    for (let p = this.parentIndex(i); p >= 0; p = this.parentIndex(p)) {
      if (this.collapsed.delete(p)) {
        this.rows[p].setAttribute('aria-expanded', 'true');
        this.rows[p].classList.remove('collapsed');
        this.rows[p].querySelector('.toggle').dataset.hidden = '';
        changed = true;
      }
    }
    if (changed) this.applyCollapse();
  }

  focusRow(i) {
    if (i < 0 || i >= this.rows.length) return;
    this.rows[this.focused].tabIndex = -1;
    this.focused = i;
    this.rows[i].tabIndex = 0;
    this.rows[i].focus({ preventScroll: true });
    this.rows[i].scrollIntoView({ block: 'nearest' });
  }

  select(i, { focus = false, scroll = true } = {}) {
    if (i < 0 || i >= this.rows.length) return;
    this.reveal(i);
    if (this.selected >= 0) {
      this.rows[this.selected].classList.remove('selected');
      this.rows[this.selected].setAttribute('aria-selected', 'false');
    }
    this.selected = i;
    this.rows[i].classList.add('selected');
    this.rows[i].setAttribute('aria-selected', 'true');
    if (focus) this.focusRow(i);
    else {
      this.rows[this.focused].tabIndex = -1;
      this.focused = i;
      this.rows[i].tabIndex = 0;
      if (scroll) this.rows[i].scrollIntoView({ block: 'center' });
    }
    this.onSelect(this.ordered[i].span);
  }

  selectSpan(spanId, options) {
    const i = this.indexOf.get(spanId);
    if (i === undefined) return false;
    this.select(i, options);
    return true;
  }

  nextVisible(i, step) {
    for (let j = i + step; j >= 0 && j < this.rows.length; j += step) if (!this.rows[j].hidden) return j;
    return i;
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
      Home: () => this.focusRow(0),
      End: () => this.focusRow(this.nextVisible(this.rows.length, -1)),
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
    for (let i = 0; i < this.rows.length; i++) {
      const hit = spanMatches(this.ordered[i].span, needle, anyValueText);
      this.rows[i].classList.toggle('match', hit);
      if (hit) matches.push(i);
    }
    this.rowsEl.classList.toggle('finding', needle !== '');
    return matches;
  }
}
