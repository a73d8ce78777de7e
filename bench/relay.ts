// Relay throughput: signed webhook deliveries per second to connected devices (each
// delivery: HMAC check, strict validation, routing on the envelope header, the recipient
// lookup, the stored message, NOTIFY, push on the WebSocket, device receipt), beside a
// reference measured in the same run: a bare Fastify POST route that parses the same webhook
// body and sends each event as a frame on the device's WebSocket (no signature, schema or
// database), driven the same way (same senders, batch sizes, clients that ack each frame).
// Goal (issue #10): ≥ 2,000 deliveries/s webhook → device. PGlite, and PostgreSQL when
// reachable; bounded (about 4 s a figure).
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import {
  linkDevice,
  pushSigned,
  registerDevice,
  relayDatabase,
  StreamClient,
  sealFor,
  startTestRelay,
  testBank,
  webhookBatch,
} from '../test/relay/support.ts';
import {
  type Backend,
  pgliteBackend,
  postgresBackend,
  postgresUnavailable,
} from '../test/support/backends.ts';
import type { Measurement } from './lib/results.ts';

const GOAL = 2000;
const DEVICES = 20;
const SECONDS = 4;
/** (batch size, concurrent senders) */
const SHAPES: [number, number][] = (process.env['RELAY_BENCH_SHAPES'] ?? '1x8,1x32,20x8')
  .split(',')
  .map((shape) => shape.split('x').map(Number) as [number, number]);

type Event = { sub: string; mid: string; envelope: string };

interface Drive {
  /** Posts one webhook call. */
  post(events: Event[]): Promise<void>;
  /** Frames received by all devices so far. */
  received(): number;
}

async function drive(target: Drive, envelopes: string[], batch: number, senders: number) {
  const before = target.received();
  const deadline = Date.now() + SECONDS * 1000;
  const started = performance.now();
  let sent = 0;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: senders }, async (_, w) => {
      while (Date.now() < deadline) {
        const events = Array.from({ length: batch }, (_, j) => {
          const i = (w * 7 + sent + j) % DEVICES;
          return { sub: `bench-${i}`, mid: randomUUID(), envelope: envelopes[i]! };
        });
        const t = performance.now();
        await target.post(events);
        latencies.push(performance.now() - t);
        sent += events.length;
      }
    }),
  );
  // Every pushed message must reach its device; the rate counts until the last one did.
  const until = Date.now() + 15_000;
  while (target.received() - before < sent && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  const delivered = target.received() - before;
  if (delivered < sent) process.stderr.write(`  only ${delivered} of ${sent} frames arrived\n`);
  latencies.sort((a, b) => a - b);
  return {
    rate: Math.round(delivered / ((performance.now() - started) / 1000)),
    p50: Number((latencies[Math.floor(latencies.length / 2)] ?? 0).toFixed(2)),
  };
}

/** Device clients that ack each frame as it arrives, as the web client does. */
function acking(ws: WebSocket, count: () => void) {
  ws.addEventListener('message', (e) => {
    const frame = JSON.parse(String(e.data));
    if (frame.type !== 'message') return;
    count();
    ws.send(JSON.stringify({ type: 'ack', ids: [frame.id] }));
  });
}

/** The reference: the same webhook body in, a frame per event out, nothing else. */
async function bareReference() {
  const app = Fastify({ logger: false });
  await app.register(websocket);
  const sockets = new Map<string, { send(data: string): void }>();
  await app.register(async (scope) => {
    scope.get<{ Querystring: { sub: string } }>('/ws', { websocket: true }, (socket, request) => {
      sockets.set(request.query.sub, socket);
      socket.on('message', (data: Buffer) => JSON.parse(data.toString('utf8')));
    });
    scope.post<{ Body: ReturnType<typeof webhookBatch> }>('/bare', async (request) => {
      for (const entry of request.body.entry)
        for (const e of entry.messaging)
          sockets.get(e.recipient.id)?.send(
            JSON.stringify({
              type: 'message',
              id: e.message.mid,
              bank: entry.id,
              kind: 'envelope',
              envelope: e.message.envelope,
              created_at: new Date().toISOString(),
            }),
          );
      return { status: 'EVENT_RECEIVED' };
    });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let received = 0;
  const clients = await Promise.all(
    Array.from({ length: DEVICES }, async (_, i) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?sub=bench-${i}`);
      await once(ws as unknown as EventTarget, 'open');
      acking(ws, () => received++);
      return ws;
    }),
  );
  return {
    post: async (events: Event[]) => {
      const res = await fetch(`${url}/bare`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookBatch(events)),
      });
      if (res.status !== 200) throw new Error(`bare ${res.status}`);
      await res.text();
    },
    received: () => received,
    async close() {
      for (const ws of clients) ws.close();
      await app.close();
    },
  };
}

async function relayTarget(backend: Backend) {
  const db = await relayDatabase(backend);
  const relay = await startTestRelay(db.database);
  const bank = testBank();
  const devices = await Promise.all(Array.from({ length: DEVICES }, () => registerDevice(relay)));
  for (const [i, d] of devices.entries()) await linkDevice(relay, d.id, { sub: `bench-${i}` });
  let received = 0;
  const streams = await Promise.all(devices.map((d) => StreamClient.connect(relay, d.token)));
  for (const s of streams) acking(s.ws, () => received++);
  const envelopes = devices.map((d) =>
    sealFor(bank, d, { accounts: [{ balance: { amount: '1.00', currency: 'GBP' } }] }),
  );
  return {
    envelopes,
    relay,
    post: async (events: Event[]) => {
      const res = await pushSigned(relay, events);
      if (res.status !== 200) throw new Error(`webhook ${res.status}`);
    },
    received: () => received,
    async close() {
      await Promise.all(streams.map((s) => s.close()));
      await relay.close();
      await db.dispose();
    },
  };
}

export async function run(): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const backends = [pgliteBackend];
  // RELAY_BENCH_PGLITE_ONLY=1 for a CPU profile of the embedded setup alone.
  if (!process.env['RELAY_BENCH_PGLITE_ONLY'] && (await postgresUnavailable()) === null)
    backends.push(postgresBackend);
  const bare = await bareReference();
  try {
    for (const backend of backends) {
      const relay = await relayTarget(backend);
      try {
        for (const [batch, senders] of SHAPES) {
          // Reference first, then the relay, back to back: both see the same background load.
          const reference = await drive(bare, relay.envelopes, batch, senders);
          const before = relay.relay.store.deliveries.stats();
          const measured = await drive(relay, relay.envelopes, batch, senders);
          const after = relay.relay.store.deliveries.stats();
          const shape = `batch ${batch}, ${senders} senders, ${backend.name}`;
          const perRound = (k: 'lookups' | 'inserts' | 'receipts') =>
            (after[k].items - before[k].items) / Math.max(1, after[k].rounds - before[k].rounds);
          process.stderr.write(
            `  ${shape}: ${measured.rate}/s (goal ≥ ${GOAL}/s: ${measured.rate >= GOAL ? 'met' : 'not met'}); ` +
              `webhook calls per shared lookup ${perRound('lookups').toFixed(1)}, per shared insert ${perRound('inserts').toFixed(1)}; ` +
              `receipts per shared update ${perRound('receipts').toFixed(1)}\n`,
          );
          out.push(
            {
              benchmark: 'relay',
              metric: `webhook → device deliveries/s (${shape}; goal ≥ ${GOAL.toLocaleString('en-GB')}/s)`,
              value: measured.rate,
              unit: 'deliveries/s',
              baseline: { name: 'bare POST → WebSocket send', value: reference.rate },
            },
            {
              benchmark: 'relay',
              metric: `webhook call p50 latency (${shape})`,
              value: measured.p50,
              unit: 'ms',
              baseline: { name: 'bare POST → WebSocket send', value: reference.p50 },
            },
          );
        }
      } finally {
        await relay.close();
      }
    }
  } finally {
    await bare.close();
  }
  return out;
}

if (import.meta.main) {
  const { table } = await import('./lib/results.ts');
  const { withRatio } = await import('./lib/results.ts');
  console.log(table((await run()).map(withRatio)));
}
