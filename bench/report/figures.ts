// The report's model: reads bench/results/*.json (whatever fields each file has), finds each
// figure's goals (from `goals`, else from the metric's text "goal ≥ 2,000/s, ≥ 3 % of bare"),
// decides met / not met, and groups the figures by benchmark file.
import { readdirSync, readFileSync } from 'node:fs';
import type { Goal, Result } from '../lib/results.ts';

export interface GoalCheck {
  goal: Goal;
  /** What the goal says, for people: "≥ 2,000/s", "≥ 3 % of the reference". */
  text: string;
  /** The threshold on the figure's own axis (ratio goals × the reference), when drawable. */
  threshold?: number;
  /** true / false when it could be checked here; undefined when not (e.g. "p99 ≤ 50 ms" on a rate). */
  met?: boolean;
}

export interface Figure {
  benchmark: string;
  label: string;
  value: number;
  unit: string;
  reference?: { name: string; value: number };
  ratio?: number;
  goals: GoalCheck[];
  /** Every checkable goal met (true), one missed (false), or nothing checkable (undefined). */
  met?: boolean;
  raw: Partial<Result>;
}

export interface FigureGroup {
  /** The results file's name without .json: "release", "relay". */
  name: string;
  figures: Figure[];
  dates: string[];
  machine?: string;
  cores?: number;
  loadAverageAtStart?: number[];
}

const COMPARISON = /(?:\b(p\d+)\s*)?(≥|≤|>=|<=)\s*(\d[\d,]*(?:\.\d+)?)\s*(%|[a-zA-Zµ/]+)?/g;
const GOAL_TEXT = /(?:\(|;\s*|,\s*)?\s*goal\s+([^)]*)\)?/i;

/** Goals written in a metric's text, e.g. "(postgres; goal ≥ 2000/s, p99 ≤ 50 ms, ≥ 3 % of bare)". */
export function goalsInText(metric: string): { goals: Goal[]; unchecked: string[]; label: string } {
  const match = GOAL_TEXT.exec(metric);
  if (!match) return { goals: [], unchecked: [], label: metric };
  const goals: Goal[] = [];
  const unchecked: string[] = [];
  for (const m of match[1]!.matchAll(COMPARISON)) {
    const [whole, percentile, op, digits, unit] = m;
    const value = Number(digits!.replaceAll(',', ''));
    const bound = op === '≥' || op === '>=' ? { atLeast: value } : { atMost: value };
    if (percentile) unchecked.push(whole.trim());
    else if (unit === '%')
      goals.push({
        on: 'ratio',
        ...(op === '≥' || op === '>=' ? { atLeast: value / 100 } : { atMost: value / 100 }),
      });
    else goals.push({ on: 'value', ...bound, ...(unit ? { unit } : {}) });
  }
  const label = metric
    .replace(match[0], match[0].startsWith('(') || !match[0].endsWith(')') ? '' : ')')
    .trim();
  return { goals, unchecked, label };
}

const TIME: Record<string, number> = { ns: 1e-9, µs: 1e-6, us: 1e-6, ms: 1e-3, s: 1 };

/** The goal's value in the figure's unit; undefined when the units cannot be compared. */
function inFigureUnit(
  goalValue: number,
  goalUnit: string | undefined,
  figureUnit: string,
): number | undefined {
  if (!goalUnit || goalUnit === figureUnit) return goalValue;
  if (goalUnit in TIME && figureUnit in TIME) return (goalValue * TIME[goalUnit]!) / TIME[figureUnit]!;
  // A rate: "/s" against "req/s", "deliveries/s", "envelopes/s".
  if (goalUnit.startsWith('/') && figureUnit.endsWith(goalUnit)) return goalValue;
  return undefined;
}

export function fmt(n: number): string {
  const a = Math.abs(n);
  if (a >= 100) return Math.round(n).toLocaleString('en-GB');
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

/** A goal's bound as written: 20, 2,000, 3, 1.5 — no trailing zeros. */
function fmtBound(n: number): string {
  return Number(n.toPrecision(6)).toLocaleString('en-GB', { maximumFractionDigits: 6 });
}

function check(goal: Goal, value: number, unit: string, reference?: { value: number }): GoalCheck {
  const bound = goal.atLeast ?? goal.atMost;
  const sign = goal.atLeast !== undefined ? '≥' : '≤';
  if (bound === undefined) return { goal, text: 'goal without a bound' };
  const passes = (x: number) => (goal.atLeast !== undefined ? x >= goal.atLeast : x <= goal.atMost!);
  if (goal.on === 'ratio') {
    const text = `${sign} ${fmtBound(bound * 100)} % of the reference`;
    if (!reference || reference.value === 0) return { goal, text };
    const threshold = bound * reference.value;
    return { goal, text, threshold, met: passes(value / reference.value) };
  }
  const text = `${sign} ${fmtBound(bound)}${goal.unit ? (goal.unit.startsWith('/') ? goal.unit : ` ${goal.unit}`) : ` ${unit}`}`;
  const threshold = inFigureUnit(bound, goal.unit, unit);
  if (threshold === undefined) return { goal, text };
  return { goal, text, threshold, met: goal.atLeast !== undefined ? value >= threshold : value <= threshold };
}

export function toFigure(r: Partial<Result>): Figure | undefined {
  if (typeof r.metric !== 'string' || typeof r.value !== 'number' || !Number.isFinite(r.value))
    return undefined;
  const unit = typeof r.unit === 'string' ? r.unit : '';
  const parsed = goalsInText(r.metric);
  const goals = Array.isArray(r.goals) && r.goals.length ? r.goals : parsed.goals;
  const reference =
    r.baseline && typeof r.baseline.value === 'number' && typeof r.baseline.name === 'string'
      ? { name: r.baseline.name, value: r.baseline.value }
      : undefined;
  const checks = goals.map((g) => check(g, r.value!, unit, reference));
  for (const text of parsed.unchecked)
    checks.push({ goal: { on: 'value' }, text: `${text} (not checked here)` });
  const decided = checks.filter((c) => c.met !== undefined);
  const ratio =
    typeof r.ratio === 'number' ? r.ratio : reference?.value ? r.value / reference.value : undefined;
  return {
    benchmark: typeof r.benchmark === 'string' ? r.benchmark : '',
    label: parsed.label,
    value: r.value,
    unit,
    ...(reference ? { reference } : {}),
    ...(ratio !== undefined ? { ratio } : {}),
    goals: checks,
    ...(decided.length ? { met: decided.every((c) => c.met) } : {}),
    raw: r,
  };
}

export function toGroup(name: string, rows: unknown): FigureGroup | undefined {
  if (!Array.isArray(rows)) return undefined;
  const results = rows.filter((r): r is Partial<Result> => typeof r === 'object' && r !== null);
  const figures = results.map(toFigure).filter((f): f is Figure => f !== undefined);
  if (!figures.length) return undefined;
  const first = results.find((r) => r.machine) ?? {};
  const load = results.find((r) => Array.isArray(r.loadAverageAtStart))?.loadAverageAtStart;
  const cores = results.find((r) => typeof r.cores === 'number')?.cores ?? coresFromMachine(first.machine);
  return {
    name,
    figures,
    dates: [...new Set(results.map((r) => r.date).filter((d): d is string => typeof d === 'string'))].sort(),
    ...(first.machine ? { machine: first.machine } : {}),
    ...(cores !== undefined ? { cores } : {}),
    ...(load ? { loadAverageAtStart: load } : {}),
  };
}

/** "2x Intel(R) Xeon(R) …" or "2 × Intel …" → 2. */
function coresFromMachine(machine: string | undefined): number | undefined {
  const m = machine ? /^(\d+)\s*[x×]/.exec(machine) : null;
  return m ? Number(m[1]) : undefined;
}

/** Every results file in `dir` that holds figures; files of another shape (profiles) are skipped. */
export function loadGroups(dir: URL | string): FigureGroup[] {
  const base = typeof dir === 'string' ? dir.replace(/\/?$/, '/') : dir.href.replace(/\/?$/, '/');
  const url = (f: string) => (typeof dir === 'string' ? `${base}${f}` : new URL(f, base));
  const groups: FigureGroup[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.json')) continue;
    try {
      const group = toGroup(file.slice(0, -5), JSON.parse(readFileSync(url(file), 'utf8')));
      if (group) groups.push(group);
    } catch {
      // A file being written by a run in progress, or not JSON: leave it out of this report.
    }
  }
  return groups;
}
