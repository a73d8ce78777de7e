// Fixtures the suite needs are in the repository (test/fixtures/). Only large optional data
// sets stay outside it: `$PROVISO_SHARED/data/…`, else `../shared/data/…` beside this
// checkout. A test that needs one skips (counted by node:test) with optionalDataSkip's reason.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file of the repository's own test fixtures (test/fixtures/…). */
export const fixturePath = (...parts: string[]): string =>
  join(fileURLToPath(new URL('../fixtures/', import.meta.url)), ...parts);

const SHARED_CANDIDATES = [
  process.env['PROVISO_SHARED'],
  fileURLToPath(new URL('../../../shared', import.meta.url)),
].filter((p): p is string => Boolean(p));

/** Where an optional data set would be: the first candidate that has it, else the first candidate. */
export function optionalDataPath(...parts: string[]): string {
  const paths = SHARED_CANDIDATES.map((dir) => join(dir, 'data', ...parts));
  return paths.find((p) => existsSync(p)) ?? paths[0]!;
}

/** false when the file exists; else the skip reason node:test prints and counts. */
export function optionalDataSkip(path: string, name: string, variable = 'PROVISO_SHARED'): string | false {
  return existsSync(path)
    ? false
    : `${name} data not found at ${path}; set ${variable} to the folder that has data/${name}/ to run this test`;
}
