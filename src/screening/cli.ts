// `proviso train` and `proviso score` (registered in src/cli/screening.ts, which also adds
// the progress bar). Kept here so they run without the rest of the system:
// node src/screening/cli.ts train|score ...
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readFraudSimCsv } from './fraud-sim.ts';
import { ScreeningModel } from './model.ts';
import { scoreRows } from './screener.ts';
import { train } from './train.ts';

/** A progress display (the CLI passes a bar on stderr; tests pass nothing). */
export interface ProgressDisplay {
  update(done: number): void;
  stop(): void;
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly progress?: (label: string, total: number, unit: string) => ProgressDisplay;
}

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr };
const noProgress: ProgressDisplay = { update() {}, stop() {} };

function positiveNumber(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
  return value;
}

/** Progress over the bytes of the input file, in KiB (works for .gz too: compressed bytes). */
function fileProgress(io: CliIo, label: string) {
  let bar: ProgressDisplay | undefined;
  return {
    onBytes(read: number, total: number) {
      bar ??= io.progress?.(label, Math.ceil(total / 1024), 'KiB') ?? noProgress;
      bar.update(Math.floor(read / 1024));
    },
    stop() {
      bar?.stop();
    },
  };
}

export const TRAIN_USAGE =
  'proviso train INPUT.csv[.gz] --out MODEL [--label-delay 7] [--warmup-days 30] [--trees 300]';
export const SCORE_USAGE =
  'proviso score --model MODEL INPUT.csv[.gz] [--label-delay 7] [--out FILE]   (writes TRANSACTION_ID,score)';

/** proviso train INPUT.csv[.gz] --out MODEL.json [--label-delay 7] [--warmup-days 30] [--trees 300] */
export async function trainCommand(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'label-delay': { type: 'string' },
      'warmup-days': { type: 'string' },
      trees: { type: 'string' },
    },
  });
  const input = positionals[0];
  if (input === undefined || values.out === undefined) {
    io.stderr.write(`usage: ${TRAIN_USAGE}\n`);
    return 2;
  }
  const labelDelayDays = positiveNumber(values['label-delay'], 'label-delay', 7);
  const trees = positiveNumber(values.trees, 'trees', 300);
  const started = performance.now();
  const reading = fileProgress(io, 'featurising');
  let treeBar: ProgressDisplay | undefined;
  const model = await train(readFraudSimCsv(input, { onBytes: reading.onBytes }), {
    labelDelayDays,
    warmupDays: positiveNumber(values['warmup-days'], 'warmup-days', 30),
    params: { trees },
    progress: (done, total) => {
      if (treeBar === undefined) {
        reading.stop();
        treeBar = io.progress?.('training', total, 'trees') ?? noProgress;
      }
      treeBar.update(done);
    },
  });
  reading.stop();
  treeBar?.stop();
  writeFileSync(values.out, `${JSON.stringify(model)}\n`);
  const t = model.training;
  io.stderr.write(
    `trained on ${t.rows} rows (${t.frauds} frauds, genuine kept at rate ${t.negativeRate.toFixed(3)}) ` +
      `from ${t.from} to ${t.to}, label delay ${labelDelayDays} d, in ${((performance.now() - started) / 1000).toFixed(1)} s → ${values.out}\n`,
  );
  return 0;
}

/**
 * proviso score --model MODEL INPUT.csv[.gz] [--label-delay 7] [--out FILE]: TRANSACTION_ID,score
 * for every row, in time order; a row's own label is used only once it is older than the delay.
 */
export async function scoreCommand(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { model: { type: 'string' }, 'label-delay': { type: 'string' }, out: { type: 'string' } },
  });
  const input = positionals[0];
  if (input === undefined || values.model === undefined) {
    io.stderr.write(`usage: ${SCORE_USAGE}\n`);
    return 2;
  }
  const model = ScreeningModel.parse(readFileSync(values.model, 'utf8'));
  const labelDelayDays = positiveNumber(values['label-delay'], 'label-delay', 7);
  const file = values.out === undefined ? undefined : createWriteStream(values.out);
  const out: NodeJS.WritableStream = file ?? io.stdout;
  let buffer = 'TRANSACTION_ID,score\n';
  let rows = 0;
  const started = performance.now();
  const reading = fileProgress(io, 'reading');
  let scoring: ProgressDisplay | undefined;
  for await (const { transactionId, score } of scoreRows(
    readFraudSimCsv(input, { onBytes: reading.onBytes }),
    model,
    {
      labelDelayDays,
      onSorted: (total) => {
        reading.stop();
        scoring = io.progress?.('scoring', total, 'rows') ?? noProgress;
      },
    },
  )) {
    buffer += `${transactionId},${score}\n`;
    rows++;
    if (buffer.length > 1 << 16) {
      scoring?.update(rows);
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
  scoring?.update(rows);
  scoring?.stop();
  out.write(buffer);
  if (file !== undefined) await new Promise<void>((resolve) => file.end(() => resolve()));
  const seconds = (performance.now() - started) / 1000;
  io.stderr.write(`scored ${rows} rows in ${seconds.toFixed(1)} s (label delay ${labelDelayDays} d)\n`);
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'train') return trainCommand(rest);
  if (command === 'score') return scoreCommand(rest);
  process.stderr.write('usage: node src/screening/cli.ts train|score ...\n');
  return 2;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
