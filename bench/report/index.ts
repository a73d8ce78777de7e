// Public entry of the benchmark report: reads bench/results/*.json and writes
// bench/results/report.html, one self-contained page drawing every figure beside its same-run
// reference and goal. Run by `npm run bench` after a run and by `npm run bench:report` alone.
import { writeFileSync } from 'node:fs';
import { type FigureGroup, loadGroups } from './figures.ts';
import { renderPage } from './page.ts';

export type { Figure, FigureGroup, GoalCheck } from './figures.ts';
export { goalsInText, loadGroups } from './figures.ts';

export const RESULTS_DIR = new URL('../results/', import.meta.url);

export function renderReport(groups: FigureGroup[], generatedAt?: string): string {
  return renderPage(groups, generatedAt);
}

/** Writes report.html into `dir` from the results files there; returns the file's URL. */
export function writeReport(dir: URL = RESULTS_DIR): URL {
  const file = new URL('report.html', dir);
  writeFileSync(
    file,
    renderReport(loadGroups(dir), new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'),
  );
  return file;
}
