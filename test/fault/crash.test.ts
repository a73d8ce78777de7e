// Crash test (issue 11): the gateway is killed with SIGKILL at each fault point of a release
// — between the log append and its audit row, before COMMIT, after COMMIT before the answer,
// after a checkpoint is signed before the witness is asked — restarted, and checked: no
// acknowledged release lost, none duplicated, every entry with its audit row, every
// checkpoint consistent and the full `verify` passing. Both backends. `npm run fault` runs
// more cycles of the same.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FAULT_POINTS } from '../../src/translog/index.ts';
import { createPostgresDatabase, storageBackends } from '../support/backends.ts';
import { crashCycle, type Storage } from './cycle.ts';

// Which occurrence of the point kills the child: late enough that releases were acknowledged.
const AT: Record<(typeof FAULT_POINTS)[number], number> = {
  'after-log-append': 7,
  'before-commit': 9,
  'after-commit': 11,
  'after-checkpoint-signed': 4,
};

for (const backend of await storageBackends('crash test')) {
  describe(`kill -9 during releases on ${backend.name}`, () => {
    let storage: Storage;
    let drop: (() => Promise<void>) | undefined;
    let root: string;
    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'proviso-fault-'));
      const created = backend.name === 'postgres' ? await createPostgresDatabase() : undefined;
      drop = created?.drop;
      storage = {
        dataDir: join(root, 'data'),
        verifierDir: join(root, 'verifier'),
        ...(created ? { databaseUrl: created.url } : {}),
      };
    });
    after(async () => {
      await drop?.();
      rmSync(root, { recursive: true, force: true });
    });

    for (const point of FAULT_POINTS) {
      test(`killed at ${point}: nothing acknowledged lost, nothing duplicated, checkpoints consistent`, async () => {
        const result = await crashCycle(storage, point, AT[point], point);
        assert.ok(result.acked > 0, 'the child acknowledged releases before it died');
        assert.equal(result.lost, 0);
        assert.equal(result.duplicated, 0);
        assert.ok(result.logged >= result.acked);
        assert.ok(result.verified);
      });
    }
  });
}
