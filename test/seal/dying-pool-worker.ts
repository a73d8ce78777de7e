// A sealing-pool worker for the pool tests that dies on purpose: the first `dieTimes` batches
// any worker receives (counted across workers in a SharedArrayBuffer) end it with an uncaught
// error before the real worker (src/seal/pool-worker.ts) can answer them.
import { parentPort, workerData } from 'node:worker_threads';

const { counter, dieTimes } = workerData as { counter: SharedArrayBuffer; dieTimes: number };
const batches = new Int32Array(counter);
const port = parentPort;
if (!port) throw new Error('a worker thread only');

// The real worker's message listener, wrapped: a batch that is to kill the worker never reaches it.
const on = port.on.bind(port);
port.on = ((event: string, listener: (message: { kind: string }) => void) =>
  on(event, (message: { kind: string }) => {
    if (message.kind === 'batch' && Atomics.add(batches, 0, 1) < dieTimes)
      throw new Error('this sealing worker dies on purpose (test)');
    listener(message);
  })) as typeof port.on;

await import('../../src/seal/pool-worker.ts');
