// One bad value never poisons a batch (issue 11, point 2), over HTTP on every backend: each
// event is validated on its own, the good events of a batch are stored, the bad ones are
// reported per item, nothing that reaches the database can make it refuse the row, and no
// log line carries an event's values. Also: ingest routes authenticate before reading the
// body (point 7).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createHttpApp, safeErrorFields } from '../../src/http/index.ts';
import {
  type AuthorisationEvent,
  ScreeningModel,
  ScreeningService,
  screeningRoutes,
  train,
  validateIngestedEvent,
} from '../../src/screening/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { syntheticRows } from './synthetic.ts';

const history = syntheticRows({ days: 30 });
const model = new ScreeningModel(await train(history, { warmupDays: 5, params: { trees: 10 } }));
// Values no log line may ever show.
const MARK = `SECRET${randomBytes(4).toString('hex')}`;
const eventsFor = (bankId: string, count: number): AuthorisationEvent[] =>
  history.slice(0, count).map((row, i) => ({
    ...row.event,
    bankId,
    transactionId: `tx-${MARK}-${i}`,
    cardId: `card-${MARK}-${row.event.cardId}`,
    terminalId: `term-${MARK}-${row.event.terminalId}`,
    merchantName: `Shop ${MARK}`,
  }));

test('validateIngestedEvent refuses what the database could not store, naming the field, never the value', () => {
  const [good] = eventsFor('v-bank', 1);
  assert.equal(validateIngestedEvent(good).ok, true);
  const cases: [unknown, string][] = [
    [42, ':type'],
    [null, ':type'],
    [['a'], ':type'],
    [JSON.parse(`{"__proto__": {"x": 1}, "transactionId": "p"}`), '__proto__:forbidden_key'],
    [{ ...good, constructor: 'x' }, 'constructor:forbidden_key'],
    [{ ...good, merchantName: `A\u0000B ${MARK}` }, 'merchantName:invalid_text'],
    [{ ...good, terminalId: `T\ud800${MARK}` }, 'terminalId:invalid_text'],
    [{ ...good, cardId: 'c'.repeat(129) }, 'cardId:too_long'],
    [{ ...good, amount: '1234567890123456.00' }, 'amount:out_of_range'],
    [{ ...good, time: '0001-01-01T00:00:00Z' }, 'time:out_of_range'],
  ];
  for (const [input, expected] of cases) {
    const result = validateIngestedEvent(input);
    assert.equal(result.ok, false, expected);
    if (result.ok) continue;
    assert.equal(`${result.errors[0]!.field}:${result.errors[0]!.code}`, expected);
    for (const error of result.errors) assert.ok(!error.message.includes(MARK), error.message);
  }
});

for (const backend of await storageBackends('poisoned batches')) {
  describe(`a poisoned batch on ${backend.name}`, () => {
    let db: TestDatabase;
    let app: FastifyInstance;
    let service: ScreeningService;
    const logLines: string[] = [];
    const bank = 'poison-bank';
    const key = randomBytes(16).toString('hex');
    before(async () => {
      db = await backend.open();
      service = new ScreeningService({ database: db.database, model });
      const logStream = new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      });
      app = await createHttpApp({ title: 't', version: '0', description: 't', logLevel: 'debug', logStream });
      await app.register(screeningRoutes, { service, ingestKeys: new Map([[bank, key]]), maxBatch: 40 });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await db.dispose();
    });

    const post = (payload: string, bearer: string | null = key) =>
      app.inject({
        method: 'POST',
        url: `/banks/${bank}/screening/authorisations`,
        headers: {
          'content-type': 'application/json',
          ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
        },
        payload,
      });

    test('good events of a batch are stored whatever the bad ones hold; each bad one is reported', async () => {
      const events = eventsFor(bank, 6);
      const good = (i: number) => JSON.stringify(events[i]);
      const bad = (patch: string) => `${good(5).slice(0, -1)},${patch}}`;
      // Written as raw JSON: escapes for NUL and lone surrogates, a literal __proto__ key.
      const items = [
        good(0),
        '42',
        'null',
        '"just a string"',
        '[1, 2]',
        `{"__proto__": {"admin": true}, ${good(5).slice(1)}`,
        bad('"constructor": {"prototype": {"admin": true}}'),
        JSON.stringify({ ...events[5], merchantName: `Shop\u0000${MARK}` }),
        good(1),
        JSON.stringify({ ...events[5], terminalId: `term-${MARK}` }).replace(
          `term-${MARK}`,
          `\\ud800${MARK}`,
        ),
        JSON.stringify({ ...events[5], amount: '99999999999999999999.00' }),
        JSON.stringify({ ...events[5], time: '0001-01-01T00:00:00Z' }),
        JSON.stringify({ ...events[5], cardId: 'x'.repeat(5000) }),
        JSON.stringify({ ...events[5], merchantName: 'm'.repeat(3000) }),
        good(2),
        good(3),
      ];
      const response = await post(`{"events": [${items.join(',')}]}`);
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json();
      const summary = body.results.map((r: { status: string; errors?: { field: string; code: string }[] }) =>
        r.status === 'rejected' ? `${r.errors![0]!.field}:${r.errors![0]!.code}` : r.status,
      );
      assert.deepEqual(summary, [
        'screened',
        ':type',
        ':type',
        ':type',
        ':type',
        '__proto__:forbidden_key',
        'constructor:forbidden_key',
        'merchantName:invalid_text',
        'screened',
        'terminalId:invalid_text',
        'amount:out_of_range',
        'time:out_of_range',
        'cardId:too_long',
        'merchantName:too_long',
        'screened',
        'screened',
      ]);
      assert.equal(body.screened, 4);
      assert.equal(body.rejected, 12);
      assert.equal((await service.counts(bank)).events, 4);
      // Nothing of the prototype was touched.
      assert.equal(({} as { admin?: unknown }).admin, undefined);
      // The good ones again: duplicates, and the bad ones still refused on their own.
      const again = await post(`{"events": [${items.join(',')}]}`);
      assert.equal(again.json().duplicates, 4);
      assert.equal(again.json().rejected, 12);
    });

    test('anonymous callers get a 401 before any body is read; an authenticated oversized body a 413', async () => {
      for (const payload of ['{"events": [', 'not json at all', '{"unexpected": 1}', 'x'.repeat(200_000)]) {
        const response = await post(payload, null);
        assert.equal(response.statusCode, 401, payload.slice(0, 20));
        assert.equal(response.json().type, 'urn:proviso:problem:ingest-unauthorized');
      }
      const garbage = await post('{"events": [', key);
      assert.equal(garbage.statusCode, 400);
      assert.equal(garbage.json().type, 'urn:proviso:problem:malformed-json');
      const huge = await post(`{"events": ["${'x'.repeat(200_000)}"]}`, key);
      assert.equal(huge.statusCode, 413);
      assert.equal(huge.json().type, 'urn:proviso:problem:body-too-large');
      const threshold = await app.inject({
        method: 'PUT',
        url: `/banks/${bank}/screening/threshold`,
        headers: { 'content-type': 'application/json' },
        payload: '{"alerts_per_day": "garbage", "x": 1}',
      });
      assert.equal(threshold.statusCode, 401);
    });

    test('numbers at the edges of the threshold API are answered, never a 5xx', async () => {
      for (const body of [
        '{"alerts_per_day": 1e-300, "days": 1}',
        '{"alerts_per_day": 5e-324}',
        '{"alerts_per_day": 1000000, "days": 365}',
        '{"alerts_per_day": 1e400}',
        '{"alerts_per_day": -0}',
        '{"alerts_per_day": 1, "days": 1e10}',
        '{"alerts_per_day": 1, "days": 1.5}',
      ]) {
        const response = await app.inject({
          method: 'PUT',
          url: `/banks/${bank}/screening/threshold`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          payload: body,
        });
        assert.ok(response.statusCode < 500, `${body}: ${response.statusCode} ${response.body}`);
        if (response.statusCode >= 400) assert.match(response.json().type, /^urn:proviso:problem:/);
      }
    });

    test('a database error is logged without the values of the row it refused', async () => {
      // The very error a NUL used to cause: PostgreSQL refuses the row and quotes it.
      const error = await sql`select ${`{"merchant": "Shop ${MARK}\\u0000"}`}::jsonb`
        .execute(db.database.tables())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(error instanceof Error, 'the database refuses a NUL in jsonb');
      const fields = safeErrorFields(error);
      assert.ok(!JSON.stringify(fields).includes(MARK), JSON.stringify(fields));
      assert.match(fields.message, /database error/);
    });

    test('no log line carries an event field', () => {
      assert.ok(logLines.length > 0, 'the app logged its requests');
      for (const line of logLines) assert.ok(!line.includes(MARK), line);
    });
  });
}
