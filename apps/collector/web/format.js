// SPDX-License-Identifier: Apache-2.0
// DOM building and text formatting shared by the viewer's pages. el() sets text with
// textContent and everything else as properties or attributes, never as markup.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else if (k === 'style') Object.assign(node.style, v);
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'role') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

export function formatDuration(ns) {
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function formatTime(unixNanoText) {
  const ms = Number(BigInt(unixNanoText) / 1000000n);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

export function anyValueText(v) {
  if (!v || typeof v !== 'object') return '';
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return String(v.intValue);
  if ('doubleValue' in v) return String(v.doubleValue);
  if ('boolValue' in v) return String(v.boolValue);
  if ('bytesValue' in v) return `base64:${v.bytesValue}`;
  if ('arrayValue' in v) return `[${(v.arrayValue.values || []).map(anyValueText).join(', ')}]`;
  if ('kvlistValue' in v) {
    return `{${(v.kvlistValue.values || []).map((kv) => `${kv.key}: ${anyValueText(kv.value)}`).join(', ')}}`;
  }
  return '';
}

// A plain left click (no modifier, not the middle button): the page handles it itself; any
// other click on a link is left to the browser (new tab, new window, copy link).
export function isPlainClick(e) {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}
