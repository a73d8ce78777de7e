// Delivery over the WebSocket stream: receipts, redelivery after reconnect, survival across
// a relay restart, and fan-out across two relay instances on one database (LISTEN/NOTIFY).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningRelay } from '../../src/relay/index.ts';
import { openDatabase } from '../../src/storage/index.ts';
import { storageBackends } from '../support/backends.ts';
import {
  linkDevice,
  pushSigned,
  registerDevice,
  relayDatabase,
  StreamClient,
  sealFor,
  startTestRelay,
  type TestBank,
  type TestDevice,
  testBank,
} from './support.ts';

for (const backend of await storageBackends('relay delivery')) {
  describe(`relay delivery (${backend.name})`, () => {
    let db: Awaited<ReturnType<typeof relayDatabase>>;
    let relay: RunningRelay;
    let bank: TestBank;
    let device: TestDevice;
    let n = 0;
    const push = async (r: RunningRelay, d: TestDevice, sub: string) => {
      const envelope = sealFor(bank, d, { n: ++n });
      const res = await pushSigned(r, [{ sub, mid: `mid-${n}`, envelope }]);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      return envelope;
    };

    before(async () => {
      db = await relayDatabase(backend);
      relay = await startTestRelay(db.database);
      bank = testBank();
      device = await registerDevice(relay);
      await linkDevice(relay, device.id, { sub: 'sub-a' });
    });
    after(async () => {
      await relay?.close();
      await db?.dispose();
    });

    it('refuses a stream without a valid hello', async () => {
      const c = await StreamClient.connect(relay, undefined);
      c.ws.send(JSON.stringify({ type: 'hello', token: 'dev_not-a-real-token-xxxxxxxx' }));
      await c.waitFor(() => c.closed).catch(() => {});
      assert.equal(c.closeCode, 4401);
    });

    it('pushes to a connected device; acks are receipts; nothing acked comes back', async () => {
      const c = await StreamClient.connect(relay, device.token);
      const envelope = await push(relay, device, 'sub-a');
      const [m] = await c.waitForMessages(1);
      assert.equal(m?.envelope, envelope);
      assert.equal(m?.kind, 'envelope');
      assert.equal(m?.bank, 'northwind');
      await c.ack([m!.id!]);
      await c.close();
      const again = await StreamClient.connect(relay, device.token);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(again.messages().length, 0);
      await again.close();
      const row = await db.database
        .tables<{ relay_message: { id: string; envelope: string | null; acked_at: Date | null } }>()
        .selectFrom('relay_message')
        .selectAll()
        .where('id', '=', m!.id!)
        .executeTakeFirstOrThrow();
      assert.ok(row.acked_at, 'receipt recorded');
      assert.equal(row.envelope, null, 'ciphertext dropped once delivered');
    });

    it('redelivers everything unacked, in order, when the device reconnects', async () => {
      const c = await StreamClient.connect(relay, device.token);
      const e1 = await push(relay, device, 'sub-a');
      const [first] = await c.waitForMessages(1);
      await c.close(); // delivered, never acknowledged
      const e2 = await push(relay, device, 'sub-a'); // while offline
      const e3 = await push(relay, device, 'sub-a');
      const back = await StreamClient.connect(relay, device.token);
      const got = await back.waitForMessages(3);
      assert.deepEqual(
        got.map((f) => f.envelope),
        [e1, e2, e3],
      );
      assert.equal(got[0]?.id, first?.id, 'same message id on redelivery');
      await back.ack(got.map((f) => f.id!));
      await back.close();
    });

    it('keeps undelivered messages across a relay restart', async () => {
      const e = await push(relay, device, 'sub-a'); // nobody connected
      await relay.close();
      relay = await startTestRelay(db.database);
      const c = await StreamClient.connect(relay, device.token);
      const [m] = await c.waitForMessages(1);
      assert.equal(m?.envelope, e);
      await c.ack([m!.id!]);
      await c.close();
    });

    it('delivers through another relay instance on the same database', async () => {
      // On PostgreSQL a truly separate instance: its own pool and LISTEN connection.
      const own = db.url ? await openDatabase({ url: db.url }) : undefined;
      const second = await startTestRelay(own ?? db.database);
      try {
        const c = await StreamClient.connect(second, device.token);
        const e = await push(relay, device, 'sub-a'); // webhook on the first instance
        const [m] = await c.waitForMessages(1);
        assert.equal(m?.envelope, e);
        await c.ack([m!.id!]);
        await c.close();
      } finally {
        await second.close();
        await own?.close();
      }
    });

    it('delivers to every device of the same customer holding the recipient key only', async () => {
      const other = await registerDevice(relay);
      await linkDevice(relay, other.id, { sub: 'sub-a' });
      const c1 = await StreamClient.connect(relay, device.token);
      const c2 = await StreamClient.connect(relay, other.token);
      const e = await push(relay, other, 'sub-a');
      const [m] = await c2.waitForMessages(1);
      assert.equal(m?.envelope, e);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(c1.messages().length, 0, 'the other device cannot open it, so it does not get it');
      await c2.ack([m!.id!]);
      await Promise.all([c1.close(), c2.close()]);
    });
  });
}
