import assert from 'node:assert/strict';
import { sign, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BankDirectory } from '../../src/bank/index.ts';
import { KeyEncryptionKey, KeyStore, REQUIRED_KEYS } from '../../src/keys/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';

test('the KEK refuses a sealed key opened under another context or key', () => {
  const kek = KeyEncryptionKey.generate();
  const sealed = kek.seal(Buffer.from('private key bytes'), 'kid-1');
  assert.equal(kek.open(sealed, 'kid-1').toString(), 'private key bytes');
  assert.throws(() => kek.open(sealed, 'kid-2'));
  assert.throws(() => KeyEncryptionKey.generate().open(sealed, 'kid-1'));
});

test('PROVISO_KEK must be 32 bytes', () => {
  assert.throws(() => KeyEncryptionKey.load({ PROVISO_KEK: 'c2hvcnQ' }, '/nonexistent'), /32 bytes/);
});

for (const backend of await storageBackends('key store')) {
  describe(`key store on ${backend.name}`, () => {
    let t: TestDatabase;
    let store: KeyStore;
    before(async () => {
      t = await backend.open();
      await new BankDirectory(t.database).ensure({ id: 'bank-a', name: 'A' });
      await new BankDirectory(t.database).ensure({ id: 'bank-b', name: 'B' });
      store = new KeyStore(t.database, KeyEncryptionKey.generate());
      await store.ensureKeys('bank-a');
      await store.ensureKeys('bank-b');
    });
    after(() => t.dispose());

    test('each bank has its own Ed25519, P-256, log and sealing keys; ensureKeys is idempotent', async () => {
      await store.ensureKeys('bank-a');
      const a = await store.list('bank-a');
      const b = await store.list('bank-b');
      assert.equal(a.length, REQUIRED_KEYS.length);
      assert.deepEqual(
        new Set(a.map((k) => `${k.purpose}/${k.alg}`)),
        new Set(REQUIRED_KEYS.map((k) => `${k.purpose}/${k.alg}`)),
      );
      assert.equal(
        new Set([...a, ...b].map((k) => k.kid)).size,
        a.length + b.length,
        'no key shared between banks',
      );
    });

    test('private keys are stored sealed, not in the clear', async () => {
      const active = await store.active('bank-a', 'sign', 'EdDSA');
      const der = active.privateKey.export({ format: 'der', type: 'pkcs8' });
      const rows = await t.database
        .tables<{ bank_key: { private_sealed: Uint8Array; kid: string } }>()
        .selectFrom('bank_key')
        .select(['private_sealed'])
        .where('kid', '=', active.kid)
        .execute();
      const stored = Buffer.from(rows[0]!.private_sealed);
      assert.ok(!stored.includes(der.subarray(-32)), 'raw key bytes found in the database');
    });

    test('rotation retires the old key, signs with the new one, and keeps the old one verifiable', async () => {
      const before = await store.active('bank-a', 'sign', 'ES256');
      const message = Buffer.from('consent receipt');
      const oldSig = sign('sha256', message, before.privateKey);
      const rotated = await store.rotate('bank-a', 'sign', 'ES256');
      const now = await store.active('bank-a', 'sign', 'ES256');
      assert.notEqual(now.kid, before.kid);
      assert.equal(now.kid, rotated.kid);
      const listed = await store.list('bank-a');
      assert.equal(listed.find((k) => k.kid === before.kid)?.status, 'retired');
      const jwks = await store.jwks('bank-a');
      assert.ok(
        jwks.keys.some((k) => k.kid === before.kid),
        'retired key still published',
      );
      assert.ok(verify('sha256', message, before.publicKey, oldSig));
    });
  });
}
