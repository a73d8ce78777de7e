// Spending questions answered on the device. The bank seals the raw debits to this device (the
// normal sealed path, `SPENDING_DATA:<since>`); the sums, the ranking and the chart are computed
// here, in the browser. Neither the question's words nor the answer ever leave the device: the
// relay sees only a sealed envelope and the day the data starts from.
import { field, formatMoney, h, isObj, type Obj, str } from './cards.ts';
import { categoryWords, shortDate } from './format.ts';

export interface LedgerTx {
  id: string;
  at: Date;
  description: string;
  /** Minor units (cents, pence), positive: money out. */
  minor: number;
  currency: string;
  category: string;
  account: string;
}

interface Coverage {
  since: string;
  at: number;
  complete: boolean;
}

/** The debits this device has opened, per bank, and how far back they go. */
export class Ledger {
  readonly #tx = new Map<string, Map<string, LedgerTx>>();
  readonly #coverage = new Map<string, Coverage>();
  readonly #waiters: { bank: string; since: string; resolve(): void }[] = [];

  add(bank: string, payload: unknown, at: number): void {
    if (!isObj(payload)) return;
    const since = str(payload['since']);
    const list = (field(payload, 'transactions') as Obj[] | undefined) ?? [];
    const txs = this.#tx.get(bank) ?? new Map<string, LedgerTx>();
    this.#tx.set(bank, txs);
    for (const t of list) {
      const amount = isObj(t['amount']) ? (t['amount'] as Obj) : {};
      const minor = Math.round(Math.abs(Number(amount['amount'])) * 100);
      const when = new Date(str(t['booked_at']));
      if (!Number.isFinite(minor) || Number.isNaN(when.getTime())) continue;
      txs.set(str(t['id']), {
        id: str(t['id']),
        at: when,
        description: str(t['description']) || 'Payment',
        minor,
        currency: str(amount['currency']),
        category: str(t['category']) || 'other',
        account: str(t['account']),
      });
    }
    const seen = this.#coverage.get(bank);
    if (!seen || since <= seen.since || at > seen.at)
      this.#coverage.set(bank, { since, at, complete: payload['complete'] !== false });
    for (const w of this.#waiters.splice(0))
      if (w.bank === bank && since <= w.since) w.resolve();
      else this.#waiters.push(w);
  }

  /** True when the device holds this bank's debits since `since`, fetched in the last few minutes. */
  covers(bank: string, since: string, now = Date.now()): boolean {
    const c = this.#coverage.get(bank);
    return !!c && c.since <= since && now - c.at < 5 * 60_000;
  }

  complete(bank: string): boolean {
    return this.#coverage.get(bank)?.complete !== false;
  }

  waitFor(bank: string, since: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.#waiters.push({
        bank,
        since,
        resolve: () => {
          clearTimeout(t);
          resolve(true);
        },
      });
    });
  }

  between(bank: string, from: Date, to: Date): LedgerTx[] {
    return [...(this.#tx.get(bank)?.values() ?? [])].filter((t) => t.at >= from && t.at < to);
  }
}

export interface Period {
  label: string;
  from: Date;
  to: Date;
}

export type SpendingQuestion =
  | { kind: 'total'; category: string | null; period: Period }
  | { kind: 'biggest'; period: Period }
  | { kind: 'chart'; period: Period };

const CATEGORY_WORDS: [RegExp, string][] = [
  [/\b(groceries|grocery|supermarkets?|food shopping)\b/i, 'groceries'],
  [/\b(eating out|restaurants?|takeaways?|cafes?|coffee|dining|food and drink)\b/i, 'eating_out'],
  [/\b(transport|travel|trains?|bus(es)?|taxis?|fuel|petrol)\b/i, 'transport'],
  [/\b(shopping|clothes)\b/i, 'shopping'],
  [/\b(utilities|utility|bills?|energy|electricity|gas|water)\b/i, 'utilities'],
  [/\b(health|pharmacy|chemist)\b/i, 'health'],
  [/\b(home|household|diy)\b/i, 'home'],
  [/\b(subscriptions?|streaming)\b/i, 'subscriptions'],
];

function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}
function startOfWeek(d: Date): Date {
  const s = startOfDay(d);
  s.setDate(s.getDate() - ((s.getDay() + 6) % 7));
  return s;
}
const addDays = (d: Date, n: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);

export function periodFrom(text: string, now: Date, fallback: 'this month' | 'last week'): Period {
  const t = text.toLowerCase();
  const month = (offset: number) => ({
    from: new Date(now.getFullYear(), now.getMonth() + offset, 1),
    to: new Date(now.getFullYear(), now.getMonth() + offset + 1, 1),
  });
  if (/\blast month\b/.test(t)) return { label: 'last month', ...month(-1) };
  if (/\bthis month\b/.test(t)) return { label: 'this month', ...month(0) };
  if (/\blast week\b/.test(t)) {
    const to = startOfWeek(now);
    return { label: 'last week', from: addDays(to, -7), to };
  }
  if (/\bthis week\b/.test(t)) return { label: 'this week', from: startOfWeek(now), to: addDays(now, 1) };
  if (/\byesterday\b/.test(t))
    return { label: 'yesterday', from: addDays(startOfDay(now), -1), to: startOfDay(now) };
  if (/\btoday\b/.test(t)) return { label: 'today', from: startOfDay(now), to: addDays(startOfDay(now), 1) };
  const days = /\b(?:last|past) (\d{1,2}) days\b/.exec(t);
  if (days) {
    const n = Math.min(90, Number(days[1]));
    return { label: `in the last ${n} days`, from: addDays(startOfDay(now), -n + 1), to: addDays(now, 1) };
  }
  return periodFrom(fallback, now, fallback);
}

/** A spending question this device answers itself, or null (then it goes to the bank bot). */
export function spendingQuestion(text: string, now = new Date()): SpendingQuestion | null {
  const t = text.trim();
  if (/\b(chart|graph|breakdown|by category|categories|where (does|did) my money go)\b/i.test(t))
    return { kind: 'chart', period: periodFrom(t, now, 'this month') };
  if (
    /\b(biggest|largest|top|most expensive|highest)\b.*\b(payments?|purchases?|spends?|spending|transactions?)\b/i.test(
      t,
    )
  )
    return { kind: 'biggest', period: periodFrom(t, now, 'last week') };
  if (/\bhow much\b.*\bspen[dt]\b|\bspen[dt]\b.*\b(on|this|last)\b|\bspending on\b|\btotal spen/i.test(t)) {
    const category = CATEGORY_WORDS.find(([re]) => re.test(t))?.[1] ?? null;
    return { kind: 'total', category, period: periodFrom(t, now, 'this month') };
  }
  return null;
}

/** The day (YYYY-MM-DD, a day early for time zones) the device needs the bank's data from. */
export function dataSince(period: Period): string {
  const d = addDays(period.from, -1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function range(p: Period): string {
  const last = addDays(p.to, -1);
  const end = last < new Date() ? last : new Date();
  return `${shortDate(p.from)} – ${shortDate(end)}`;
}

function sums(txs: LedgerTx[], key: (t: LedgerTx) => string): Map<string, { minor: number; count: number }> {
  const out = new Map<string, { minor: number; count: number }>();
  for (const t of txs) {
    const k = key(t);
    const s = out.get(k) ?? { minor: 0, count: 0 };
    s.minor += t.minor;
    s.count += 1;
    out.set(k, s);
  }
  return out;
}

/** "£12.34" per currency, joined: a bank may hold accounts in several. */
function totalText(txs: LedgerTx[]): string {
  const byCurrency = sums(txs, (t) => t.currency);
  if (byCurrency.size === 0) return formatMoney(0, 'GBP');
  return [...byCurrency].map(([c, s]) => formatMoney(s.minor / 100, c)).join(' + ');
}

function txRow(t: LedgerTx): HTMLElement {
  return h(
    'li',
    {},
    h('span', { class: 'tx-date' }, shortDate(t.at)),
    h('span', { class: 'tx-desc' }, t.description, t.account ? h('small', {}, t.account) : null),
    h('span', { class: 'tx-amt' }, formatMoney(t.minor / 100, t.currency)),
  );
}

/** The answer, computed here from what the device opened; `bank` names the bank in words. */
export function answerSpending(q: SpendingQuestion, txs: LedgerTx[]): { title: string; body: HTMLElement } {
  const when = `${q.period.label} (${range(q.period)})`;
  if (q.kind === 'total') {
    const mine = q.category ? txs.filter((t) => t.category === q.category) : txs;
    const what = q.category ? `on ${categoryWords(q.category).toLowerCase()}` : 'in total';
    const lead =
      mine.length === 0
        ? `You have not spent anything ${what} ${when}.`
        : `You spent ${totalText(mine)} ${what} ${when}, in ${mine.length} payment${mine.length === 1 ? '' : 's'}.`;
    const recent = [...mine].sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, 5);
    return {
      title: q.category ? `${categoryWords(q.category)} · ${q.period.label}` : `Spending · ${q.period.label}`,
      body: h(
        'div',
        {},
        h('p', { class: 'lead', 'data-answer': totalText(mine) }, lead),
        recent.length ? h('p', { class: 'small' }, 'Most recent:') : null,
        recent.length ? h('ul', { class: 'tx-list plain' }, ...recent.map(txRow)) : null,
      ),
    };
  }
  if (q.kind === 'biggest') {
    const top = [...txs].sort((a, b) => b.minor - a.minor).slice(0, 5);
    return {
      title: `Biggest payments · ${q.period.label}`,
      body: h(
        'div',
        {},
        h(
          'p',
          { class: 'lead' },
          top.length ? `Your biggest payments ${when}:` : `You made no payments ${when}.`,
        ),
        top.length ? h('ol', { class: 'tx-list plain' }, ...top.map(txRow)) : null,
      ),
    };
  }
  const byCategory = [...sums(txs, (t) => `${t.category}\n${t.currency}`)].sort(
    (a, b) => b[1].minor - a[1].minor,
  );
  const max = Math.max(1, ...byCategory.map(([, s]) => s.minor));
  const chart = h(
    'ul',
    { class: 'chart', 'aria-label': `Spending by category ${when}` },
    ...byCategory.map(([key, s]) => {
      const [category, currency] = key.split('\n') as [string, string];
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${Math.max(2, Math.round((s.minor / max) * 100))}%`;
      return h(
        'li',
        {},
        h('span', { class: 'chart-label' }, categoryWords(category)),
        h('span', { class: 'chart-track' }, bar),
        h('span', { class: 'chart-figure' }, formatMoney(s.minor / 100, currency)),
      );
    }),
  );
  return {
    title: `Spending by category · ${q.period.label}`,
    body: h(
      'div',
      {},
      h(
        'p',
        { class: 'lead' },
        byCategory.length
          ? `You spent ${totalText(txs)} ${when}. Here is where it went:`
          : `You made no payments ${when}.`,
      ),
      byCategory.length ? chart : null,
    ),
  };
}
