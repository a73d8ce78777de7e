// Relay throughput: signed webhook deliveries per second to connected devices (each
// delivery: HMAC check, strict validation, routing on the envelope header, one transaction,
// NOTIFY, push on the WebSocket, device receipt). PGlite, one relay instance, bounded < 30 s.
import { randomUUID } from 'node:crypto';
import {
  linkDevice,
  pushSigned,
  registerDevice,
  relayDatabase,
  StreamClient,
  sealFor,
  startTestRelay,
  testBank,
} from '../test/relay/support.ts';
import { pgliteBackend } from '../test/support/backends.ts';

interface Measurement {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
}

export async function run(): Promise<Measurement[]> {
  const db = await relayDatabase(pgliteBackend);
  const relay = await startTestRelay(db.database);
  const bank = testBank();
  const devices = await Promise.all(Array.from({ length: 20 }, () => registerDevice(relay)));
  for (const [i, d] of devices.entries()) await linkDevice(relay, d.id, { sub: `bench-${i}` });
  const streams = await Promise.all(devices.map((d) => StreamClient.connect(relay, d.token)));
  // Acks as they arrive, as a device would.
  for (const s of streams)
    s.ws.addEventListener('message', (e) => {
      const f = JSON.parse(String(e.data));
      if (f.type === 'message') s.ws.send(JSON.stringify({ type: 'ack', ids: [f.id] }));
    });
  const envelopes = devices.map((d) =>
    sealFor(bank, d, { accounts: [{ balance: { amount: '1.00', currency: 'GBP' } }] }),
  );
  const out: Measurement[] = [];
  try {
    for (const batch of [1, 20]) {
      const deadline = Date.now() + 8000;
      const before = streams.reduce((n, s) => n + s.messages().length, 0);
      const started = performance.now();
      let sent = 0;
      const latencies: number[] = [];
      const workers = Array.from({ length: 8 }, async (_, w) => {
        while (Date.now() < deadline) {
          const events = Array.from({ length: batch }, (_, j) => {
            const i = (w * 7 + sent + j) % devices.length;
            return { sub: `bench-${i}`, mid: randomUUID(), envelope: envelopes[i]! };
          });
          const t = performance.now();
          const res = await pushSigned(relay, events);
          if (res.status !== 200) throw new Error(`webhook ${res.status}`);
          latencies.push(performance.now() - t);
          sent += events.length;
        }
      });
      await Promise.all(workers);
      // Wait until every pushed message reached its device.
      const until = Date.now() + 10_000;
      while (streams.reduce((n, s) => n + s.messages().length, 0) - before < sent && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      const delivered = streams.reduce((n, s) => n + s.messages().length, 0) - before;
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      out.push(
        {
          benchmark: 'relay',
          metric: `webhook deliveries/s to connected devices (batch ${batch}, 8 senders, PGlite)`,
          value: Math.round(delivered / seconds),
          unit: 'deliveries/s',
        },
        {
          benchmark: 'relay',
          metric: `webhook call p50 latency (batch ${batch})`,
          value: Number((latencies[Math.floor(latencies.length / 2)] ?? 0).toFixed(2)),
          unit: 'ms',
        },
      );
    }
  } finally {
    await Promise.all(streams.map((s) => s.close()));
    await relay.close();
    await db.dispose();
  }
  return out;
}

if (import.meta.main) console.table(await run());
