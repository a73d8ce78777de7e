import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../src/http/index.ts';
import {
  type AuthorisationEvent,
  authorisationSubject,
  natsPublisher,
  parseBankKeys,
  ScreeningModel,
  ScreeningService,
  screeningRoutes,
  secretMatches,
  startNatsIngest,
  train,
} from '../../src/screening/index.ts';
import { openDatabase } from '../../src/storage/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { cleanNats, NATS_URL, waitFor } from './nats-helpers.ts';
import { syntheticRows } from './synthetic.ts';

const history = syntheticRows({ days: 30 });
const model = new ScreeningModel(await train(history, { warmupDays: 5, params: { trees: 20 } }));
const eventsFor = (bankId: string, count: number): AuthorisationEvent[] =>
  history.slice(0, count).map((row) => ({ ...row.event, bankId }));
const uniqueBank = () => `t-${randomBytes(5).toString('hex')}`;

test('ingest keys parse and compare in constant time', () => {
  const keys = parseBankKeys('alpha-bank:k1, beta-bank:k:2');
  assert.equal(keys.get('alpha-bank'), 'k1');
  assert.equal(keys.get('beta-bank'), 'k:2');
  assert.throws(() => parseBankKeys('nokey'), /bank:key/);
  assert.equal(secretMatches('k1', 'k1'), true);
  assert.equal(secretMatches('k1', 'k2'), false);
  assert.equal(secretMatches('', undefined), false);
  assert.equal(secretMatches('k1x', 'k1'), false);
});

for (const backend of await storageBackends('screening ingest')) {
  describe(`screening ingest on ${backend.name}`, () => {
    let db: TestDatabase;
    let app: FastifyInstance;
    let service: ScreeningService;
    const bank = 'http-bank';
    const key = randomBytes(16).toString('hex');
    before(async () => {
      db = await backend.open();
      service = new ScreeningService({ database: db.database, model });
      app = await createHttpApp({ title: 't', version: '0', description: 't', logLevel: false });
      await app.register(screeningRoutes, {
        service,
        ingestKeys: new Map([
          [bank, key],
          ['other-bank', 'other-key'],
        ]),
        maxBatch: 20,
      });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await db.dispose();
    });

    const post = (body: unknown, bearer: string | null = key, bankId = bank) =>
      app.inject({
        method: 'POST',
        url: `/banks/${bankId}/screening/authorisations`,
        headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` },
        payload: body as object,
      });

    test('the HTTP ingest authenticates each bank with its own key', async () => {
      const events = eventsFor(bank, 1);
      for (const [bearer, bankId] of [
        [null, bank],
        ['wrong', bank],
        ['other-key', bank],
        [key, 'other-bank'],
        [key, 'unknown-bank'],
      ] as const) {
        const response = await post({ events }, bearer, bankId);
        assert.equal(response.statusCode, 401, `${bearer} → ${bankId}`);
        assert.equal(response.json().type, 'urn:proviso:problem:ingest-unauthorized');
        assert.match(response.headers['content-type'] as string, /application\/problem\+json/);
      }
    });

    test('a batch with bad events screens the good ones and names every error; rejections are counted', async () => {
      const [a, b] = eventsFor(bank, 12).slice(10);
      const { amount: _amount, ...noAmount } = { ...a!, transactionId: 'bad-1' };
      const response = await post({
        events: [
          a,
          noAmount,
          { ...a!, transactionId: 'bad-2', currency: 'eur' },
          { ...a!, transactionId: 'bad-3', amount: '-1.00' },
          { ...a!, transactionId: 'bad-4', time: 'yesterday' },
          { ...a!, transactionId: 'bad-5', surprise: 1 },
          b,
          a,
        ],
      });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.equal(body.screened, 2);
      assert.equal(body.duplicates, 1);
      assert.equal(body.rejected, 5);
      assert.deepEqual(
        body.results.map((r: { status: string; errors?: { field: string; code: string }[] }) =>
          r.status === 'rejected' ? r.errors!.map((e) => `${e.field}:${e.code}`).join() : r.status,
        ),
        [
          'screened',
          'amount:missing',
          'currency:format',
          'amount:negative_amount',
          'time:format',
          'surprise:unknown_field',
          'screened',
          'duplicate',
        ],
      );
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      assert.match(
        metrics.body,
        /proviso_screening_events_rejected_total\{source="http",code="negative_amount"\} 1/,
      );
      assert.match(metrics.body, /proviso_screening_events_total\{source="http",outcome="screened"\} 2/);
    });

    test('the bank chooses its threshold for a daily alert budget from its own history', async () => {
      const put = (body: unknown, bearer = key, bankId = bank) =>
        app.inject({
          method: 'PUT',
          url: `/banks/${bankId}/screening/threshold`,
          headers: { authorization: `Bearer ${bearer}` },
          payload: body as object,
        });
      assert.equal((await put({ alerts_per_day: 2 }, 'wrong')).statusCode, 401);
      assert.equal((await put({ alerts_per_day: 0 })).statusCode, 400);
      assert.equal((await put({ alerts_per_day: 2 }, 'other-key', 'other-bank')).statusCode, 422);
      await post({ events: eventsFor(bank, 200) });
      const loose = (await put({ alerts_per_day: 50, days: 365 })).json() as { threshold: number };
      const strict = (await put({ alerts_per_day: 1, days: 365 })).json() as {
        threshold: number;
        observed_alerts_per_day: number;
      };
      assert.ok(strict.threshold >= loose.threshold, 'a smaller budget never lowers the threshold');
      assert.ok(strict.observed_alerts_per_day <= 1 + 1e-9);
      assert.equal(await service.threshold(bank), strict.threshold);
    });

    test('an oversized batch is a 413 problem and screens nothing', async () => {
      const before = await service.counts(bank);
      const response = await post({ events: eventsFor(bank, 21).slice(0, 21) });
      assert.equal(response.statusCode, 413);
      assert.equal(response.json().type, 'urn:proviso:problem:batch-too-large');
      assert.equal(response.json().maxBatch, 20);
      assert.deepEqual(await service.counts(bank), before);
      // A body that is not a batch at all is a 400 problem.
      const malformed = await post({ events: eventsFor(bank, 1), extra: true });
      assert.equal(malformed.statusCode, 400);
    });
  });
}

describe('NATS JetStream ingest', () => {
  test('consumes a bank subject: bad messages are dead-lettered and counted, good ones screened once', async () => {
    const bankId = uniqueBank();
    const durable = `test-${bankId}`;
    const database = await openDatabase();
    const { migrate } = await import('../../src/storage/index.ts');
    await migrate(database);
    const registry = new Registry();
    const service = new ScreeningService({ database, model });
    const ingest = await startNatsIngest({
      servers: NATS_URL,
      bankIds: [bankId],
      service,
      durable,
      registry,
      maxInFlight: 16,
    });
    const publisher = await natsPublisher(NATS_URL);
    const nc = await connect({ servers: NATS_URL });
    try {
      const events = eventsFor(bankId, 200);
      for (const event of events.slice(0, 100)) await publisher.publish(bankId, event);
      nc.publish(authorisationSubject(bankId), 'this is not json');
      await publisher.publish(bankId, { ...events[0]!, transactionId: 'neg', amount: '-3.00' });
      await publisher.publish(bankId, { ...events[0]!, transactionId: 'cur', currency: 'ABC' });
      await publisher.publish(bankId, { transactionId: 'missing' });
      // Redeliveries of the same events (no msg id: the server does not dedupe them).
      for (const event of events.slice(0, 50)) await publisher.publish(bankId, event);
      for (const event of events.slice(100)) await publisher.publish(bankId, event);
      await waitFor('all messages handled', async () => ingest.handled() >= 254);
      assert.equal((await service.counts(bankId)).events, 200);
      const metrics = await registry.metrics();
      assert.match(
        metrics,
        /proviso_screening_events_rejected_total\{source="nats",code="malformed_json"\} 1/,
      );
      assert.match(
        metrics,
        /proviso_screening_events_rejected_total\{source="nats",code="negative_amount"\} 1/,
      );
      assert.match(
        metrics,
        /proviso_screening_events_rejected_total\{source="nats",code="unknown_currency"\} 1/,
      );
      assert.match(metrics, /proviso_screening_events_rejected_total\{source="nats",code="missing"\} 1/);
      assert.match(metrics, /proviso_screening_events_total\{source="nats",outcome="duplicate"\} 50/);
    } finally {
      await ingest.close();
      await publisher.close();
      await nc.close();
      await database.close();
      await cleanNats(bankId, [`${durable}-${bankId}`]);
    }
  });
});
