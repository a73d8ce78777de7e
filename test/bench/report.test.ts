// The drawn benchmark report (bench/report): rendered from the fixture results under
// test/fixtures/bench-report, it shows each figure beside its same-run reference and goal,
// marks met / not met, draws one release step by step, and fetches nothing.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { goalsInText, loadGroups, renderReport, writeReport } from '../../bench/report/index.ts';

const FIXTURES = new URL('../fixtures/bench-report/', import.meta.url);

/** The figure card whose label is `label`, as HTML. */
function card(html: string, label: string): string {
  const cards = html.split('<div class="fig ').slice(1);
  const found = cards.find((c) => c.includes(`<span class="label">${label}</span>`));
  assert.ok(found, `no card for ${label}`);
  return found;
}

describe('benchmark report', () => {
  const groups = loadGroups(FIXTURES);
  const html = renderReport(groups);

  it('reads every results file of figures and skips profiles and half-written files', () => {
    assert.deepEqual(
      groups.map((g) => g.name),
      ['alerts', 'release', 'seal'],
    );
  });

  it('reads goals from the metric text and strips them from the label', () => {
    const parsed = goalsInText('balance asks (postgres; goal ≥ 2000/s, p99 ≤ 50 ms, ≥ 3 % of bare)');
    assert.equal(parsed.label, 'balance asks (postgres)');
    assert.deepEqual(parsed.goals, [
      { on: 'value', atLeast: 2000, unit: '/s' },
      { on: 'ratio', atLeast: 0.03 },
    ]);
    assert.deepEqual(parsed.unchecked, ['p99 ≤ 50 ms']);
    assert.equal(goalsInText('open one envelope').goals.length, 0);
  });

  it('shows each figure beside its same-run reference and goal, marked met or not met', () => {
    const pglite = card(html, 'balance asks, Open Banking route (pglite)');
    assert.match(pglite, /✓ goal met/);
    assert.match(pglite, /<b>713 req\/s<\/b>/);
    assert.match(pglite, /reference, same run: bare Fastify constant route 90,000 req\/s/);
    assert.match(pglite, /goal ≥ 600\/s ✓/);
    assert.match(pglite, /<svg class="bars"/);

    const postgres = card(html, 'balance asks, Open Banking route (postgres)');
    assert.match(postgres, /✗ goal not met/);
    assert.match(postgres, /≥ 2,000\/s ✗/);
    assert.match(postgres, /≥ 3 % of the reference ✗/);
    assert.match(postgres, /p99 ≤ 50 ms \(not checked here\)/);
  });

  it('checks goals given as fields, in another unit, and on the share of the reference', () => {
    const seal = card(html, 'envelopes sealed + signed');
    assert.match(seal, /≥ 9,000\/s ✗/);
    assert.match(seal, /≥ 40 % of the reference ✓/);
    assert.match(seal, /✗ goal not met/);
    assert.match(card(html, 'ingest → device p99 (postgres, offered 2000/s)'), /≤ 0.25 s ✓/);
    assert.match(card(html, 'ingest acknowledgement p99 (postgres, offered 2000/s)'), /≤ 20 ms ✗/);
    assert.match(html, /<b>3<\/b> met, <b>3<\/b> not met, of 6 figures with a goal/);
  });

  it('lists figures without reference or goal, and states date and machine facts', () => {
    assert.match(html, /1 more figure without a same-run reference or goal/);
    assert.match(html, /open one envelope<\/td><td class="num">61.5 µs/);
    assert.match(html, /2 cores · load average at start 0.50 \/ 0.75 \/ 1.25/);
    assert.match(html, /measured 2026-12-01 03:10 UTC/);
    assert.match(html, /load average at start not recorded/);
  });

  it('draws one release step by step, alternatives left out, a negative step counted as zero', () => {
    const cost = html.slice(html.indexOf('id="release-cost"'), html.indexOf('<section'));
    assert.match(cost, /postgres: 900 µs per release/);
    assert.match(cost, /<svg class="stack"/);
    assert.match(cost, /DPoP proof check <b>90.0 µs<\/b>/);
    assert.match(cost, /per release with 32 in flight <b>210 µs<\/b>/);
    assert.doesNotMatch(cost, /balances only|one alone/);
    assert.match(cost, /Counted as 0[^<]*token \+ consent lookup/);
    assert.match(cost, /gateway CPU per ask, all threads \(postgres\): 790 µs/);
  });

  it('is one self-contained page: no script, nothing fetched', () => {
    assert.doesNotMatch(html, /<script|<link|\b(src|href)="https?:/i);
    assert.doesNotMatch(html, /url\(/);
  });

  it('writes report.html beside the results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      cpSync(FIXTURES, dir, { recursive: true });
      const file = writeReport(pathToFileURL(`${dir}/`));
      const written = readFileSync(file, 'utf8');
      assert.match(written, /<!doctype html>/);
      assert.match(written, /envelopes sealed \+ signed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
