// Reads the shared simulated data set (Fraud Detection Handbook, chapter 3.2) and maps each
// row onto the bank's authorisation event: customer = card, terminal = merchant terminal.
// The simulator has no currency, country or channel; we fix them (EUR, BE, pos) so the rows
// pass the same validator as live events.
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { AuthorisationEvent } from './event.ts';

export interface LabelledAuthorisation {
  readonly event: AuthorisationEvent;
  /** undefined when the file has no TX_FRAUD column (pure scoring input). */
  readonly isFraud: boolean | undefined;
}

export interface FraudSimOptions {
  readonly bankId?: string;
  /** Called as the file is read: bytes read so far and the file size (for a progress bar). */
  readonly onBytes?: (read: number, total: number) => void;
}

export const FRAUD_SIM_BANK = 'fraud-sim';

/** Streams the rows of a handbook-format CSV (plain or .gz) as labelled authorisations. */
export async function* readFraudSimCsv(
  path: string,
  options: FraudSimOptions = {},
): AsyncGenerator<LabelledAuthorisation> {
  const bankId = options.bankId ?? FRAUD_SIM_BANK;
  const raw = createReadStream(path);
  const onBytes = options.onBytes;
  if (onBytes !== undefined) {
    const total = statSync(path).size;
    let read = 0;
    raw.on('data', (chunk) => {
      read += chunk.length;
      onBytes(read, total);
    });
  }
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let columns: Map<string, number> | undefined;
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line === '') continue;
    const cells = line.split(',');
    if (columns === undefined) {
      columns = new Map(cells.map((name, index) => [name.trim(), index]));
      for (const required of ['TRANSACTION_ID', 'TX_DATETIME', 'CUSTOMER_ID', 'TERMINAL_ID', 'TX_AMOUNT']) {
        if (!columns.has(required)) throw new Error(`${path}: missing column ${required}`);
      }
      continue;
    }
    yield mapRow(cells, columns, bankId, `${path}:${lineNumber}`);
  }
}

function mapRow(
  cells: string[],
  columns: Map<string, number>,
  bankId: string,
  where: string,
): LabelledAuthorisation {
  const cell = (name: string): string | undefined => {
    const index = columns.get(name);
    return index === undefined ? undefined : cells[index];
  };
  const customer = cell('CUSTOMER_ID');
  const terminal = cell('TERMINAL_ID');
  const datetime = cell('TX_DATETIME');
  const amount = cell('TX_AMOUNT');
  const id = cell('TRANSACTION_ID');
  if (!customer || !terminal || !datetime || !amount || !id) throw new Error(`${where}: incomplete row`);
  const label = cell('TX_FRAUD');
  return {
    event: {
      transactionId: id,
      bankId,
      cardId: customer,
      customerId: customer,
      terminalId: terminal,
      country: 'BE',
      channel: 'pos',
      amount,
      currency: 'EUR',
      // The simulation has no time zone; reading it as UTC keeps hours and days as written.
      time: datetime.length === 19 ? `${datetime}Z` : datetime,
    },
    isFraud: label === undefined || label === '' ? undefined : label.trim() === '1',
  };
}
