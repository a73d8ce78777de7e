// Payment consents nobody approved in time are swept to Rejected by the gateway's timer, not
// only when next read: bounded per call, oldest first, each moved once, never an approved or a
// live consent, on every storage backend. The clock is driven (the sweep is given "now"; the
// timer is a mocked one), so nothing here waits.
import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import {
  SWEEP_BATCH,
  SWEEP_BATCHES,
  SWEEP_EVERY_MS,
  startPaymentJobs,
  sweepExpiredPaymentConsents,
} from '../../src/payments/consent-sweep.ts';
import { CONSENT_TTL_MS, PaymentService, type PaymentServiceOptions } from '../../src/payments/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

function consentRow(bankId: string, id: string, status: string, expiresAt: Date) {
  return {
    bank_id: bankId,
    id,
    merchant_id: 'northwind-books',
    status,
    initiation: { InstructionIdentification: id },
    risk: {},
    amount: '7.50',
    currency: 'GBP',
    order_reference: `order-${id}`,
    creditor_account_id: 'acc-merchant',
    customer_id: status === 'Authorised' ? 'cus-1' : null,
    debtor_account_id: status === 'Authorised' ? 'acc-1' : null,
    link_consent_id: null,
    expires_at: expiresAt,
  } as Parameters<PaymentService['store']['insertConsent']>[0];
}

for (const backend of await storageBackends('payment consent sweep')) {
  describe(`sweep of payment consents not approved in time on ${backend.name}`, () => {
    let db: TestDatabase;
    let payments: PaymentService;
    before(async () => {
      db = await backend.open();
      // The sweep reads and writes the consent table only; the other collaborators stay unused.
      payments = new PaymentService({
        database: db.database,
        merchants: [],
      } as unknown as PaymentServiceOptions);
      const rows = [
        consentRow('northwind', 'pc_old', 'AwaitingAuthorisation', minutes(-30)),
        consentRow('northwind', 'pc_due', 'AwaitingAuthorisation', minutes(-1)),
        consentRow('fjord', 'pc_other_bank', 'AwaitingAuthorisation', minutes(-10)),
        consentRow('northwind', 'pc_live', 'AwaitingAuthorisation', minutes(CONSENT_TTL_MS / 60_000)),
        consentRow('northwind', 'pc_approved', 'Authorised', minutes(-5)),
      ];
      for (const row of rows) await payments.store.insertConsent(row);
    });
    after(() => db.dispose());

    const status = async (bankId: string, id: string) => (await payments.store.consent(bankId, id))?.status;

    test('bounded: one call moves at most its limit, the oldest first', async () => {
      assert.equal(await payments.sweepExpiredConsents(NOW, 1), 1);
      assert.equal(await status('northwind', 'pc_old'), 'Rejected');
      assert.equal(await status('fjord', 'pc_other_bank'), 'AwaitingAuthorisation');
      assert.equal(await status('northwind', 'pc_due'), 'AwaitingAuthorisation');
    });

    test('the rest of every bank goes on the next call; live and approved consents stay', async () => {
      assert.equal(await payments.sweepExpiredConsents(NOW, 10), 2);
      assert.equal(await status('fjord', 'pc_other_bank'), 'Rejected');
      assert.equal(await status('northwind', 'pc_due'), 'Rejected');
      assert.equal(await status('northwind', 'pc_live'), 'AwaitingAuthorisation');
      assert.equal(await status('northwind', 'pc_approved'), 'Authorised');
    });

    test('each consent moves once: a sweep with nothing due moves nothing', async () => {
      assert.equal(await payments.sweepExpiredConsents(NOW, 10), 0);
    });

    test('once its time is up, the live consent goes too', async () => {
      assert.equal(await payments.sweepExpiredConsents(minutes(CONSENT_TTL_MS / 60_000 + 1), 10), 1);
      assert.equal(await status('northwind', 'pc_live'), 'Rejected');
      assert.equal(await status('northwind', 'pc_approved'), 'Authorised');
    });
  });
}

describe("the gateway's sweep timer", () => {
  const quietLog = () => {
    const lines: { fields: object; message: string }[] = [];
    const push = (fields: object, message: string) => void lines.push({ fields, message });
    return { lines, log: { info: push, warn: push } };
  };

  test('a tick sweeps in batches until one comes back short, and says how many', async () => {
    const answers = [SWEEP_BATCH, 3, SWEEP_BATCH];
    const payments = { sweepExpiredConsents: mock.fn(async () => answers.shift() ?? 0) };
    const { lines, log } = quietLog();
    assert.equal(await sweepExpiredPaymentConsents(payments, log, NOW), SWEEP_BATCH + 3);
    assert.equal(payments.sweepExpiredConsents.mock.callCount(), 2);
    assert.deepEqual(payments.sweepExpiredConsents.mock.calls[0]!.arguments, [NOW, SWEEP_BATCH]);
    assert.deepEqual(lines, [
      { fields: { rejected: SWEEP_BATCH + 3 }, message: 'payment consents not approved in time rejected' },
    ]);
  });

  test('a tick is bounded: at most SWEEP_BATCHES calls, and silent when nothing was due', async () => {
    const full = { sweepExpiredConsents: mock.fn(async () => SWEEP_BATCH) };
    const { log } = quietLog();
    assert.equal(await sweepExpiredPaymentConsents(full, log, NOW), SWEEP_BATCH * SWEEP_BATCHES);
    assert.equal(full.sweepExpiredConsents.mock.callCount(), SWEEP_BATCHES);
    const none = { sweepExpiredConsents: mock.fn(async () => 0) };
    const quiet = quietLog();
    assert.equal(await sweepExpiredPaymentConsents(none, quiet.log, NOW), 0);
    assert.deepEqual(quiet.lines, []);
  });

  test('the timer sweeps every SWEEP_EVERY_MS until stopped; a failure is logged, not thrown', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      let calls = 0;
      const payments = {
        sweepExpiredConsents: async () => {
          calls++;
          if (calls === 1) throw new Error('database away');
          return 1;
        },
      };
      const { lines, log } = quietLog();
      const stop = startPaymentJobs(payments, log);
      mock.timers.tick(SWEEP_EVERY_MS);
      await new Promise((r) => setImmediate(r));
      mock.timers.tick(SWEEP_EVERY_MS);
      await new Promise((r) => setImmediate(r));
      stop();
      mock.timers.tick(SWEEP_EVERY_MS * 3);
      await new Promise((r) => setImmediate(r));
      assert.equal(calls, 2);
      assert.deepEqual(
        lines.map((l) => l.message),
        ['payment consent sweep failed', 'payment consents not approved in time rejected'],
      );
    } finally {
      mock.timers.reset();
    }
  });
});
