import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../../src/http/index.ts';
import {
  AlertActionStore,
  type AlertSubject,
  type InvestigatorDesk,
  investigatorRoutes,
  ScreeningModel,
  ScreeningService,
  train,
} from '../../src/screening/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';
import { syntheticRows } from './synthetic.ts';

const history = syntheticRows({ days: 20 });
const model = new ScreeningModel(await train(history, { warmupDays: 5, params: { trees: 10 } }));
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

for (const backend of await storageBackends('investigator view')) {
  describe(`investigator view on ${backend.name}`, () => {
    let db: TestDatabase;
    let app: FastifyInstance;
    const now = new Date('2026-03-02T15:00:00Z');
    before(async () => {
      db = await backend.open();
      const service = new ScreeningService({ database: db.database, model, now: () => now });
      await service.setThreshold('inv-bank', 0);
      const events = history.slice(0, 6).map((row) => ({
        ...row.event,
        bankId: 'inv-bank',
        merchantName: row.event.transactionId === '0' ? '<script>alert(1)</script>' : 'Café Nord',
      }));
      const outcomes = await service.screenBatch('inv-bank', events);
      const ids = outcomes.map((o) => (o.status === 'screened' ? o.alertId! : ''));
      await service.reply(ids[0]!, 'no');
      await service.reply(ids[1]!, 'yes');
      app = await createHttpApp({ title: 't', version: '0', description: 't', logLevel: false });
      // A desk standing in for the bank core: names and masked cards by id, no log.
      const desk: InvestigatorDesk = {
        bank: () => ({ name: 'Inv Bank', colour: '#0b4f8a', timeZone: 'Europe/London', zoneName: 'UK time' }),
        async describe(_bank, alerts) {
          return new Map<string, AlertSubject>(
            alerts.map((a) => [
              a.id,
              {
                customerName: `Customer ${a.customerId}`,
                cardLabel: `Debit card •••• ${a.cardId.slice(-4).padStart(4, '0')}`,
                cardStatus: a.cardId === events[0]!.cardId ? 'frozen' : 'active',
              },
            ]),
          );
        },
        async record() {
          throw new Error('not in this test');
        },
        async setCardStatus() {
          return null;
        },
      };
      await app.register(investigatorRoutes, {
        service,
        staffKeys: new Map([['inv-bank', 'staff-secret']]),
        desk,
        actions: new AlertActionStore(db.database),
        panels: async (bankId) => [`<section id="extra-panel">More about ${bankId}</section>`],
        now: () => now,
      });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await db.dispose();
    });

    test('needs the bank id and its staff key (HTTP Basic)', async () => {
      for (const authorization of [undefined, basic('inv-bank', 'wrong'), basic('other', 'staff-secret')]) {
        const response = await app.inject({
          url: '/banks/inv-bank/investigator',
          headers: authorization ? { authorization } : {},
        });
        assert.equal(response.statusCode, 401);
        assert.match(String(response.headers['www-authenticate']), /^Basic realm=/);
        assert.equal(response.json().type, 'urn:proviso:problem:investigator-unauthorized');
      }
    });

    test("shows today's alerts with reasons, replies, card status and both charts, escaped", async () => {
      const response = await app.inject({
        url: '/banks/inv-bank/investigator',
        headers: { authorization: basic('inv-bank', 'staff-secret') },
      });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /text\/html/);
      const page = response.body;
      assert.match(page, /<html lang="en">/);
      assert.match(page, /6 alerts shown/);
      assert.match(page, /Confirmed fraud/);
      assert.match(page, /Cleared — genuine/);
      assert.match(page, /“No, freeze my card”/);
      assert.match(page, /Card frozen/);
      assert.match(page, /Customer \S+ <span class="card">Debit card •••• \d{4}<\/span>/);
      // Local date and time in words, never an ISO string.
      assert.match(page, />\d{1,2} [A-Z][a-z]{2} \d{4} at \d{2}:\d{2}</);
      assert.doesNotMatch(page.replace(/datetime="[^"]*"/g, ''), /\d{4}-\d{2}-\d{2}T\d{2}:/);
      assert.match(page, /<svg role="img" aria-labelledby="hours-title/);
      assert.match(page, /<svg role="img" aria-labelledby="precision-title/);
      assert.match(page, /Mean 50 % of resolved alerts were fraud/);
      assert.ok(!page.includes('<script>alert(1)'), 'merchant names are escaped');
      assert.match(page, /&lt;script&gt;/);
      assert.match(page, /<h2 id="alerts-title">Alerts, newest first<\/h2>/);
      assert.match(page, /<section id="extra-panel">More about inv-bank<\/section>/, 'extra panels below');
      // Open alerts offer confirm and clear; closed ones do not; every alert offers contact.
      assert.equal((page.match(/\/confirm-fraud"/g) ?? []).length, 4);
      assert.equal((page.match(/\/contact"/g) ?? []).length, 6);
      assert.equal((page.match(/\/unfreeze-card"/g) ?? []).length, 1, 'only the frozen card');
    });

    test('newest payment first, or highest score first', async () => {
      const headers = { authorization: basic('inv-bank', 'staff-secret') };
      const times = (body: string) =>
        [...body.matchAll(/<p class="when"><time datetime="([^"]+)"/g)].map((m) => Date.parse(m[1]!));
      const newest = times((await app.inject({ url: '/banks/inv-bank/investigator', headers })).body);
      assert.equal(newest.length, 6);
      for (let i = 1; i < newest.length; i++) assert.ok(newest[i - 1]! >= newest[i]!, 'newest first');
      const scores = [
        ...(await app.inject({ url: '/banks/inv-bank/investigator?sort=score', headers })).body.matchAll(
          /score ([\d.]+) %<\/p>/g,
        ),
      ].map((m) => Number(m[1]));
      assert.equal(scores.length, 6);
      for (let i = 1; i < scores.length; i++) assert.ok(scores[i - 1]! >= scores[i]!, 'highest score first');
    });

    test('filters by status and minimum score; bad filters are problems', async () => {
      const headers = { authorization: basic('inv-bank', 'staff-secret') };
      const fraud = await app.inject({ url: '/banks/inv-bank/investigator?status=confirmed_fraud', headers });
      assert.match(fraud.body, /1 alert shown/);
      const none = await app.inject({ url: '/banks/inv-bank/investigator?minScore=1', headers });
      assert.match(none.body, /No alerts match/);
      const yesterday = await app.inject({ url: '/banks/inv-bank/investigator?day=2026-03-01', headers });
      assert.match(yesterday.body, /0 alerts shown/);
      const bad = await app.inject({ url: '/banks/inv-bank/investigator?status=lost', headers });
      assert.equal(bad.statusCode, 400);
      const noSuchDay = await app.inject({ url: '/banks/inv-bank/investigator?day=2026-02-31', headers });
      assert.equal(noSuchDay.statusCode, 400);
      assert.equal(noSuchDay.json().type, 'urn:proviso:problem:invalid-day');
      // Credentials are checked before the query is: a stranger learns nothing from a 400.
      const stranger = await app.inject({ url: '/banks/inv-bank/investigator?status=lost' });
      assert.equal(stranger.statusCode, 401);
    });
  });
}

test("the view's day is the bank's local day, across summer time", async () => {
  const { localDay, localMidnight } = await import('../../src/screening/index.ts');
  assert.equal(localMidnight('2026-11-30', 'Europe/Berlin').toISOString(), '2026-11-29T23:00:00.000Z');
  assert.equal(localMidnight('2026-07-01', 'Europe/Berlin').toISOString(), '2026-06-30T22:00:00.000Z');
  assert.equal(localMidnight('2026-07-01', 'Europe/London').toISOString(), '2026-06-30T23:00:00.000Z');
  // The day summer time starts in the UK: midnight is still GMT.
  assert.equal(localMidnight('2026-03-29', 'Europe/London').toISOString(), '2026-03-29T00:00:00.000Z');
  assert.equal(localMidnight('2026-10-25', 'Europe/London').toISOString(), '2026-10-24T23:00:00.000Z');
  assert.equal(localDay(new Date('2026-11-29T23:30:00Z'), 'Europe/Berlin'), '2026-11-30');
  assert.equal(localDay(new Date('2026-11-29T23:30:00Z'), 'Europe/London'), '2026-11-29');
});
