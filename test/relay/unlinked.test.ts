// The bank ends a link (revoked at the bank): a signed `account_linking` webhook event ends
// the relay's link at once and pushes a notice over the device's open stream — no request
// from the device needed. Unsigned or wrongly signed events change nothing; a retry is a no-op.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { unlinkedEvent } from '../../src/gateway/relay-events.ts';
import type { RunningRelay } from '../../src/relay/index.ts';
import { storageBackends } from '../support/backends.ts';
import {
  BANK,
  linkDevice,
  postWebhook,
  registerDevice,
  relayDatabase,
  StreamClient,
  signBody,
  startTestRelay,
  type TestDevice,
} from './support.ts';

for (const backend of await storageBackends('relay unlink events')) {
  describe(`bank-ended links reach the device at once (${backend.name})`, () => {
    let db: Awaited<ReturnType<typeof relayDatabase>>;
    let relay: RunningRelay;
    let device: TestDevice;
    let other: TestDevice;

    before(async () => {
      db = await relayDatabase(backend);
      relay = await startTestRelay(db.database);
      device = await registerDevice(relay);
      other = await registerDevice(relay);
      await linkDevice(relay, device.id, { sub: 'sub-revoked', consent: 'c_revoked' });
      await linkDevice(relay, other.id, { sub: 'sub-kept', consent: 'c_kept' });
    });
    after(async () => {
      await relay?.close();
      await db?.dispose();
    });

    const status = async (d: TestDevice) =>
      (await relay.store.linksOf(d.id)).find((l) => l.bankId === BANK)?.status;

    it('refuses an unsigned or wrongly signed unlink and changes nothing', async () => {
      const body = JSON.stringify(unlinkedEvent(BANK, 'sub-revoked', 'c_revoked', 'revoked'));
      assert.equal((await postWebhook(relay, body)).status, 401);
      assert.equal(
        (await postWebhook(relay, body, { 'x-hub-signature-256': signBody(body, 'not-the-secret') })).status,
        403,
      );
      const bad = JSON.stringify({
        ...unlinkedEvent(BANK, 'sub-revoked', 'c_revoked', 'revoked'),
        entry: [
          { id: BANK, time: 1, messaging: [{ sender: { id: BANK }, recipient: { id: 'x' }, timestamp: 1 }] },
        ],
      });
      assert.equal((await postWebhook(relay, bad, { 'x-hub-signature-256': signBody(bad) })).status, 400);
      assert.equal(await status(device), 'active');
    });

    it('ends the link and pushes a notice over the open stream; a retry is a no-op', async () => {
      const stream = await StreamClient.connect(relay, device.token);
      const otherStream = await StreamClient.connect(relay, other.token);
      try {
        const body = JSON.stringify(unlinkedEvent(BANK, 'sub-revoked', 'c_revoked', 'revoked'));
        const res = await postWebhook(relay, body, { 'x-hub-signature-256': signBody(body) });
        assert.equal(res.status, 200, JSON.stringify(res.json));
        assert.equal(res.json['stored'], 1);
        const notice = await stream.waitFor((f) => f.type === 'message' && f.kind === 'notice', 15_000);
        assert.match(notice.text ?? '', /ended this chat's access/);
        assert.equal(notice.bank, BANK);
        assert.equal(await status(device), 'ended');
        assert.equal((await relay.store.linksOf(device.id))[0]?.endedReason, 'revoked-at-bank');
        // Another customer's link is untouched.
        assert.equal(await status(other), 'active');
        // Retried by the bank: nothing more ends, nothing more is sent.
        const again = await postWebhook(relay, body, { 'x-hub-signature-256': signBody(body) });
        assert.equal(again.status, 200);
        assert.equal(again.json['stored'], 0);
        assert.equal(otherStream.messages().length, 0);
      } finally {
        stream.ws.close();
        otherStream.ws.close();
      }
    });
  });
}
