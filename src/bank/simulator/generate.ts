// Generates one customer's financial life: accounts, cards and D days of transactions
// with the rhythms of a real statement (salary on the 25th, rent on the 1st, coffee on
// weekday mornings, busier Saturdays, occasional refunds and trips abroad).
import type { AccountKind, Channel } from '../model.ts';
import { ABROAD, cardChannel, FIRST_NAMES, LAST_NAMES, type Merchant, type Region } from './catalog.ts';
import { Random } from './random.ts';

export interface SimAccount {
  id: string;
  kind: AccountKind;
  nickname: string;
  identification: string;
  openedAt: Date;
  /** Booked balance in minor units, signed (negative = owed to the bank). */
  ledgerMinor: number;
  creditLimitMinor: number | null;
}

export interface SimCard {
  id: string;
  accountId: string;
  last4: string;
}

export interface SimTransaction {
  id: string;
  accountId: string;
  bookedAt: Date;
  status: 'booked' | 'pending';
  amountMinor: number;
  creditDebit: 'Credit' | 'Debit';
  description: string;
  merchantName: string | null;
  mcc: string | null;
  country: string | null;
  channel: Channel;
  category: string;
  cardId: string | null;
}

export interface SimCustomer {
  id: string;
  displayName: string;
  username: string;
  createdAt: Date;
  accounts: SimAccount[];
  cards: SimCard[];
  transactions: SimTransaction[];
}

export interface GenerateOptions {
  seed: number;
  bankId: string;
  region: Region;
  days: number;
  /** The moment "now" for the simulation; history ends here. */
  end: Date;
}

const DAY = 86_400_000;
const PENDING_WINDOW = 2 * DAY;

/** ISO 13616 check digits for a German IBAN from its BBAN. */
function germanIban(bban: string): string {
  const numeric = `${bban}131400`; // "DE" → 13 14, then "00"
  let rest = 0;
  for (const ch of numeric) rest = (rest * 10 + Number(ch)) % 97;
  return `DE${String(98 - rest).padStart(2, '0')}${bban}`;
}

function accountNumber(rng: Random, region: Region): string {
  return region.scheme === 'UK.OBIE.IBAN'
    ? germanIban(rng.digits(18))
    : `${rng.pick(['20', '30', '40', '60'])}${rng.digits(4)}${rng.digits(8)}`;
}

function isWeekday(d: Date): boolean {
  const w = d.getUTCDay();
  return w >= 1 && w <= 5;
}

export function generateCustomer(index: number, options: GenerateOptions): SimCustomer {
  const rng = Random.derive(options.seed, options.bankId, index);
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const username =
    index === 0
      ? 'demo'
      : `${first}.${last}${index}`
          .toLowerCase()
          .normalize('NFD')
          .replace(/[^a-z0-9.]/g, '');
  const id = `cus_${rng.hex(16)}`;
  const start = new Date(options.end.getTime() - options.days * DAY);
  const openedAt = new Date(start.getTime() - rng.int(30, 3650) * DAY);

  const income = Math.round(rng.logNormal(2600, 0.35)) * 100;
  const accounts: SimAccount[] = [];
  const newAccount = (
    kind: AccountKind,
    nickname: string,
    openingMinor: number,
    limit: number | null,
  ): SimAccount => {
    const a: SimAccount = {
      id: `acc_${rng.hex(16)}`,
      kind,
      nickname,
      identification: accountNumber(rng, options.region),
      openedAt,
      ledgerMinor: openingMinor,
      creditLimitMinor: limit,
    };
    accounts.push(a);
    return a;
  };
  const current = newAccount(
    'current',
    rng.pick(['Everyday', 'Main account', 'Current account', 'Bills & spending']),
    Math.round(income * (0.2 + rng.next())),
    null,
  );
  // The demo customer (index 0) has every kind of account so the demo shows them all.
  const hasSavings = rng.chance(0.7) || index === 0;
  const hasCredit = rng.chance(0.55) || !hasSavings || index === 0;
  const savings = hasSavings
    ? newAccount(
        'savings',
        rng.pick(['Rainy day', 'Holiday fund', 'Savings', 'House deposit']),
        Math.round(income * rng.next() * 8),
        null,
      )
    : null;
  const credit = hasCredit
    ? newAccount('credit_card', 'Credit card', 0, rng.pick([1500, 3000, 5000, 8000]) * 100)
    : null;
  if (savings && rng.chance(0.15))
    newAccount('savings', 'Easy access saver', Math.round(income * rng.next() * 3), null);

  const cards: SimCard[] = [{ id: `crd_${rng.hex(16)}`, accountId: current.id, last4: rng.digits(4) }];
  if (credit) cards.push({ id: `crd_${rng.hex(16)}`, accountId: credit.id, last4: rng.digits(4) });

  const txs: SimTransaction[] = [];
  const add = (
    account: SimAccount,
    at: Date,
    amountMinor: number,
    creditDebit: 'Credit' | 'Debit',
    description: string,
    channel: Channel,
    category: string,
    merchant: Merchant | null = null,
    cardId: string | null = null,
    country: string | null = options.region.country,
  ) => {
    if (amountMinor <= 0) return;
    const pending = cardId !== null && options.end.getTime() - at.getTime() < PENDING_WINDOW;
    txs.push({
      id: `txn_${rng.hex(20)}`,
      accountId: account.id,
      bookedAt: at,
      status: pending ? 'pending' : 'booked',
      amountMinor,
      creditDebit,
      description,
      merchantName: merchant?.name ?? null,
      mcc: merchant?.mcc ?? null,
      country: merchant || channel === 'atm' ? country : null,
      channel,
      category,
      cardId,
    });
    if (!pending) account.ledgerMinor += creditDebit === 'Credit' ? amountMinor : -amountMinor;
  };
  const at = (day: Date, hourMean: number, hourSd: number): Date => {
    const h = Math.min(23.9, Math.max(0.1, hourMean + hourSd * rng.normal()));
    return new Date(day.getTime() + Math.floor(h * 3_600_000) + rng.int(0, 59_999));
  };
  const spendCard = credit && rng.chance(0.5) ? cards[1]! : cards[0]!;
  const spendAccount = spendCard.accountId === current.id ? current : credit!;
  const employer = rng.pick(options.region.employers);
  const landlord = rng.pick(options.region.landlords);
  const subscriptions = options.region.subscriptions.filter(() => rng.chance(0.5));
  const drives = rng.chance(0.45);
  const travels = rng.chance(0.08) ? rng.int(0, options.days - 6) : -1;
  const abroad = rng.pick(ABROAD);
  const contactless = rng.chance(0.8);
  const purchase = (
    day: Date,
    merchant: Merchant,
    hourMean: number,
    hourSd: number,
    country = options.region.country,
  ) => {
    const amount = Math.max(50, Math.round(rng.logNormal(merchant.median, merchant.sigma) * 100));
    const when = at(day, hourMean, hourSd);
    add(
      spendAccount,
      when,
      amount,
      'Debit',
      merchant.name,
      cardChannel(merchant, amount / 100, contactless),
      merchant.category,
      merchant,
      spendCard.id,
      country,
    );
    // Some online purchases come back: a refund a few days later.
    if (merchant.online && merchant.category === 'shopping' && rng.chance(0.06)) {
      const refundAt = new Date(when.getTime() + rng.int(2, 10) * DAY);
      if (refundAt < options.end)
        add(
          spendAccount,
          refundAt,
          amount,
          'Credit',
          `REFUND ${merchant.name}`,
          'card_online',
          'refund',
          merchant,
          spendCard.id,
          country,
        );
    }
  };

  for (let d = 0; d < options.days; d++) {
    const day = new Date(start.getTime() + d * DAY);
    const dom = day.getUTCDate();
    const dow = day.getUTCDay();
    const weekday = isWeekday(day);
    if (dom === 25)
      add(current, at(day, 6, 0.5), income, 'Credit', `${employer} SALARY`, 'transfer', 'income');
    if (dom === 1)
      add(current, at(day, 7, 0.5), Math.round(income * 0.32), 'Debit', landlord, 'direct_debit', 'housing');
    if (dom === 5)
      for (const u of options.region.utilities)
        add(
          current,
          at(day, 8, 1),
          Math.round(rng.logNormal(u.median, u.sigma) * 100),
          'Debit',
          u.name,
          'direct_debit',
          u.category,
          u,
        );
    if (dom === 12)
      for (const s of subscriptions)
        add(
          spendAccount,
          at(day, 4, 1),
          Math.round(s.median * 100),
          'Debit',
          s.name,
          'card_online',
          s.category,
          s,
          spendCard.id,
        );
    if (savings && dom === 26) {
      const amount = Math.round(income * 0.1);
      add(
        current,
        at(day, 9, 0.5),
        amount,
        'Debit',
        `TO ${savings.nickname.toUpperCase()}`,
        'standing_order',
        'savings',
      );
      add(savings, at(day, 9, 0.5), amount, 'Credit', 'FROM CURRENT ACCOUNT', 'standing_order', 'savings');
    }
    if (savings && dom === 1 && savings.ledgerMinor > 0) {
      add(
        savings,
        at(day, 2, 0.3),
        Math.round((savings.ledgerMinor * 0.035) / 12),
        'Credit',
        'INTEREST',
        'interest',
        'interest',
      );
    }
    if (credit && dom === 20 && credit.ledgerMinor < 0) {
      const owed = -credit.ledgerMinor;
      add(current, at(day, 10, 1), owed, 'Debit', 'CREDIT CARD REPAYMENT', 'transfer', 'transfer');
      add(credit, at(day, 10, 1), owed, 'Credit', 'PAYMENT RECEIVED - THANK YOU', 'transfer', 'transfer');
    }
    const away = travels >= 0 && d >= travels && d < travels + 5;
    if (away) {
      for (let k = rng.poisson(2.2); k > 0; k--) purchase(day, abroad.merchant, 15, 4, abroad.country);
      continue;
    }
    for (let k = rng.poisson(dow === 6 ? 0.9 : weekday ? 0.35 : 0.5); k > 0; k--)
      purchase(day, rng.pick(options.region.groceries), dow === 6 ? 11 : 18, 2.5);
    if (weekday && rng.chance(0.45)) purchase(day, rng.pick(options.region.coffee), 8, 0.7);
    if (weekday && rng.chance(0.3)) purchase(day, rng.pick(options.region.lunch), 12.8, 0.5);
    if (rng.chance(dow === 5 || dow === 6 ? 0.45 : 0.1))
      purchase(day, rng.pick(options.region.dining), 20, 1.5);
    if (weekday && rng.chance(0.55)) purchase(day, options.region.transport[0]!, 8.3, 0.6);
    if (rng.chance(0.07)) purchase(day, rng.pick(options.region.transport.slice(1)), 19, 4);
    if (rng.chance(0.14)) purchase(day, rng.pick(options.region.online), 20, 3);
    if (drives && rng.chance(0.1)) purchase(day, rng.pick(options.region.fuel), 17, 3);
    if (rng.chance(0.04)) purchase(day, rng.pick(options.region.health), 13, 3);
    if (rng.chance(0.04)) {
      add(
        current,
        at(day, 14, 4),
        rng.pick([2000, 4000, 5000, 10000]),
        'Debit',
        'CASH WITHDRAWAL',
        'atm',
        'cash',
        null,
        cards[0]!.id,
      );
    }
  }
  txs.sort((a, b) => a.bookedAt.getTime() - b.bookedAt.getTime());
  return {
    id,
    displayName: `${first} ${last}`,
    username,
    createdAt: openedAt,
    accounts,
    cards,
    transactions: txs,
  };
}
