import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BankDirectory, EU, generateCustomer, SqlBankCore, seedBank, UK } from '../../src/bank/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';

const END = new Date('2026-11-01T00:00:00Z');
const gen = (i: number, seed = 1) =>
  generateCustomer(i, { seed, bankId: 'northwind', region: UK, days: 90, end: END });

test('the generator is deterministic per seed and independent of how many customers are made', () => {
  assert.deepEqual(gen(17), gen(17));
  assert.notDeepEqual(gen(17, 1), gen(17, 2));
});

test('customers look like real people with real statements', () => {
  const customers = Array.from({ length: 300 }, (_, i) => gen(i));
  for (const c of customers) {
    assert.ok(c.accounts.length >= 2 && c.accounts.length <= 4, `${c.accounts.length} accounts`);
    assert.equal(c.accounts.filter((a) => a.kind === 'current').length, 1);
  }
  const txs = customers.flatMap((c) => c.transactions);
  assert.ok(txs.length / customers.length > 100, 'about 90 days of activity each');
  // Salaries land on the 25th, rent on the 1st.
  const salaries = txs.filter((t) => t.category === 'income');
  assert.ok(salaries.length >= customers.length * 2);
  assert.ok(salaries.every((t) => t.bookedAt.getUTCDate() === 25 && t.creditDebit === 'Credit'));
  assert.ok(txs.filter((t) => t.category === 'housing').every((t) => t.bookedAt.getUTCDate() === 1));
  // Refunds exist and are credits; pending only in the last two days.
  assert.ok(txs.some((t) => t.category === 'refund' && t.creditDebit === 'Credit'));
  assert.ok(
    txs
      .filter((t) => t.status === 'pending')
      .every((t) => END.getTime() - t.bookedAt.getTime() < 2 * 86_400_000),
  );
  // Weekly rhythm: coffee on weekday mornings, more groceries on Saturdays than on Tuesdays.
  const coffee = txs.filter((t) =>
    ['PRET A MANGER', 'COSTA COFFEE', "GAIL'S BAKERY"].includes(t.merchantName ?? ''),
  );
  assert.ok(coffee.every((t) => t.bookedAt.getUTCDay() >= 1 && t.bookedAt.getUTCDay() <= 5));
  const groceryDays = txs.filter((t) => t.category === 'groceries').map((t) => t.bookedAt.getUTCDay());
  assert.ok(groceryDays.filter((d) => d === 6).length > 1.5 * groceryDays.filter((d) => d === 2).length);
  // Card payments carry merchant, MCC, country and channel.
  for (const t of txs.filter((t) => t.cardId && t.channel !== 'atm')) {
    assert.ok(t.merchantName && t.mcc && /^\d{4}$/.test(t.mcc) && t.country && t.channel);
  }
  assert.ok(
    txs.some((t) => t.country !== 'GB'),
    'some trips abroad',
  );
});

test('the euro bank issues valid IBANs', () => {
  const c = generateCustomer(3, { seed: 1, bankId: 'fjord', region: EU, days: 30, end: END });
  for (const a of c.accounts) {
    const iban = a.identification;
    const rearranged = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (ch) =>
      String(ch.charCodeAt(0) - 55),
    );
    let rest = 0;
    for (const d of rearranged) rest = (rest * 10 + Number(d)) % 97;
    assert.equal(rest, 1, iban);
  }
});

for (const backend of await storageBackends('simulator seeding')) {
  describe(`seeding on ${backend.name}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await backend.open();
      await new BankDirectory(t.database).ensure({ id: 'northwind', name: 'Northwind Bank' });
    });
    after(() => t.dispose());

    test('seeds, resumes without duplicates, and balances agree with the transactions', async () => {
      const options = { bankId: 'northwind', region: UK, days: 60, seed: 3, end: END };
      const first = await seedBank(t.database, { ...options, customers: 20 });
      assert.equal(first.customers, 20);
      const again = await seedBank(t.database, { ...options, customers: 30 });
      assert.equal(again.customers, 10);
      assert.equal(again.skipped, 20);
      const core = new SqlBankCore(t.database, 'northwind');
      const demo = (await core.customerByUsername('demo'))!;
      const generated = generateCustomer(0, { ...options });
      const accounts = await core.accounts(demo.id);
      assert.equal(accounts.length, generated.accounts.length);
      for (const a of generated.accounts) {
        const [booked, available] = await core.balances(a.id);
        const signedBooked = (booked!.creditDebit === 'Debit' ? -1 : 1) * Number(booked!.amount);
        assert.equal(Math.round(signedBooked * 100), a.ledgerMinor);
        const pendingDebits = generated.transactions
          .filter((x) => x.accountId === a.id && x.status === 'pending')
          .reduce((s, x) => s + (x.creditDebit === 'Debit' ? x.amountMinor : -x.amountMinor), 0);
        const signedAvailable = (available!.creditDebit === 'Debit' ? -1 : 1) * Number(available!.amount);
        assert.equal(
          Math.round(signedAvailable * 100),
          a.ledgerMinor + (a.creditLimitMinor ?? 0) - pendingDebits,
        );
      }
    });

    test('freezing a card is visible in the core', async () => {
      const core = new SqlBankCore(t.database, 'northwind');
      const demo = (await core.customerByUsername('demo'))!;
      const [card] = await core.cards(demo.id);
      assert.equal((await core.setCardStatus(card!.id, 'frozen'))?.status, 'frozen');
      assert.equal((await core.cards(demo.id))[0]!.status, 'frozen');
      assert.equal(await core.setCardStatus('crd_nope', 'frozen'), null);
    });
  });
}
