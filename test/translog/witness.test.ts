import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHttpApp } from '../../src/http/index.ts';
import { openCheckpoint } from '../../src/translog/cosigned.ts';
import { noteVerifier, SIG_COSIGNATURE_V1, signerFromPrivateKey } from '../../src/translog/keys.ts';
import { formatNote, openNote, parseNote } from '../../src/translog/note.ts';
import { signNote } from '../../src/translog/sign.ts';
import { createWitness } from '../../src/translog/witness.ts';
import { witnessRoutes } from '../../src/translog/witness-http.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { LOG_SKEY, LOG_VKEY, ORIGIN, W1_SKEY, W1_VKEY } from './support/log.ts';
import { b64, readVector } from './support/vectors.ts';

interface WitnessCase {
  name: string;
  stored_size: number;
  stored_root?: string;
  body: string;
  status: number;
}

for (const backend of await storageBackends('translog witness')) {
  describe(`witness on ${backend.name}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await backend.open();
    });
    after(() => t.dispose());

    test('add-checkpoint vectors: status, stored state, cosignature', async () => {
      const v = await readVector<{ cases: WitnessCase[] }>('generated/witness-add-checkpoint.json');
      assert.equal(v.cases.length, 13);
      const db = t.database.tables<{
        translog_witness_state: {
          witness: string;
          origin: string;
          size: number;
          root: Uint8Array;
          note: string;
        };
      }>();
      for (const [i, c] of v.cases.entries()) {
        const witness = createWitness(t.database, {
          cosigner: signerFromPrivateKey(W1_SKEY, SIG_COSIGNATURE_V1),
          logs: [{ origin: ORIGIN, verifierKeys: [LOG_VKEY] }],
          now: () => 1700000100n,
        });
        await db.deleteFrom('translog_witness_state').execute();
        if (c.stored_size > 0) {
          await db
            .insertInto('translog_witness_state')
            .values({
              witness: witness.name,
              origin: ORIGIN,
              size: c.stored_size,
              root: b64(c.stored_root!),
              note: 'seed',
            })
            .execute();
        }
        const result = await witness.addCheckpoint(c.body);
        assert.equal(result.status, c.status, `${i} ${c.name}: ${JSON.stringify(result)}`);
        const state = await witness.state(ORIGIN);
        if (result.status === 200) {
          const checkpointNote = c.body.slice(c.body.indexOf('\n\n') + 2);
          const cp = openCheckpoint(checkpointNote, { logKeys: [LOG_VKEY] }).checkpoint;
          assert.equal(state?.size, cp.size);
          const cosigned = parseNote(`${parseNote(checkpointNote).text}\n${result.signatures}`);
          const opened = openNote(cosigned, [noteVerifier(W1_VKEY)]);
          assert.equal(opened.verified.length, 1);
        } else {
          // Refusals leave the state as it was.
          assert.equal(state?.size ?? 0, c.stored_size, c.name);
          if (result.status === 409) assert.equal(result.size, c.stored_size);
        }
      }
    });

    test('HTTP: 200 lines, 409 text/x.tlog.size, problem documents for refusals', async () => {
      const v = await readVector<{ cases: WitnessCase[] }>('generated/witness-add-checkpoint.json');
      const witness = createWitness(t.database, {
        cosigner: signerFromPrivateKey(W1_SKEY, SIG_COSIGNATURE_V1),
        logs: [{ origin: ORIGIN, verifierKeys: [LOG_VKEY] }],
      });
      const db = t.database.tables<{ translog_witness_state: { witness: string } }>();
      await db.deleteFrom('translog_witness_state').execute();
      const app = await createHttpApp({ title: 't', version: '0', description: 't', logLevel: false });
      await app.register(witnessRoutes, { witness, prefix: '/witness' });
      const post = (body: string) =>
        app.inject({
          method: 'POST',
          url: '/witness/add-checkpoint',
          body,
          headers: { 'content-type': 'text/plain' },
        });
      const first = v.cases.find((c) => c.name === 'first-checkpoint-old-0')!;
      const ok = await post(first.body);
      assert.equal(ok.statusCode, 200);
      assert.match(ok.body, /^— witness\.example\/w1 [A-Za-z0-9+/=]{104}\n$/);
      // A log unsure of the witness's size sends `old 0` and learns it from the 409 body.
      const conflict = await post(first.body);
      assert.equal(conflict.statusCode, 409);
      assert.equal(conflict.headers['content-type'], 'text/x.tlog.size');
      assert.equal(conflict.body, '8\n');
      for (const [name, status] of [
        ['unknown-origin', 404],
        ['impostor-signature-only', 403],
        ['same-size-different-root', 422],
      ] as const) {
        let body = v.cases.find((c) => c.name === name)!.body;
        if (name === 'same-size-different-root') {
          // A validly signed second tree of size 8: the fork a witness exists to refuse.
          const fork = await signNote(`${ORIGIN}\n8\nkTlgHMHKirKnoMLBNMBIRfKxulSag9bIRc/NpDnMWF0=\n`, [
            signerFromPrivateKey(LOG_SKEY),
          ]);
          body = `old 8\n\n${formatNote(fork)}`;
        }
        const res = await post(body);
        assert.equal(res.statusCode, status, name);
        assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
        const doc = res.json();
        assert.equal(doc.status, status);
        assert.match(doc.type, /^urn:proviso:problem:witness-/);
      }
      const [newest] = await witness.refusals(ORIGIN);
      assert.match(newest!.note, /kTlgHMHK/, 'the fork is kept as evidence');
      const garbage = await post('hello');
      assert.equal(garbage.statusCode, 400);
      await app.close();
    });
  });
}
