// Messages between the gateway's thread and the worker thread that owns PGlite
// (pglite-worker.ts), and the parsers both ends agree on.

export const INT8_OID = 20;
export const NUMERIC_OID = 1700;

/** int8 → number (log indexes and counts stay far below 2^53); numeric → string (money is never a float). */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} exceeds 2^53`);
  return n;
}

/**
 * One request. `conn` names the Kysely connection it comes from (0: the database handle's own
 * notify, listen, unlisten and close). `begin` makes that connection the owner of the session
 * until its `end` (commit or rollback): meanwhile the worker runs only the owner's statements
 * (and conn-0 requests, as in-process PGlite did), so a transaction never interleaves with
 * another connection's statements.
 */
export type WorkerRequest = { id: number; conn: number } & (
  | { op: 'query'; sql: string; params: unknown[] }
  | { op: 'exec'; sql: string }
  | { op: 'begin' }
  | { op: 'end'; sql: 'commit' | 'rollback' }
  | { op: 'release' }
  | { op: 'notify'; channel: string; payload: string }
  | { op: 'listen'; channel: string; listener: number }
  | { op: 'unlisten'; listener: number }
  | { op: 'close' }
);

export interface QueryAnswer {
  rows: unknown[];
  affectedRows?: number | undefined;
  fieldCount: number;
}

/** An error as plain data: name, message and the string/number fields (code, detail, …) of a PostgreSQL error. */
export interface ErrorData {
  name: string;
  message: string;
  fields: Record<string, string | number | boolean>;
}

export type WorkerMessage =
  | { id: number; ok: true; answer?: QueryAnswer }
  | { id: number; ok: false; error: ErrorData }
  | { notification: number; payload: string }
  | { ready: true }
  | { failed: ErrorData };

export function errorData(error: unknown): ErrorData {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    // Scalars only: no query parameters or other caller data cross the thread boundary.
    if (key === 'query' || key === 'params') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

const ERROR_TYPES: Record<string, ErrorConstructor> = { RangeError, TypeError, SyntaxError };

export function toError(data: ErrorData): Error {
  const error = new (ERROR_TYPES[data.name] ?? Error)(data.message);
  if (error.name !== data.name) error.name = data.name;
  return Object.assign(error, data.fields);
}
