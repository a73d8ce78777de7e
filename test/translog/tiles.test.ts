import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openCheckpoint } from '../../src/translog/cosigned.ts';
import { FormatError } from '../../src/translog/errors.ts';
import { signerFromPrivateKey } from '../../src/translog/keys.ts';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../../src/translog/merkle.ts';
import { formatNote, parseNote } from '../../src/translog/note.ts';
import { signNote } from '../../src/translog/sign.ts';
import {
  auditLogFromTiles,
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
  readEntries,
  type TileFetcher,
} from '../../src/translog/tile-client.ts';
import { decodeBundle, encodeBundle, parseTilePath, tilePath } from '../../src/translog/tiles.ts';
import { directoryFetcher } from './support/files.ts';
import { b64, readVector, VECTORS_DIR } from './support/vectors.ts';

describe('tile paths', () => {
  test('every vector formats and parses', async () => {
    const v = await readVector<{ cases: { level: number; n: number; width: number; path: string }[] }>(
      'generated/tile-paths.json',
    );
    assert.ok(v.cases.length >= 10);
    for (const c of v.cases) {
      assert.equal(tilePath({ level: c.level, index: c.n, width: c.width }), c.path);
      assert.deepEqual(parseTilePath(c.path), { level: c.level, index: c.n, width: c.width });
    }
  });
  test('non-canonical paths are rejected', () => {
    for (const bad of [
      'tile/0/x000/001',
      'tile/0/1',
      'tile/0/000.p/0',
      'tile/0/000.p/256',
      'tile/0/000.p/01',
      'tile/64/000',
      'tile/00/000',
      'tile/-1/000',
      'tile/entries/000.p/',
      'tile/0/000/',
    ]) {
      assert.throws(() => parseTilePath(bad), FormatError, bad);
    }
  });
  test('bundles round trip', () => {
    const entries = [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(65535)];
    assert.deepEqual(decodeBundle(encodeBundle(entries)), entries);
    assert.throws(() => encodeBundle([new Uint8Array(65536)]));
    assert.throws(() => decodeBundle(new Uint8Array([0, 5, 1])));
  });
});

async function checkpoints(dir: string): Promise<{ file: string; note: string }[]> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('checkpoint'));
  return Promise.all(files.map(async (file) => ({ file, note: await readFile(join(dir, file), 'utf8') })));
}

const LOGS = [
  {
    name: 'generated/log',
    dir: join(VECTORS_DIR, 'generated/log'),
    vkey: 'example.com/proviso-test-log+83b7a520+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c',
    entry: (i: number) => `entry-${i}`,
  },
  {
    name: 'tessera-posix-log/log',
    dir: join(VECTORS_DIR, 'tessera-posix-log/log'),
    vkey: 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx',
    entry: (i: number) =>
      'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(' ')[i]!,
  },
];

for (const log of LOGS) {
  describe(`reading ${log.name} from tiles alone`, () => {
    test('every published checkpoint: full audit, inclusion and consistency proofs from tiles', async () => {
      const fetch = directoryFetcher(log.dir);
      const opened = (await checkpoints(log.dir)).map(
        (c) => openCheckpoint(c.note, { logKeys: [log.vkey] }).checkpoint,
      );
      opened.sort((a, b) => a.size - b.size);
      assert.ok(opened.length >= 12);
      for (const cp of opened) {
        const entries = await auditLogFromTiles(fetch, cp.size, cp.root);
        assert.equal(entries.length, cp.size);
        for (const [i, e] of entries.entries()) assert.equal(Buffer.from(e).toString(), log.entry(i));
        for (const i of new Set([0, cp.size >> 1, cp.size - 1])) {
          if (i < 0 || i >= cp.size) continue;
          const proof = await proveInclusionFromTiles(fetch, i, cp.size);
          verifyInclusion(i, cp.size, hashLeaf(Buffer.from(log.entry(i))), proof, cp.root);
        }
      }
      for (let a = 0; a < opened.length; a++) {
        for (let b = a; b < opened.length; b++) {
          const x = opened[a]!;
          const y = opened[b]!;
          if (x.size === 0) continue;
          verifyConsistency(
            x.size,
            y.size,
            await proveConsistencyFromTiles(fetch, x.size, y.size),
            x.root,
            y.root,
          );
        }
      }
    });

    test('a flipped bit in a tile is detected', async () => {
      const real = directoryFetcher(log.dir);
      const cp = openCheckpoint(await readFile(join(log.dir, 'checkpoint'), 'utf8'), {
        logKeys: [log.vkey],
      }).checkpoint;
      const corrupt: TileFetcher = async (path) => {
        const bytes = await real(path);
        if (bytes && path.startsWith('tile/0/')) bytes[5]! ^= 1;
        return bytes;
      };
      await assert.rejects(auditLogFromTiles(corrupt, cp.size, cp.root));
      await assert.rejects(readEntries(corrupt, cp.size, 0, 1));
      const proof = await proveInclusionFromTiles(corrupt, cp.size - 1, cp.size);
      assert.throws(() =>
        verifyInclusion(cp.size - 1, cp.size, hashLeaf(Buffer.from(log.entry(cp.size - 1))), proof, cp.root),
      );
    });
  });
}

test('tile reads per inclusion proof are O(log n): at most one tile per level plus the right edge', async () => {
  const fetched: string[] = [];
  const fetch = directoryFetcher(LOGS[0]!.dir, (p) => fetched.push(p));
  await proveInclusionFromTiles(fetch, 3, 1000);
  assert.ok(fetched.length <= 4, fetched.join(' '));
});

test('the Tessera checkpoints are reproduced byte for byte with its test key', async () => {
  const signer = signerFromPrivateKey(
    'PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg',
  );
  const all = await checkpoints(LOGS[1]!.dir);
  assert.equal(all.length, 17);
  for (const c of all) {
    assert.equal(formatNote(await signNote(parseNote(c.note).text, [signer])), c.note, c.file);
  }
  assert.ok(b64('AA==').length === 1);
});
