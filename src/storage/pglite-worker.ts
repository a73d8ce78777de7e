// The worker thread that owns the embedded PGlite database. PGlite is PostgreSQL compiled to
// wasm: each statement runs synchronously on the thread that calls it. On the gateway's
// thread it took 58–65 % of the CPU under load and kept the process on one core; here it runs
// beside the event loop, which is left to HTTP, DPoP, Cedar and sealing.
//
// Requests run one at a time in arrival order, except that while a connection owns the
// database (between its `begin` and `end`) only its own requests (and the handle's notify,
// listen, unlisten) run; the others wait, in order. Several queries may be in flight from the gateway at once, so the worker goes from
// one statement to the next without waiting for a round trip.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import {
  errorData,
  INT8_OID,
  NUMERIC_OID,
  parseInt8,
  type QueryAnswer,
  type WorkerMessage,
  type WorkerRequest,
} from './pglite-protocol.ts';

function workerPort(): MessagePort {
  if (!parentPort) throw new Error('pglite-worker.ts runs as a worker thread');
  return parentPort;
}
const port = workerPort();
const { dataDir } = workerData as { dataDir?: string };

const post = (message: WorkerMessage) => port.postMessage(message);

let lite: PGlite;
try {
  lite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [INT8_OID]: parseInt8, [NUMERIC_OID]: (v: string) => v },
  });
} catch (error) {
  post({ failed: errorData(error) });
  throw error;
}

const queue: WorkerRequest[] = [];
const unlisteners = new Map<number, () => Promise<void>>();
let owner = 0;
let running = false;

function answer(result: { rows: unknown[]; fields: unknown[]; affectedRows?: number }): QueryAnswer {
  return { rows: result.rows, affectedRows: result.affectedRows, fieldCount: result.fields.length };
}

async function run(request: WorkerRequest): Promise<QueryAnswer | undefined> {
  switch (request.op) {
    case 'query':
      return answer(await lite.query(request.sql, request.params));
    case 'exec': {
      // The simple protocol: a migration file with several statements runs as one.
      const last = (await lite.exec(request.sql)).at(-1);
      return last ? answer(last) : { rows: [], fieldCount: 0 };
    }
    case 'begin':
      await lite.exec('begin');
      owner = request.conn;
      return undefined;
    case 'end':
      try {
        await lite.exec(request.sql);
      } finally {
        owner = 0;
      }
      return undefined;
    case 'release':
      // A connection released while it still owned the database (its commit and rollback
      // both failed to arrive): end the transaction rather than block everyone for good.
      if (owner === request.conn) {
        owner = 0;
        await lite.exec('rollback').catch(() => {});
      }
      return undefined;
    case 'notify':
      await lite.query('select pg_notify($1, $2)', [request.channel, request.payload]);
      return undefined;
    case 'listen': {
      const { listener } = request;
      unlisteners.set(
        listener,
        await lite.listen(request.channel, (payload) => post({ notification: listener, payload })),
      );
      return undefined;
    }
    case 'unlisten':
      await unlisteners.get(request.listener)?.();
      unlisteners.delete(request.listener);
      return undefined;
    case 'close':
      await lite.close();
      return undefined;
  }
}

/**
 * The next request allowed to run: the first in line; while a connection owns the session,
 * the first that is the owner's or the handle's own (notify, listen: a caller may await them
 * inside a transaction, and must not wait for that transaction's end).
 */
function next(): WorkerRequest | undefined {
  const index = owner === 0 ? 0 : queue.findIndex((r) => r.conn === owner || r.conn === 0);
  if (index < 0) return undefined;
  return queue.splice(index, 1)[0];
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  try {
    for (let request = next(); request; request = next()) {
      try {
        const result = await run(request);
        post(result ? { id: request.id, ok: true, answer: result } : { id: request.id, ok: true });
      } catch (error) {
        post({ id: request.id, ok: false, error: errorData(error) });
      }
      if (request.op === 'close') {
        port.close();
        return;
      }
    }
  } finally {
    running = false;
  }
}

port.on('message', (request: WorkerRequest) => {
  queue.push(request);
  void drain();
});
post({ ready: true });
