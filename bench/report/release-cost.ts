// The cost of one release, step by step, from the "release-steps" figures of
// bench/results/release.json: one stacked bar per backend (the figure's last "(…)", e.g.
// pglite / postgres). Steps measured two ways keep one: "balances only" and "one alone" are
// alternatives of the core read and the log step, so they are left out of the sum, and a step
// whose difference came out below zero (noise) counts as zero and is said so.
import { type Figure, type FigureGroup, fmt } from './figures.ts';
import { escapeHtml, STACK_COLOURS, type StackPart, stackSvg } from './svg.ts';

const ALTERNATIVE = /balances only|one alone/i;
const BACKEND = /\s*\(([^()]*)\)\s*$/;
const END_TO_END = /gateway CPU per ask/i;

export interface ReleaseCost {
  backend: string;
  steps: StackPart[];
  clampedToZero: string[];
  endToEnd?: Figure;
}

function backendOf(label: string): { backend: string; step: string } {
  const m = BACKEND.exec(label);
  return m ? { backend: m[1]!, step: label.replace(BACKEND, '') } : { backend: '', step: label };
}

export function releaseCosts(group: FigureGroup | undefined): ReleaseCost[] {
  if (!group) return [];
  const steps = group.figures.filter(
    (f) => f.benchmark === 'release-steps' && /^(µs|us)$/.test(f.unit) && !ALTERNATIVE.test(f.label),
  );
  const byBackend = new Map<string, ReleaseCost>();
  for (const f of steps) {
    const { backend, step } = backendOf(f.label);
    const cost = byBackend.get(backend) ?? { backend, steps: [], clampedToZero: [] };
    byBackend.set(backend, cost);
    if (f.value < 0) cost.clampedToZero.push(`${step} (${fmt(f.value)} µs)`);
    cost.steps.push({
      label: step,
      value: Math.max(0, f.value),
      colour: STACK_COLOURS[cost.steps.length % STACK_COLOURS.length]!,
    });
  }
  for (const cost of byBackend.values()) {
    const endToEnd = group.figures.find(
      (f) =>
        f.benchmark === 'release' &&
        END_TO_END.test(f.label) &&
        !/^bot/i.test(f.label) &&
        backendOf(f.label).backend === cost.backend,
    );
    if (endToEnd) cost.endToEnd = endToEnd;
  }
  return [...byBackend.values()];
}

export function releaseCostHtml(costs: ReleaseCost[]): string {
  if (!costs.length) return '<p class="note">No release-steps figures in bench/results/release.json.</p>';
  const max = Math.max(
    ...costs.map((c) =>
      Math.max(
        c.steps.reduce((s, x) => s + x.value, 0),
        c.endToEnd?.unit === 'µs' ? c.endToEnd.value : 0,
      ),
    ),
  );
  return costs
    .map((c) => {
      const total = c.steps.reduce((s, x) => s + x.value, 0);
      const tick =
        c.endToEnd?.unit === 'µs'
          ? { value: c.endToEnd.value, label: `${c.endToEnd.label}: ${fmt(c.endToEnd.value)} µs` }
          : undefined;
      const legend = c.steps
        .map(
          (s) =>
            `<li><span class="swatch" style="background:${s.colour}"></span>${escapeHtml(s.label)} <b>${fmt(s.value)} µs</b> <span class="share">${total ? ((s.value / total) * 100).toFixed(0) : 0} %</span></li>`,
        )
        .join('');
      const notes = [
        tick ? `Black tick: ${escapeHtml(tick.label)} (under load, same run).` : '',
        c.clampedToZero.length
          ? `Counted as 0 (a difference below zero is noise): ${escapeHtml(c.clampedToZero.join(', '))}.`
          : '',
      ]
        .filter(Boolean)
        .map((n) => `<p class="note">${n}</p>`)
        .join('');
      return `<div class="release-cost"><h3>${escapeHtml(c.backend || 'release')}: ${fmt(total)} µs per release, step by step</h3>${stackSvg(c.steps, max, tick)}<ul class="legend">${legend}</ul>${notes}</div>`;
    })
    .join('');
}
