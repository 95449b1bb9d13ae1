// SPDX-License-Identifier: Apache-2.0
// A service's colour, derived from its name alone: the same service has the same colour on every
// page and every load, whatever other services are shown. Text drawn on it is black or white,
// whichever contrasts more; one of the two always reaches WCAG AA's 4.5:1 (the worse case, a
// background of relative luminance ~0.18, still gives 4.58:1).

// FNV-1a over the name's code points: cheap, and nearby names land on distant hues.
function nameHash(name) {
  let h = 0x811c9dc5;
  for (const ch of String(name)) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function hslToRgb(h, s, l) {
  const k = (n) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0), f(8), f(4)].map((v) => Math.round(v * 255));
}

// WCAG 2 relative luminance of an sRGB colour given as [r, g, b] in 0..255.
export function relativeLuminance([r, g, b]) {
  const lin = (c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(rgbA, rgbB) {
  const [hi, lo] = [relativeLuminance(rgbA), relativeLuminance(rgbB)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const cache = new Map();

// { background: 'rgb(..)', text: '#000' | '#fff', rgb: [r, g, b] } for a service name.
export function serviceColour(service) {
  let c = cache.get(service);
  if (!c) {
    const h = nameHash(service);
    // The hue carries the identity; two more bits vary lightness a little so that services with
    // close hues still differ.
    const rgb = hslToRgb(h % 360, 0.6, [0.45, 0.52, 0.6, 0.68][(h >>> 9) & 3]);
    const black = contrastRatio(rgb, [0, 0, 0]);
    const white = contrastRatio(rgb, [255, 255, 255]);
    c = { background: `rgb(${rgb.join(', ')})`, text: black >= white ? '#000' : '#fff', rgb };
    cache.set(service, c);
  }
  return c;
}
