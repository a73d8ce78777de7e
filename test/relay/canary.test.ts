// Canary: a unique marker inside the plaintext of real sealed envelopes (bot answers and
// webhook pushes) must never appear — as is, or base64/base64url-encoded — in the relay's
// database, its logs, or any byte it received or sent (inbound HTTP/WebSocket captured at the
// socket; outbound calls to the gateway captured at fetch). The test of the test: the same
// journey with sealing switched off (the payload only signed and base64url-encoded) is caught.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { CompactSign } from 'jose';
import { sql } from 'kysely';
import {
  captureFetch,
  captureServer,
  containsMarker,
  dumpTables,
  type PlatformClient,
} from '../../src/relay/index.ts';
import { openEnvelope } from '../../src/seal/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import {
  BANK,
  pushSigned,
  registerDevice,
  relayDatabase,
  StreamClient,
  sealFor,
  startStubGateway,
  startTestRelay,
  type TestBank,
  testBank,
} from './support.ts';

/** What "sealing off" would look like: same header and signature, payload merely encoded. */
async function unsealed(bank: TestBank, sealed: string, payload: unknown): Promise<string> {
  const body = JSON.parse(Buffer.from(sealed.split('.')[1]!, 'base64url').toString('utf8'));
  body.ct = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return new CompactSign(Buffer.from(JSON.stringify(body)))
    .setProtectedHeader({ alg: 'EdDSA', kid: bank.kid, typ: 'proviso-envelope+jws' })
    .sign(bank.signingKey);
}

interface Findings {
  database: boolean;
  logs: boolean;
  inboundBytes: boolean;
  outboundBytes: boolean;
  openedOnDevice: boolean;
}

async function journey(sealing: boolean): Promise<Findings> {
  const marker = `CANARY-${randomUUID()}`;
  const bank = testBank();
  const gw = await startStubGateway([bank]);
  const db = await relayDatabase(pgliteBackend);
  const platform: PlatformClient = {
    startLink: async (i) => ({
      authorizationUrl: `${i.bank.issuer}/authorize?state=${i.state}`,
      pending: {},
    }),
    finishLink: async () => ({
      credentials: { access_token: 'at', dpop_jwk: null },
      sub: 'pw-canary',
      consent: 'c1_test',
    }),
    revoke: async () => {},
  };
  const relay = await startTestRelay(db.database, {
    banks: gw.banks,
    platform,
    gateway: {
      // Same HTTP path as production, without DPoP (the stub bot does not check it).
      botEvent: async ({ bank: b, event }) => {
        const res = await fetch(b.bot_events_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
        });
        return { ok: true, response: (await res.json()) as { envelopes: string[] } };
      },
    },
  });
  const inbound = captureServer(relay.app.server);
  const outbound = captureFetch((u) => u.origin === gw.url);
  try {
    const device = await registerDevice(relay);
    const api = (path: string, body: unknown) =>
      fetch(`${relay.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const start = (await (await api('/api/links', { bank: BANK })).json()) as { authorization_url: string };
    const state = new URL(start.authorization_url).searchParams.get('state')!;
    await fetch(`${relay.url}/link/callback?code=c&state=${state}`, { redirect: 'manual' });

    const secret = {
      accounts: [{ name: `Everyday ${marker}`, balance: { amount: '4711.00', currency: 'GBP' } }],
    };
    const answer = async (payload: unknown) => {
      const sealed = sealFor(bank, device, payload);
      return sealing ? sealed : unsealed(bank, sealed, payload);
    };
    const botEnvelope = await answer(secret);
    gw.state.bot = () => ({ status: 200, body: { envelopes: [botEnvelope] } });
    const stream = await StreamClient.connect(relay, device.token);
    await api('/api/messages', { bank: BANK, postback: 'BALANCE' });
    const pushed = await answer({ alert: `Card used at ${marker}` });
    assert.equal(
      (await pushSigned(relay, [{ sub: 'pw-canary', mid: 'm-canary', envelope: pushed }])).status,
      200,
    );
    const frames = await stream.waitForMessages(2);
    // Before the receipts: the ciphertext is in the relay's database now.
    const dumpBefore = await dumpTables((q) => sql.raw(q).execute(db.database.tables()));
    let openedOnDevice = false;
    if (sealing) {
      const opened = await openEnvelope(frames[0]!.envelope!, {
        deviceKey: device.keyPair,
        bankKeys: bank.jwks,
        expect: { bankId: BANK, consentCommitment: 'c1_test' },
      });
      openedOnDevice = JSON.stringify(opened.payload).includes(marker);
    }
    await stream.ack(frames.map((f) => f.id!));
    await stream.close();
    const dumpAfter = await dumpTables((q) => sql.raw(q).execute(db.database.tables()));
    return {
      database: containsMarker(dumpBefore, marker) || containsMarker(dumpAfter, marker),
      logs: containsMarker(relay.logs.join(''), marker),
      inboundBytes: containsMarker(inbound.bytes(), marker),
      outboundBytes: containsMarker(outbound.bytes(), marker),
      openedOnDevice,
    };
  } finally {
    inbound.stop();
    outbound.stop();
    await relay.close();
    await db.dispose();
    await gw.close();
  }
}

describe('relay canary', () => {
  after(() => {});

  it('with sealing on, the marker reaches the device and nowhere in the relay', async () => {
    const f = await journey(true);
    assert.equal(f.openedOnDevice, true, 'the device opened the marker: the canary really travelled');
    assert.deepEqual(
      { database: f.database, logs: f.logs, inboundBytes: f.inboundBytes, outboundBytes: f.outboundBytes },
      { database: false, logs: false, inboundBytes: false, outboundBytes: false },
    );
  });

  it('test of the test: with sealing off the same checks find the marker', async () => {
    const f = await journey(false);
    assert.equal(f.database, true, 'database dump');
    assert.equal(f.inboundBytes, true, 'bytes at the HTTP layer');
    assert.equal(f.outboundBytes, true, 'bytes of the gateway call');
  });
});
