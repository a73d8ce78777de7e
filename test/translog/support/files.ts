import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TileFetcher } from '../../../src/translog/tile-client.ts';

/** A TileFetcher over a tlog-tiles directory on disk. */
export function directoryFetcher(dir: string, onFetch?: (path: string) => void): TileFetcher {
  return async (path) => {
    onFetch?.(path);
    try {
      return new Uint8Array(await readFile(join(dir, path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
}
