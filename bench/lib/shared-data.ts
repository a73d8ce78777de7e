// Large data sets the benchmarks read but the repository does not carry (fraud-sim is 16 MB):
// FRAUD_SIM_CSV, else $PROVISO_SHARED/data/…, else ../shared/data/… beside this checkout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function sharedDataPath(...parts: string[]): string {
  const dirs = [process.env['PROVISO_SHARED'], fileURLToPath(new URL('../../../shared', import.meta.url))];
  const paths = dirs.filter((d): d is string => Boolean(d)).map((d) => join(d, 'data', ...parts));
  const found = paths.find((p) => existsSync(p));
  if (found) return found;
  throw new Error(
    `${parts.join('/')} not found at ${paths.join(' or ')}; set PROVISO_SHARED to the folder that has data/${parts[0]}/`,
  );
}

/** The fraud-sim training file (gzipped CSV); throws with where it looked when absent. */
export function fraudSimCsv(): string {
  return process.env['FRAUD_SIM_CSV'] ?? sharedDataPath('fraud-sim', 'train.csv.gz');
}
