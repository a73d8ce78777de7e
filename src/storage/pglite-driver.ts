// A Kysely driver for PGlite, which runs in a worker thread (pglite-worker.ts) so that the
// database's CPU work leaves the gateway's event loop free and the process uses two cores.
// Written here (about a hundred lines) because the published dialects either pin an older
// PGlite or pull a code-generation CLI into production, and PGlite's own worker is built for
// browser tabs (leader election over BroadcastChannel).
//
// PGlite is one session. A transaction owns it from `begin` to `commit`/`rollback`: the
// worker runs only that connection's statements meanwhile (others queue, in order), so a
// transaction never interleaves with another caller's statements. Outside transactions,
// statements from many requests are in flight at once and run back to back in the worker.
import { Worker } from 'node:worker_threads';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import { type QueryAnswer, toError, type WorkerMessage, type WorkerRequest } from './pglite-protocol.ts';

type Pending = { resolve: (answer: QueryAnswer | undefined) => void; reject: (error: Error) => void };
type Operation = WorkerRequest extends infer R
  ? R extends WorkerRequest
    ? Omit<R, 'id' | 'conn'>
    : never
  : never;

/** The gateway's end of the worker: requests by id, answers as promises, notifications by listener. */
export class PGliteWorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<number, (payload: string) => void>();
  readonly ready: Promise<void>;
  #nextId = 1;
  #failure: Error | undefined;

  constructor(dataDir: string | undefined) {
    this.#worker = new Worker(new URL('./pglite-worker.ts', import.meta.url), {
      workerData: dataDir ? { dataDir } : {},
    });
    // Idle, the worker must not keep the process alive (an in-process PGlite did not);
    // with a request in flight it must, or the process could exit before the answer.
    this.#worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.#worker.on('message', (message: WorkerMessage) => {
        if ('ready' in message) resolve();
        else if ('failed' in message) reject(toError(message.failed));
        else if ('notification' in message) this.#listeners.get(message.notification)?.(message.payload);
        else this.#settle(message);
      });
      this.#worker.on('error', (error) => {
        this.#fail(error);
        reject(error);
      });
      this.#worker.on('exit', (code) => {
        this.#fail(new Error(`the PGlite worker exited (code ${code})`));
        reject(this.#failure);
      });
    });
  }

  #settle(message: Extract<WorkerMessage, { id: number }>): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (message.ok) pending.resolve(message.answer);
    else pending.reject(toError(message.error));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  request(conn: number, operation: Operation): Promise<QueryAnswer | undefined> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...operation, id, conn } as WorkerRequest);
    });
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    const listener = this.#nextId++;
    this.#listeners.set(listener, onPayload);
    await this.request(0, { op: 'listen', channel, listener });
    return async () => {
      this.#listeners.delete(listener);
      await this.request(0, { op: 'unlisten', listener });
    };
  }

  async close(): Promise<void> {
    if (!this.#failure) await this.request(0, { op: 'close' });
    await this.#worker.terminate();
  }
}

let connections = 0;

class PGliteConnection implements DatabaseConnection {
  readonly #client: PGliteWorkerClient;
  readonly id = ++connections;
  inTransaction = false;
  constructor(client: PGliteWorkerClient) {
    this.#client = client;
  }
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Parameterless statements go through the simple protocol so that a migration file
    // with several statements runs as one, exactly as it does over `pg`.
    const answer = (await this.#client.request(
      this.id,
      query.parameters.length === 0
        ? { op: 'exec', sql: query.sql }
        : { op: 'query', sql: query.sql, params: query.parameters as unknown[] },
    )) ?? { rows: [], fieldCount: 0 };
    const affected = answer.affectedRows;
    return {
      rows: answer.rows as R[],
      ...(affected !== undefined && answer.fieldCount === 0 ? { numAffectedRows: BigInt(affected) } : {}),
    };
  }
  async end(sql: 'commit' | 'rollback'): Promise<void> {
    this.inTransaction = false;
    await this.#client.request(this.id, { op: 'end', sql });
  }
  async begin(): Promise<void> {
    this.inTransaction = true;
    await this.#client.request(this.id, { op: 'begin' });
  }
  release(): void {
    if (this.inTransaction) void this.#client.request(this.id, { op: 'release' }).catch(() => {});
  }
  // biome-ignore lint/correctness/useYield: streaming is not offered by PGlite; fail loudly.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite driver does not support streaming queries');
  }
}

class PGliteDriver implements Driver {
  readonly #client: PGliteWorkerClient;
  constructor(client: PGliteWorkerClient) {
    this.#client = client;
  }
  async init(): Promise<void> {
    await this.#client.ready;
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new PGliteConnection(this.#client);
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).begin();
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).end('commit');
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).end('rollback');
  }
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PGliteConnection).release();
  }
  async destroy(): Promise<void> {
    // The owner of the worker closes it (see database.ts).
  }
}

export class PGliteDialect implements Dialect {
  readonly #client: PGliteWorkerClient;
  constructor(client: PGliteWorkerClient) {
    this.#client = client;
  }
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.#client);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}
