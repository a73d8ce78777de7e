// `proviso train` and `proviso score`. The lead wires these into src/cli; until then this
// file runs on its own: node src/screening/cli.ts train|score ...
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readFraudSimCsv } from './fraud-sim.ts';
import { ScreeningModel } from './model.ts';
import { scoreRows } from './screener.ts';
import { train } from './train.ts';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

function positiveNumber(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
  return value;
}

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
    io.stderr.write(
      'usage: proviso train INPUT.csv --out MODEL [--label-delay 7] [--warmup-days 30] [--trees 300]\n',
    );
    return 2;
  }
  const labelDelayDays = positiveNumber(values['label-delay'], 'label-delay', 7);
  const started = performance.now();
  const model = await train(readFraudSimCsv(input), {
    labelDelayDays,
    warmupDays: positiveNumber(values['warmup-days'], 'warmup-days', 30),
    params: { trees: positiveNumber(values.trees, 'trees', 300) },
    progress: (done, total) => {
      if (done % 50 === 0 || done === total) io.stderr.write(`\rtrees ${done}/${total}`);
    },
  });
  writeFileSync(values.out, `${JSON.stringify(model)}\n`);
  const t = model.training;
  io.stderr.write(
    `\ntrained on ${t.rows} rows (${t.frauds} frauds, genuine kept at rate ${t.negativeRate.toFixed(3)}) ` +
      `from ${t.from} to ${t.to}, label delay ${labelDelayDays} d, in ${((performance.now() - started) / 1000).toFixed(1)} s → ${values.out}\n`,
  );
  return 0;
}

/** proviso score --model MODEL INPUT.csv[.gz] [--label-delay 7] [--out FILE]: TRANSACTION_ID,score per row */
export async function scoreCommand(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { model: { type: 'string' }, 'label-delay': { type: 'string' }, out: { type: 'string' } },
  });
  const input = positionals[0];
  if (input === undefined || values.model === undefined) {
    io.stderr.write('usage: proviso score --model MODEL INPUT.csv [--label-delay 7] [--out FILE]\n');
    return 2;
  }
  const model = ScreeningModel.parse(readFileSync(values.model, 'utf8'));
  const labelDelayDays = positiveNumber(values['label-delay'], 'label-delay', 7);
  const file = values.out === undefined ? undefined : createWriteStream(values.out);
  const out: NodeJS.WritableStream = file ?? io.stdout;
  let buffer = 'TRANSACTION_ID,score\n';
  let rows = 0;
  const started = performance.now();
  for await (const { transactionId, score } of scoreRows(readFraudSimCsv(input), model, { labelDelayDays })) {
    buffer += `${transactionId},${score}\n`;
    rows++;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
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
