// Where the shared material (../shared: specs, test vectors, data sets) is: PROVISO_SHARED,
// else the folder next to this checkout, else /work/shared. Read in place, never copied in.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CANDIDATES = [
  process.env['PROVISO_SHARED'],
  fileURLToPath(new URL('../../../shared', import.meta.url)),
  '/work/shared',
].filter((p): p is string => Boolean(p));

export const SHARED_DIR = CANDIDATES.find((p) => existsSync(join(p, 'testvectors'))) ?? CANDIDATES.at(-1)!;

export const sharedPath = (...parts: string[]): string => join(SHARED_DIR, ...parts);
