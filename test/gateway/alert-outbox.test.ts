// The card processor's ingest answers once screening is durable, not once the relay took the
// push: with the relay holding its answer, ingest has answered (alert id and all) while the
// relay has not; the relay then refuses (HTTP 500) and the push is retried by the outbox
// until it takes it, sealed to the consent's device key; the alert is then marked delivered.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  exportX25519PublicKey,
  generateHpkeKeyPair,
  type JsonWebKeySet,
  openEnvelope,
  toBase64Url,
} from '../../src/seal/index.ts';
import { raiseFraud } from '../e2e/chat-support.ts';
import { storageBackends } from '../support/backends.ts';
import { linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

/** A relay whose answers wait until the test says which status to give. */
class HeldRelay {
  readonly bodies: string[] = [];
  answered = 0;
  readonly #held: { res: ServerResponse }[] = [];
  readonly #server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      this.bodies.push(body);
      this.#held.push({ res });
    });
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/webhook`;
  }
  /** Waits for a held request and answers it with `status`. */
  async answerNext(status: number): Promise<string> {
    await until(() => this.#held.length > 0, 'a push at the relay');
    const { res } = this.#held.shift()!;
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    this.answered++;
    return this.bodies[this.answered - 1]!;
  }
  close(): Promise<void> {
    for (const { res } of this.#held.splice(0)) res.destroy();
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const backend of await storageBackends('alert push through the outbox')) {
  describe(`alert push through the outbox on ${backend.name}`, () => {
    let t: TestGateway;
    const relay = new HeldRelay();
    let device: CryptoKeyPair;
    let consentId: string;
    before(async () => {
      t = await startTestGateway(backend, 2);
      await relay.start();
      t.gw.connectRelay({ url: relay.url, secret: () => 'app-secret' });
      device = await generateHpkeKeyPair();
      const linked = await linkCustomer(t, {
        purposes: ['fraud_alerts'],
        clusters: ['transactions'],
        deviceKey: toBase64Url(await exportX25519PublicKey(device.publicKey)),
      });
      consentId = linked.link.consentId;
    });
    after(async () => {
      await relay.close();
      await t?.close();
    });

    test('ingest answers while the relay holds; a refused push is retried and delivered sealed', async () => {
      const core = t.gw.core('northwind');
      const demo = (await core.customerByUsername('demo'))!;
      // The card's usual payments, then a big-ticket one (the helper asserts the alert id is in
      // the ingest answer: ingest answered).
      const { alertId } = await raiseFraud({ t }, 'outbox-');
      // Ingest has answered, and the relay has answered nothing yet.
      assert.equal(relay.answered, 0);
      assert.equal((await t.gw.screening.alert(alertId))?.delivery, 'bank-queue');

      // The relay refuses twice; the outbox tries again each time.
      const first = await relay.answerNext(500);
      await relay.answerNext(500);
      const taken = await relay.answerNext(200);
      assert.equal(taken, first, 'the same signed push, retried');
      await until(
        async () => (await t.gw.screening.alert(alertId))?.delivery === 'device',
        'the alert marked delivered',
      );
      const event = JSON.parse(taken).entry[0].messaging[0];
      assert.equal(event.message.mid, `alert-${alertId}`);
      const jwks = (await (await fetch(`${t.gw.url}/banks/northwind/jwks.json`)).json()) as JsonWebKeySet;
      const opened = await openEnvelope<{ alert_id: string; merchant: string }>(event.message.envelope, {
        deviceKey: device,
        bankKeys: jwks,
        expect: { bankId: 'northwind', consentCommitment: consentId },
      });
      assert.equal(opened.payload.alert_id, alertId);
      assert.equal(opened.payload.merchant, 'Electro Outlet Online');
      assert.ok(!taken.includes('2499'), 'the amount is sealed, not in the clear');
      // Prepared and logged once, however many times the push was retried.
      const raised = (await t.gw.audit.history('northwind', demo.id)).filter(
        (h) => h.kind === 'alert.raised',
      );
      assert.equal(raised.length, 1);
    });
  });
}
