// Inline SVG drawings of the report: one figure as bars on a log scale (measured, same-run
// reference, goal lines) and the cost of one release as a stacked bar. Coordinates are in
// percent of the width so the text keeps its size at 390 px and at 1280 px.
import { type Figure, fmt } from './figures.ts';

export const COLOURS = {
  measured: '#1f4e79',
  reference: '#9aa3ad',
  met: '#1b7f3b',
  missed: '#b3261e',
  axis: '#6b7280',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 0.1, 1, 10, 1k, 10k, 1M: tick labels on a log axis. */
function shortNumber(n: number): string {
  if (n >= 1e6) return `${n / 1e6}M`;
  if (n >= 1e3) return `${n / 1e3}k`;
  return String(Number(n.toPrecision(3)));
}

interface LogScale {
  pct(x: number): number;
  ticks: number[];
}

function logScale(values: number[]): LogScale {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const lo = 10 ** Math.floor(Math.log10(min * 0.9));
  let hi = 10 ** Math.ceil(Math.log10(max * 1.1));
  if (hi <= lo) hi = lo * 10;
  const span = Math.log10(hi) - Math.log10(lo);
  const pct = (x: number) => Math.min(100, Math.max(0, ((Math.log10(x) - Math.log10(lo)) / span) * 100));
  const ticks: number[] = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) {
    ticks.push(t);
    if (span <= 2 && t < hi) ticks.push(t * 2, t * 5);
  }
  return { pct, ticks: ticks.filter((t) => t <= hi * 1.0001).sort((a, b) => a - b) };
}

const p = (n: number) => `${n.toFixed(2)}%`;

function valueText(x: number, y: number, text: string, inside: boolean): string {
  const anchor = inside ? 'end' : 'start';
  const dx = inside ? -4 : 4;
  const fill = inside ? '#fff' : '#111';
  const halo = inside ? '' : ' stroke="#fff" stroke-width="3" paint-order="stroke"';
  return `<text x="${p(x)}" y="${y}" dx="${dx}" text-anchor="${anchor}" fill="${fill}"${halo} font-size="12">${escapeHtml(text)}</text>`;
}

/** One figure: the measured bar, the reference bar under it, a line per drawable goal. */
export function figureSvg(f: Figure): string {
  if (f.value <= 0) return '<p class="note">Not drawn: a log scale needs a value above zero.</p>';
  const thresholds = f.goals.filter((g) => g.threshold !== undefined && g.threshold > 0);
  const ref = f.reference && f.reference.value > 0 ? f.reference : undefined;
  const scale = logScale([f.value, ...(ref ? [ref.value] : []), ...thresholds.map((g) => g.threshold!)]);
  const refY = 26;
  const axisY = ref ? 44 : 28;
  const height = axisY + 16;
  const parts: string[] = [];
  /** Value labels go last, over the goal lines. */
  const labels: string[] = [];
  for (const t of scale.ticks) {
    parts.push(
      `<line x1="${p(scale.pct(t))}" x2="${p(scale.pct(t))}" y1="2" y2="${axisY}" stroke="#e5e7eb"/>`,
    );
  }
  const x = scale.pct(f.value);
  parts.push(
    `<rect x="0" y="4" width="${p(x)}" height="16" fill="${COLOURS.measured}"><title>measured</title></rect>`,
  );
  labels.push(valueText(x, 16.5, `${fmt(f.value)} ${f.unit}`, x > 62));
  if (ref) {
    const rx = scale.pct(ref.value);
    parts.push(
      `<rect x="0" y="${refY}" width="${p(rx)}" height="10" fill="${COLOURS.reference}"><title>reference</title></rect>`,
    );
    labels.push(
      `<text x="${p(rx)}" y="${refY + 9}" dx="${rx > 62 ? -4 : 4}" text-anchor="${rx > 62 ? 'end' : 'start'}" fill="${rx > 62 ? '#fff' : '#374151'}"${rx > 62 ? '' : ' stroke="#fff" stroke-width="3" paint-order="stroke"'} font-size="11">ref ${escapeHtml(fmt(ref.value))}</text>`,
    );
  }
  for (const g of thresholds) {
    const gx = scale.pct(g.threshold!);
    const colour = g.met ? COLOURS.met : COLOURS.missed;
    parts.push(
      `<line x1="${p(gx)}" x2="${p(gx)}" y1="0" y2="${axisY}" stroke="${colour}" stroke-width="3" stroke-dasharray="5 3"><title>goal ${escapeHtml(g.text)}</title></line>`,
    );
  }
  parts.push(`<line x1="0" x2="100%" y1="${axisY}" y2="${axisY}" stroke="${COLOURS.axis}"/>`);
  scale.ticks.forEach((t, i) => {
    const anchor = i === 0 ? 'start' : i === scale.ticks.length - 1 ? 'end' : 'middle';
    parts.push(
      `<text x="${p(scale.pct(t))}" y="${axisY + 13}" text-anchor="${anchor}" fill="${COLOURS.axis}" font-size="10">${shortNumber(t)}</text>`,
    );
  });
  const title = `${f.label}: ${fmt(f.value)} ${f.unit}${ref ? `, reference ${fmt(ref.value)}` : ''}`;
  return `<svg class="bars" width="100%" height="${height}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}${labels.join('')}</svg>`;
}

export interface StackPart {
  label: string;
  value: number;
  colour: string;
}

export const STACK_COLOURS = [
  '#1f4e79',
  '#e07b39',
  '#4a9d5b',
  '#8e5ea2',
  '#c9a227',
  '#3aa6b9',
  '#c0504d',
  '#7f7f7f',
];

/** One stacked bar, linear, scaled to `max` (≥ the sum of the parts), with an optional tick; the
 *  total is said in the heading above it. */
export function stackSvg(parts: StackPart[], max: number, tick?: { value: number; label: string }): string {
  let x = 0;
  const rects = parts.map((part) => {
    const w = (part.value / max) * 100;
    const rect = `<rect x="${p(x)}" y="4" width="${p(w)}" height="26" fill="${part.colour}" stroke="#fff" stroke-width="1"><title>${escapeHtml(`${part.label}: ${fmt(part.value)} µs`)}</title></rect>`;
    x += w;
    return rect;
  });
  const total = parts.reduce((s, part) => s + part.value, 0);
  const tickSvg = tick
    ? `<line x1="${p((tick.value / max) * 100)}" x2="${p((tick.value / max) * 100)}" y1="0" y2="34" stroke="#111" stroke-width="2"><title>${escapeHtml(tick.label)}</title></line>`
    : '';
  return `<svg class="stack" width="100%" height="36" role="img" aria-label="${escapeHtml(`total ${fmt(total)} µs`)}">${rects.join('')}${tickSvg}</svg>`;
}
