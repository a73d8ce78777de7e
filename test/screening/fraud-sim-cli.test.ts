// `proviso train` and `proviso score` as a user runs them, on a slice of the fraud-sim data set
// (16 MB, kept outside the repository: $PROVISO_SHARED/data/fraud-sim or ../shared beside the
// checkout, or FRAUD_SIM_CSV): 250 of its 4,986 cards. Skipped, with the reason, without it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { rocAuc } from '../../src/screening/index.ts';
import { optionalDataPath, optionalDataSkip } from '../support/shared.ts';

const DATA = process.env['FRAUD_SIM_CSV'] ?? optionalDataPath('fraud-sim', 'train.csv.gz');
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const run = promisify(execFile);

test('proviso train and score on a slice of fraud-sim', {
  skip: optionalDataSkip(DATA, 'fraud-sim'),
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'proviso-fraud-sim-'));
  try {
    // The slice: every transaction of cards 0..249, as the file has them (time order).
    const { createGunzip } = await import('node:zlib');
    const { createReadStream } = await import('node:fs');
    const { createInterface } = await import('node:readline');
    const lines: string[] = [];
    for await (const line of createInterface({ input: createReadStream(DATA).pipe(createGunzip()) })) {
      if (lines.length === 0 || Number(line.split(',')[2]) < 250) lines.push(line);
    }
    const input = join(dir, 'slice.csv');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const rows = lines.slice(1).map((line) => line.split(','));
    const label = new Map(rows.map((cells) => [cells[0]!, cells[5] === '1']));

    const model = join(dir, 'model.json');
    const trained = await run(process.execPath, [MAIN, 'train', input, '--out', model, '--trees', '60'], {
      maxBuffer: 1 << 24,
    });
    assert.match(trained.stderr, /featurising: .* KiB/, 'progress on stderr');
    assert.match(trained.stderr, /training: 60\/60 trees/);
    assert.match(trained.stderr, /trained on \d+ rows \(\d+ frauds/);

    const out = join(dir, 'scores.csv');
    const scored = await run(process.execPath, [MAIN, 'score', '--model', model, input, '--out', out], {
      maxBuffer: 1 << 24,
    });
    assert.match(scored.stderr, /scoring: .* rows/);
    const written = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(written[0], 'TRANSACTION_ID,score');
    assert.equal(written.length, rows.length + 1, 'one line per input row');
    // Time order (the file is in time order, TRANSACTION_ID increasing with time).
    assert.deepEqual(
      written.slice(1).map((line) => line.split(',')[0]),
      rows.map((cells) => cells[0]),
    );
    // The scores rank fraud above genuine on the last two months (labels used only after
    // the 7-day delay while scoring; the model saw this slice's labels in training, so
    // this checks the plumbing, the benchmark checks quality).
    const late = written.slice(1).filter((_, i) => rows[i]![1]! >= '2018-06-01');
    const scores = Float64Array.from(late, (line) => Number(line.split(',')[1]));
    const labels = Uint8Array.from(late, (line) => (label.get(line.split(',')[0]!) ? 1 : 0));
    assert.ok(labels.some((l) => l === 1));
    assert.ok(rocAuc(scores, labels) > 0.8, `AUC ${rocAuc(scores, labels)}`);

    const usage = await run(process.execPath, [MAIN, 'score', input]).catch(
      (error: { code: number }) => error,
    );
    assert.equal((usage as { code: number }).code, 2, 'usage error without --model');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
