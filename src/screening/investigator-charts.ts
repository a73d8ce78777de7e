// The investigator view's two charts as inline SVG with text alternatives: alerts per hour
// of the chosen day, and precision (share of resolved alerts that were fraud) per day.

export interface PrecisionDay {
  day: string;
  alerts: number;
  resolved: number;
  precision: number | null;
}

export function hourChart(counts: number[], zoneName = 'UTC'): string {
  const max = Math.max(1, ...counts);
  const width = 24 * 22;
  const bars = counts
    .map((n, h) => {
      const height = Math.round((n / max) * 100);
      return `<rect x="${h * 22 + 2}" y="${110 - height}" width="18" height="${height}" fill="#1f5fbf"><title>${String(h).padStart(2, '0')}:00 — ${n} alert${n === 1 ? '' : 's'}</title></rect>${h % 3 === 0 ? `<text x="${h * 22 + 11}" y="124" font-size="10" text-anchor="middle">${String(h).padStart(2, '0')}</text>` : ''}`;
    })
    .join('');
  const total = counts.reduce((a, b) => a + b, 0);
  return `<svg role="img" aria-labelledby="hours-title hours-desc" viewBox="0 0 ${width} 130" width="100%" style="max-width:${width}px">
<title id="hours-title">Alerts per hour (${zoneName})</title><desc id="hours-desc">${total} alerts; busiest hour ${counts.indexOf(Math.max(...counts))}:00 with ${Math.max(...counts)}.</desc>
<line x1="0" y1="110" x2="${width}" y2="110" stroke="#555"/>${bars}</svg>`;
}

export function precisionChart(rows: readonly PrecisionDay[]): string {
  const width = 14 * 40;
  const points = rows
    .map((row, i) =>
      row.precision === null
        ? ''
        : `<circle cx="${i * 40 + 20}" cy="${110 - Math.round(row.precision * 100)}" r="4" fill="#b3261e"><title>${row.day}: ${(row.precision * 100).toFixed(0)} % of ${row.resolved} resolved alerts were fraud</title></circle>`,
    )
    .join('');
  const line = rows
    .map((row, i) =>
      row.precision === null ? null : `${i * 40 + 20},${110 - Math.round(row.precision * 100)}`,
    )
    .filter((p) => p !== null)
    .join(' ');
  const labels = rows
    .map((row, i) =>
      i % 2 === 0
        ? `<text x="${i * 40 + 20}" y="124" font-size="10" text-anchor="middle">${row.day.slice(5)}</text>`
        : '',
    )
    .join('');
  const known = rows.filter((row) => row.precision !== null);
  const mean = known.length === 0 ? null : known.reduce((s, r) => s + r.precision!, 0) / known.length;
  return `<svg role="img" aria-labelledby="precision-title precision-desc" viewBox="0 0 ${width} 130" width="100%" style="max-width:${width}px">
<title id="precision-title">Precision of alerts per day, last 14 days</title><desc id="precision-desc">${mean === null ? 'No resolved alerts yet.' : `Mean ${(mean * 100).toFixed(0)} % of resolved alerts were fraud over ${known.length} days.`}</desc>
<line x1="0" y1="110" x2="${width}" y2="110" stroke="#555"/><line x1="0" y1="10" x2="${width}" y2="10" stroke="#ddd"/>
<text x="2" y="20" font-size="10">100 %</text><polyline points="${line}" fill="none" stroke="#b3261e" stroke-width="2"/>${points}${labels}</svg>`;
}
