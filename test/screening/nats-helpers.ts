// Shared by the NATS tests: the server every developer and CI runs, and cleanup after a test bank.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { AUTHORISATION_STREAM, authorisationSubject } from '../../src/screening/index.ts';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** Removes a test bank's messages and consumers from the shared NATS server. */
export async function cleanNats(bankId: string, durables: string[]): Promise<void> {
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for (const durable of durables) await jsm.consumers.delete(AUTHORISATION_STREAM, durable).catch(() => {});
    await jsm.streams.purge(AUTHORISATION_STREAM, { filter: authorisationSubject(bankId) }).catch(() => {});
  } finally {
    await nc.close();
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
