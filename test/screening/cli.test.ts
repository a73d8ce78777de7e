import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { scoreCommand, trainCommand } from '../../src/screening/index.ts';
import { syntheticRows, toCsv } from './synthetic.ts';

test('proviso train then score: one TRANSACTION_ID,score line per input row', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'proviso-screening-'));
  try {
    const rows = syntheticRows({ days: 30 });
    const input = join(dir, 'input.csv');
    writeFileSync(input, toCsv(rows));
    const io = { stdout: new PassThrough(), stderr: new PassThrough() };
    const model = join(dir, 'model.json');
    assert.equal(await trainCommand([input, '--out', model, '--warmup-days', '5', '--trees', '20'], io), 0);
    const out = join(dir, 'scores.csv');
    assert.equal(await scoreCommand(['--model', model, input, '--label-delay', '7', '--out', out], io), 0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'TRANSACTION_ID,score');
    assert.equal(lines.length, rows.length + 1);
    for (const line of lines.slice(1)) {
      const score = Number(line.split(',')[1]);
      assert.ok(score >= 0 && score <= 1);
    }
    assert.equal(await scoreCommand([input], io), 2, 'usage error without --model');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
