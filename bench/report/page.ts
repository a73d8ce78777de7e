// The report page: one self-contained HTML file (inline CSS and SVG, nothing fetched) with a
// summary of the goals, the cost of one release, and every benchmark's figures beside their
// same-run references and goals.
import type { Figure, FigureGroup } from './figures.ts';
import { fmt } from './figures.ts';
import { releaseCostHtml, releaseCosts } from './release-cost.ts';
import { COLOURS, escapeHtml, figureSvg } from './svg.ts';

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.3em 0}
h2{font-size:1.2rem;margin:1.6em 0 .3em;border-bottom:2px solid #d1d5db;padding-bottom:.2em}
h3{font-size:1rem;margin:1em 0 .3em}
.facts,.note{color:#4b5563;font-size:.85rem;margin:.2em 0}
.fig{background:#fff;border:1px solid #e5e7eb;border-left:6px solid #d1d5db;border-radius:6px;padding:8px 10px;margin:8px 0}
.fig.met{border-left-color:${COLOURS.met}}
.fig.missed{border-left-color:${COLOURS.missed}}
.fig .label{font-weight:600}
.fig .nums{font-size:.85rem;color:#374151;margin:2px 0 4px}
.mark{display:inline-block;font-size:.8rem;font-weight:700;border-radius:4px;padding:0 6px;margin-right:6px;white-space:nowrap}
.mark.met{background:#e3f4e8;color:${COLOURS.met}}
.mark.missed{background:#fbe6e4;color:${COLOURS.missed}}
.mark.open{background:#eef0f3;color:#4b5563}
svg{display:block;overflow:visible}
.key{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85rem;color:#374151;margin:.4em 0}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.dash{display:inline-block;width:14px;border-top:3px dashed ${COLOURS.met};margin-right:5px;vertical-align:3px}
.legend{list-style:none;padding:0;margin:.4em 0;display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:2px 16px;font-size:.85rem}
.share{color:#6b7280}
.goals{list-style:none;padding:0;margin:0;background:#fff;border:1px solid #e5e7eb;border-radius:6px}
.goals li{display:grid;grid-template-columns:8.5em 1fr;gap:4px;padding:5px 8px;border-bottom:1px solid #eef0f3}
.goals .nums{font-size:.85rem;color:#374151}
.goals .mark{justify-self:start;align-self:start}
.summary{width:100%;border-collapse:collapse;background:#fff;font-size:.85rem}
.summary td,.summary th{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
.summary td.num{text-align:right;white-space:nowrap}
.release-cost{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:8px 10px;margin:8px 0}
details{margin:8px 0}
summary{cursor:pointer;color:#374151}
@media (max-width:600px){body{font-size:14px}main{padding:10px}.goals li{grid-template-columns:1fr}}
`;

function mark(f: Figure): string {
  if (f.met === true) return '<span class="mark met">✓ goal met</span>';
  if (f.met === false) return '<span class="mark missed">✗ goal not met</span>';
  return f.goals.length ? '<span class="mark open">goal not checkable here</span>' : '';
}

function referenceText(f: Figure): string {
  if (!f.reference) return '';
  const share = f.ratio !== undefined ? ` (${fmt(f.ratio * 100)} %)` : '';
  return ` · reference, same run: ${escapeHtml(f.reference.name)} ${fmt(f.reference.value)} ${escapeHtml(f.unit)}${share}`;
}

function goalText(f: Figure): string {
  if (!f.goals.length) return '';
  const each = f.goals.map(
    (g) => `${escapeHtml(g.text)}${g.met === true ? ' ✓' : g.met === false ? ' ✗' : ''}`,
  );
  return ` · goal ${each.join(', ')}`;
}

function figureHtml(f: Figure): string {
  const state = f.met === true ? 'met' : f.met === false ? 'missed' : 'open';
  return `<div class="fig ${state}"><div>${mark(f)}<span class="label">${escapeHtml(f.label)}</span></div><div class="nums"><b>${fmt(f.value)} ${escapeHtml(f.unit)}</b>${referenceText(f)}${goalText(f)}</div>${figureSvg(f)}</div>`;
}

function factsHtml(g: FigureGroup): string {
  const facts: string[] = [];
  if (g.dates.length) {
    const first = g.dates[0]!.replace('T', ' ').slice(0, 16);
    const last = g.dates.at(-1)!.replace('T', ' ').slice(0, 16);
    facts.push(`measured ${first === last ? first : `${first} – ${last}`} UTC`);
  }
  if (g.cores !== undefined) facts.push(`${g.cores} cores`);
  facts.push(
    g.loadAverageAtStart
      ? `load average at start ${g.loadAverageAtStart.map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min)`
      : 'load average at start not recorded',
  );
  if (g.machine) facts.push(escapeHtml(g.machine));
  return `<p class="facts">${facts.join(' · ')}</p>`;
}

function plainTable(figures: Figure[]): string {
  const rows = figures
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.benchmark)}</td><td>${escapeHtml(f.label)}</td><td class="num">${fmt(f.value)} ${escapeHtml(f.unit)}</td></tr>`,
    )
    .join('');
  return `<details><summary>${figures.length} more figure${figures.length === 1 ? '' : 's'} without a same-run reference or goal</summary><table class="summary"><tr><th>benchmark</th><th>figure</th><th>value</th></tr>${rows}</table></details>`;
}

function groupHtml(g: FigureGroup): string {
  const drawn = g.figures.filter((f) => f.reference || f.goals.length);
  const rest = g.figures.filter((f) => !(f.reference || f.goals.length));
  const parts: string[] = [];
  let current: string | undefined;
  for (const f of drawn) {
    if (f.benchmark !== current && drawn.some((o) => o.benchmark !== f.benchmark)) {
      parts.push(`<h3>${escapeHtml(f.benchmark)}</h3>`);
    }
    current = f.benchmark;
    parts.push(figureHtml(f));
  }
  if (rest.length) parts.push(plainTable(rest));
  return `<section id="bench-${escapeHtml(g.name)}"><h2>${escapeHtml(g.name)}</h2>${factsHtml(g)}${parts.join('')}</section>`;
}

function summaryHtml(groups: FigureGroup[]): string {
  const withGoals = groups.flatMap((g) => g.figures.filter((f) => f.goals.length).map((f) => ({ g, f })));
  const met = withGoals.filter(({ f }) => f.met === true).length;
  const missed = withGoals.filter(({ f }) => f.met === false).length;
  const rows = withGoals
    .map(
      ({ g, f }) =>
        `<li>${mark(f)}<span><a href="#bench-${escapeHtml(g.name)}">${escapeHtml(g.name)}</a>: ${escapeHtml(f.label)}<br><span class="nums"><b>${fmt(f.value)} ${escapeHtml(f.unit)}</b>${goalText(f)}${f.reference ? ` · reference ${escapeHtml(f.reference.name)} ${fmt(f.reference.value)}` : ''}</span></span></li>`,
    )
    .join('');
  return `<h2>Goals</h2><p><b>${met}</b> met, <b>${missed}</b> not met, of ${withGoals.length} figures with a goal.</p><ul class="goals">${rows}</ul>`;
}

const KEY = `<div class="key"><span><span class="swatch" style="background:${COLOURS.measured}"></span>measured</span><span><span class="swatch" style="background:${COLOURS.reference}"></span>reference, same run</span><span><span class="dash"></span>goal (green met, <span style="color:${COLOURS.missed}">red</span> not met)</span><span>log scale</span></div>`;

export function renderPage(groups: FigureGroup[], generatedAt?: string): string {
  const release = groups.find((g) => g.name === 'release');
  const body = [
    '<h1>Proviso benchmark report</h1>',
    `<p class="facts">Drawn from bench/results/*.json${generatedAt ? ` on ${escapeHtml(generatedAt)}` : ''}. The machine is shared, so absolute figures move from run to run; compare each figure with its reference from the same run.</p>`,
    KEY,
    summaryHtml(groups),
    '<h2 id="release-cost">One release, step by step</h2>',
    '<p class="facts">Wall time of each step, one at a time, warm (release-steps). The log step is the per-release share with 32 in flight.</p>',
    releaseCostHtml(releaseCosts(release)),
    ...groups.map(groupHtml),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Proviso benchmark report</title><style>${STYLE}</style></head><body><main>${body.join('\n')}</main></body></html>\n`;
}
