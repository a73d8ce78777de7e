// A progress bar on stderr for long work (seeding, replays, benchmarks); plain lines when
// stderr is not a terminal, so CI logs stay readable.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

export function progressBar(label: string, total: number, unit = 'items'): Progress {
  if (!process.stderr.isTTY) {
    let lastPercent = -1;
    return {
      update(done) {
        const percent = Math.floor((done / total) * 10) * 10;
        if (percent !== lastPercent) {
          lastPercent = percent;
          process.stderr.write(`${label}: ${done}/${total} ${unit} (${percent}%)\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | eta {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  bar.start(total, 0, { rate: 0 });
  return {
    update(done, extra = {}) {
      bar.update(done, { rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)), ...extra });
    },
    stop() {
      bar.stop();
    },
  };
}
