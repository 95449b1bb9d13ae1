// SPDX-License-Identifier: Apache-2.0
// The search results as a scatter plot (SVG, drawn here, nothing fetched): start time across,
// duration up, one point per trace, errors red; each point is a link to its trace.
import { formatDuration, formatTime, svg } from './format.js';

export function renderScatter(container, traces, width) {
  const height = 180;
  const pad = { left: 64, right: 14, top: 14, bottom: 26 };
  const plot = svg('svg', {
    id: 'scatter', role: 'img', 'aria-label': `Durations of ${traces.length} traces over time`,
    width: String(width), height: String(height), viewBox: `0 0 ${width} ${height}`,
  });
  if (traces.length === 0) {
    container.replaceChildren(plot);
    return plot;
  }
  const times = traces.map((t) => Number(BigInt(t.startTimeUnixNano) / 1000n));  // µs
  const durations = traces.map((t) => Number(t.durationNs));
  const tMin = Math.min(...times);
  const tSpan = Math.max(1, Math.max(...times) - tMin);
  const dMax = Math.max(1, ...durations);
  const x = (t) => pad.left + ((t - tMin) / tSpan) * (width - pad.left - pad.right);
  const y = (d) => height - pad.bottom - (d / dMax) * (height - pad.top - pad.bottom);
  plot.append(
    svg('line', { class: 'axis', x1: pad.left, y1: height - pad.bottom, x2: width - pad.right, y2: height - pad.bottom }),
    svg('line', { class: 'axis', x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom }),
    svg('text', { class: 'axis-label', x: pad.left - 6, y: pad.top + 10, 'text-anchor': 'end', text: formatDuration(dMax) }),
    svg('text', { class: 'axis-label', x: pad.left - 6, y: height - pad.bottom, 'text-anchor': 'end', text: '0' }),
    svg('text', { class: 'axis-label', x: pad.left, y: height - 6, text: formatTime(traces[times.indexOf(tMin)].startTimeUnixNano) }),
    svg('text', { class: 'axis-label', x: width - pad.right, y: height - 6, 'text-anchor': 'end',
      text: formatTime(traces[times.indexOf(tMin + tSpan)]?.startTimeUnixNano ?? traces[0].startTimeUnixNano) }));
  traces.forEach((t, i) => {
    const error = t.errorCount > 0;
    const r = Math.min(9, 3 + Math.log2(1 + t.spanCount));
    plot.append(svg('a', { href: `/trace/${t.traceId}`, class: 'scatter-point', 'data-trace-id': t.traceId },
      svg('circle', { cx: x(times[i]).toFixed(1), cy: y(durations[i]).toFixed(1), r: r.toFixed(1), class: error ? 'error' : 'ok' }),
      svg('title', { text: `${t.rootService}: ${t.rootName} · ${formatDuration(durations[i])} · ${t.spanCount} spans${error ? ` · ${t.errorCount} errors` : ''}` })));
  });
  container.replaceChildren(plot);
  return plot;
}
