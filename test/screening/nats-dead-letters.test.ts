// NATS screening never stalls (issue 11, point 1), on the real server the project runs
// against (Debian nats-server 2.9, which ignores a terminate with a reason): more bad
// messages than the consumer's max_ack_pending, then good ones. Every good one is screened,
// every bad one is recorded once as a dead letter and acked, and the bank reads them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../src/http/index.ts';
import {
  AUTHORISATION_STREAM,
  type AuthorisationEvent,
  authorisationSubject,
  natsPublisher,
  ScreeningModel,
  ScreeningService,
  screeningRoutes,
  startNatsIngest,
  train,
} from '../../src/screening/index.ts';
import { storageBackends } from '../support/backends.ts';
import { cleanNats, NATS_URL, waitFor } from './nats-helpers.ts';
import { syntheticRows } from './synthetic.ts';

const history = syntheticRows({ days: 20 });
const model = new ScreeningModel(await train(history, { warmupDays: 5, params: { trees: 10 } }));
const MAX_ACK_PENDING = 8;

for (const backend of await storageBackends('NATS dead letters')) {
  describe(`NATS dead letters on ${backend.name}`, () => {
    test('more bad messages than max_ack_pending, then good ones: every good one is screened, every bad one recorded once', async () => {
      const bankId = `t-${randomBytes(5).toString('hex')}`;
      const durable = `dl-${bankId}`;
      const db = await backend.open();
      const registry = new Registry();
      const service = new ScreeningService({ database: db.database, model });
      const ingest = await startNatsIngest({
        servers: NATS_URL,
        bankIds: [bankId],
        service,
        durable,
        registry,
        maxInFlight: MAX_ACK_PENDING,
        // Short: an unacked message would be back within the test.
        ackWaitSeconds: 1,
      });
      const publisher = await natsPublisher(NATS_URL);
      const nc = await connect({ servers: NATS_URL });
      try {
        const good: AuthorisationEvent[] = history
          .slice(0, 60)
          .map((row) => ({ ...row.event, bankId, merchantName: `Shop ${bankId} ${row.event.terminalId}` }));
        const template = JSON.stringify(good[0]);
        const subject = authorisationSubject(bankId);
        const bad: string[] = [];
        for (let i = 0; i < 5 * MAX_ACK_PENDING; i++) {
          const kinds = [
            'not json',
            '42',
            '["an", "array"]',
            `{"__proto__": {"x": 1}, ${template.slice(1)}`,
            template.replace('"amount":"', '"amount":"-'),
            JSON.stringify({ ...good[0], transactionId: `nul-${i}`, merchantName: 'a\u0000b' }),
            JSON.stringify({ ...good[0], transactionId: `sur-${i}`, terminalId: 'T' }).replace(
              '"T"',
              '"\\udc00"',
            ),
            JSON.stringify({ ...good[0], transactionId: `big-${i}`, amount: '12345678901234567890' }),
          ];
          bad.push(kinds[i % kinds.length]!);
        }
        for (const payload of bad) nc.publish(subject, payload);
        await nc.flush();
        for (const event of good) await publisher.publish(bankId, event);

        await waitFor(
          'every good event screened',
          async () => (await service.counts(bankId)).events === good.length,
          120_000,
        );
        await waitFor(
          'every bad message recorded',
          async () => (await service.deadLetters.count(bankId)) === bad.length,
          60_000,
        );
        // Every message acknowledged: nothing pending, nothing waiting to come back.
        const jsm = await jetstreamManager(nc);
        await waitFor('nothing pending on the consumer', async () => {
          const info = await jsm.consumers.info(AUTHORISATION_STREAM, `${durable}-${bankId}`);
          return info.num_ack_pending === 0 && info.num_pending === 0;
        });
        assert.equal(await service.deadLetters.count(bankId), bad.length, 'each bad message recorded once');

        const metrics = await registry.metrics();
        assert.match(
          metrics,
          /proviso_screening_dead_letters_total\{source="nats",reason="malformed_json"\} 5/,
        );
        assert.match(
          metrics,
          /proviso_screening_dead_letters_total\{source="nats",reason="invalid_text"\} 10/,
        );
        assert.match(
          metrics,
          /proviso_screening_dead_letters_total\{source="nats",reason="forbidden_key"\} 5/,
        );

        // The bank reads its dead letters over its authenticated API.
        const key = randomBytes(12).toString('hex');
        const app = await createHttpApp({ title: 't', version: '0', description: 't', logLevel: false });
        await app.register(screeningRoutes, { service, ingestKeys: new Map([[bankId, key]]) });
        await app.ready();
        try {
          const url = `/banks/${bankId}/screening/dead-letters?limit=30`;
          const anonymous = await app.inject({ method: 'GET', url });
          assert.equal(anonymous.statusCode, 401);
          const page = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
          assert.equal(page.statusCode, 200, page.body);
          const body = page.json();
          assert.equal(body.total, bad.length);
          assert.equal(body.deadLetters.length, 30);
          const letter = body.deadLetters.find((l: { reason: string }) => l.reason === 'negative_amount');
          assert.equal(letter.subject, subject);
          assert.equal(letter.payloadStored, true);
          assert.match(letter.payloadSha256, /^[0-9a-f]{64}$/);
          assert.ok(!page.body.includes(`Shop ${bankId}`), 'the API never shows a payload');
          const rest = await app.inject({
            method: 'GET',
            url: `/banks/${bankId}/screening/dead-letters?before=${body.next}`,
            headers: { authorization: `Bearer ${key}` },
          });
          assert.equal(rest.json().deadLetters.length, bad.length - 30);
          assert.equal(rest.json().next, null);
        } finally {
          await app.close();
        }
      } finally {
        await ingest.close();
        await publisher.close();
        await nc.close();
        await db.dispose();
        await cleanNats(bankId, [`${durable}-${bankId}`]);
      }
    });
  });
}
