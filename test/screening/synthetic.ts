// A small, fast stand-in for the handbook simulator: cards buy at a few terminals, some
// terminals get compromised (every later purchase there is fraud for 28 days) and some
// cards leak (for 14 days a third of their purchases become 5× amounts) — the handbook's
// scenarios 2 and 3 with their durations, so the 7-day label delay leaves most of a
// compromise learnable, as in the real data set.
import { type LabelledAuthorisation, seededRandom } from '../../src/screening/index.ts';

export const START = Date.parse('2018-04-01T00:00:00Z');
const DAY = 86_400_000;

export interface SyntheticOptions {
  readonly days?: number;
  readonly cards?: number;
  readonly terminals?: number;
  readonly seed?: number;
}

export function syntheticRows(options: SyntheticOptions = {}): LabelledAuthorisation[] {
  const { days = 40, cards = 60, terminals = 40, seed = 3 } = options;
  const random = seededRandom(seed);
  const spend = Array.from({ length: cards }, () => 10 + random() * 60);
  const home = Array.from({ length: cards }, () =>
    Array.from({ length: 5 }, () => Math.floor(random() * terminals)),
  );
  const badFrom = new Map<number, number>();
  const leakedFrom = new Map<number, number>();
  const rows: { t: number; card: number; terminal: number; amount: number; fraud: boolean }[] = [];
  for (let day = 0; day < days; day++) {
    if (day > 5 && random() < 0.3) badFrom.set(Math.floor(random() * terminals), day);
    if (day > 5 && random() < 0.3) leakedFrom.set(Math.floor(random() * cards), day);
    for (let card = 0; card < cards; card++) {
      const count = Math.floor(random() * 4);
      for (let k = 0; k < count; k++) {
        const t = START + day * DAY + Math.floor((8 + random() * 12) * 3_600_000);
        const terminal = home[card]![Math.floor(random() * 5)]!;
        let amount = Math.max(1, spend[card]! * (0.5 + random()));
        const bad = badFrom.get(terminal);
        let fraud = bad !== undefined && day >= bad && day < bad + 28;
        const leaked = leakedFrom.get(card);
        if (leaked !== undefined && day >= leaked && day < leaked + 14 && random() < 1 / 3) {
          amount *= 5;
          fraud = true;
        }
        rows.push({ t, card, terminal, amount, fraud });
      }
    }
  }
  rows.sort((a, b) => a.t - b.t);
  return rows.map((row, i) => ({
    event: {
      transactionId: String(i),
      bankId: 'test-bank',
      cardId: String(row.card),
      customerId: String(row.card),
      terminalId: String(row.terminal),
      country: 'BE',
      channel: 'pos',
      amount: row.amount.toFixed(2),
      currency: 'EUR',
      time: new Date(row.t).toISOString().replace('.000Z', 'Z'),
    },
    isFraud: row.fraud,
  }));
}

/** The same rows as a handbook-format CSV (what `proviso train/score` read). */
export function toCsv(rows: readonly LabelledAuthorisation[]): string {
  const lines = ['TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO'];
  for (const { event, isFraud } of rows) {
    lines.push(
      [
        event.transactionId,
        event.time.slice(0, 19),
        event.cardId,
        event.terminalId,
        event.amount,
        isFraud ? 1 : 0,
        0,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
