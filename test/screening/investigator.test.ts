import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../../src/http/index.ts';
import { investigatorRoutes, ScreeningModel, ScreeningService, train } from '../../src/screening/index.ts';
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
      await app.register(investigatorRoutes, {
        service,
        staffKeys: new Map([['inv-bank', 'staff-secret']]),
        cards: {
          async find(_bank, cardId) {
            return { customerId: cardId, status: cardId === events[0]!.cardId ? 'frozen' : 'active' };
          },
        },
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
      assert.match(page, /frozen/);
      assert.match(page, /<svg role="img" aria-labelledby="hours-title/);
      assert.match(page, /<svg role="img" aria-labelledby="precision-title/);
      assert.match(page, /Mean 50 % of resolved alerts were fraud/);
      assert.ok(!page.includes('<script>alert(1)'), 'merchant names are escaped');
      assert.match(page, /&lt;script&gt;/);
      assert.match(page, /<caption>Alerts, newest first<\/caption>/);
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
    });
  });
}
