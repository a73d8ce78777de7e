// Device → relay → bank bot (DPoP-bound call with the pairwise sub) → sealed answers on the
// stream; consent ended at the bank → polite notice; link flow (PAR → callback → tokens
// sealed at rest) and unlink (revocation) through the PlatformClient seam.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  dpopAuthorizer,
  httpGatewayCaller,
  type Json,
  type PlatformClient,
  type RunningRelay,
} from '../../src/relay/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import {
  BANK,
  registerDevice,
  relayDatabase,
  StreamClient,
  sealFor,
  startStubGateway,
  startTestRelay,
  type TestBank,
  type TestDevice,
  testBank,
} from './support.ts';

describe('relay chat and link flow', () => {
  let db: Awaited<ReturnType<typeof relayDatabase>>;
  let relay: RunningRelay;
  let bank: TestBank;
  let gw: Awaited<ReturnType<typeof startStubGateway>>;
  let device: TestDevice;
  const platformCalls: string[] = [];
  const dpopJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

  const platform: PlatformClient = {
    async startLink(input) {
      platformCalls.push(`start:${input.bank.id}:${input.authorizationDetails[0]?.device_key}`);
      return {
        authorizationUrl: `${input.bank.issuer}/authorize?request_uri=urn:par:1&state=${input.state}`,
        pending: { code_verifier: 'verifier-xyz' },
      };
    },
    async finishLink(input) {
      platformCalls.push(
        `finish:${input.callbackUrl.searchParams.get('code')}:${(input.pending as { code_verifier: string }).code_verifier}`,
      );
      return {
        credentials: { access_token: 'AT-secret-token', dpop_jwk: dpopJwk as unknown as Json },
        sub: 'pw-sub-77',
        consent: 'c1_consent',
      };
    },
    async revoke(input) {
      platformCalls.push(`revoke:${(input.credentials as { access_token: string }).access_token}`);
    },
  };

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${relay.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${device.token}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });

  before(async () => {
    bank = testBank();
    gw = await startStubGateway([bank]);
    db = await relayDatabase(pgliteBackend);
    relay = await startTestRelay(db.database, {
      banks: gw.banks,
      platform,
      gateway: httpGatewayCaller(dpopAuthorizer),
    });
    device = await registerDevice(relay);
  });
  after(async () => {
    await relay?.close();
    await db?.dispose();
    await gw?.close();
  });

  it('device calls need the device token', async () => {
    const res = await fetch(`${relay.url}/api/links`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { type: string }).type, 'urn:proviso:problem:device-token-missing');
  });

  it('asking before linking is a 409 not-linked problem', async () => {
    const res = await api('/api/messages', {
      method: 'POST',
      body: JSON.stringify({ bank: BANK, postback: 'BALANCE' }),
    });
    assert.equal(res.status, 409);
  });

  it('links: PAR with the device key → bank URL; callback stores sealed tokens and returns to the chat', async () => {
    const start = await api('/api/links', { method: 'POST', body: JSON.stringify({ bank: BANK }) });
    assert.equal(start.status, 201);
    const { authorization_url } = (await start.json()) as { authorization_url: string };
    assert.ok(platformCalls.includes(`start:${BANK}:${Buffer.from(device.publicKey).toString('base64url')}`));
    const state = new URL(authorization_url).searchParams.get('state')!;
    const cb = await fetch(`${relay.url}/link/callback?code=the-code&state=${state}&iss=x`, {
      redirect: 'manual',
    });
    assert.equal(cb.status, 303);
    assert.equal(cb.headers.get('location'), `${relay.url}/?linked=${BANK}`);
    assert.ok(platformCalls.includes('finish:the-code:verifier-xyz'));
    const replay = await fetch(`${relay.url}/link/callback?code=the-code&state=${state}`, {
      redirect: 'manual',
    });
    assert.equal(replay.status, 400, 'a state is good once');
    const links = (await (await api('/api/links')).json()) as {
      links: { bank: string; status: string; consent: string }[];
    };
    assert.deepEqual(
      links.links.map((l) => [l.bank, l.status, l.consent]),
      [[BANK, 'active', 'c1_consent']],
    );
    const dump = JSON.stringify(
      await db.database.tables<{ relay_link: object }>().selectFrom('relay_link').selectAll().execute(),
    );
    assert.ok(!dump.includes('AT-secret-token'), 'tokens are sealed at rest');
    assert.ok(!dump.includes('verifier-xyz'), 'PKCE verifier is sealed at rest');
  });

  it('a button press becomes a DPoP-bound bot event; sealed answers arrive on the stream', async () => {
    const stream = await StreamClient.connect(relay, device.token);
    const envelope = sealFor(
      bank,
      device,
      { accounts: [{ name: 'Everyday', balance: { amount: '10.00', currency: 'GBP' } }] },
      { consent: 'c1_consent' },
    );
    gw.state.bot = () => ({ status: 200, body: { envelopes: [envelope], text: 'Here you go' } });
    const res = await api('/api/messages', {
      method: 'POST',
      body: JSON.stringify({ bank: BANK, postback: 'BALANCE' }),
    });
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as { status: string }).status, 'answered');
    const call = gw.state.calls.at(-1)!;
    assert.deepEqual(call.body, { sender: { id: 'pw-sub-77' }, postback: { payload: 'BALANCE' } });
    assert.equal(call.headers.authorization, 'DPoP AT-secret-token');
    const proof = String(call.headers.dpop);
    assert.equal(decodeProtectedHeader(proof).typ, 'dpop+jwt');
    const claims = decodeJwt(proof);
    assert.equal(claims['htm'], 'POST');
    assert.equal(claims['htu'], `${gw.url}/banks/${BANK}/bot/events`);
    assert.equal(claims['ath'], createHash('sha256').update('AT-secret-token').digest('base64url'));
    const frames = await stream.waitForMessages(2);
    assert.deepEqual(
      frames.map((f) => [f.kind, f.envelope ?? f.text]),
      [
        ['envelope', envelope],
        ['text', 'Here you go'],
      ],
    );
    await stream.ack(frames.map((f) => f.id!));
    await stream.close();
  });

  it('bad chat input is a 400 problem', async () => {
    for (const body of [
      { bank: BANK },
      { bank: BANK, text: 'a', postback: 'BALANCE' },
      { bank: BANK, postback: 'balance; drop' },
      { bank: BANK, text: 'x', extra: 1 },
    ]) {
      const res = await api('/api/messages', { method: 'POST', body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
  });

  it('consent revoked at the bank (401/403): the link ends and the chat says so politely', async () => {
    const stream = await StreamClient.connect(relay, device.token);
    gw.state.bot = () => ({
      status: 403,
      body: {
        type: 'urn:proviso:problem:consent-revoked',
        title: 'Consent revoked',
        status: 403,
        detail: 'revoked',
      },
    });
    const res = await api('/api/messages', {
      method: 'POST',
      body: JSON.stringify({ bank: BANK, postback: 'BALANCE' }),
    });
    assert.equal(((await res.json()) as { status: string }).status, 'link-ended');
    const [m] = await stream.waitForMessages(1);
    assert.equal(m?.kind, 'notice');
    assert.equal(m?.text, 'This link to Northwind Bank has ended. Link again?');
    const calls = gw.state.calls.length;
    const next = await api('/api/messages', {
      method: 'POST',
      body: JSON.stringify({ bank: BANK, text: 'balance?' }),
    });
    assert.equal(((await next.json()) as { status: string }).status, 'link-ended');
    assert.equal(gw.state.calls.length, calls, 'no call to the bank without a live link');
    await stream.close();
  });

  it('unlink revokes at the bank and ends the link', async () => {
    const start = await api('/api/links', { method: 'POST', body: JSON.stringify({ bank: BANK }) });
    const state = new URL(
      ((await start.json()) as { authorization_url: string }).authorization_url,
    ).searchParams.get('state')!;
    await fetch(`${relay.url}/link/callback?code=c2&state=${state}`, { redirect: 'manual' });
    const res = await api(`/api/links/${BANK}`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { bank: BANK, status: 'ended', revoked: true });
    assert.equal(platformCalls.at(-1), 'revoke:AT-secret-token');
    assert.equal((await api(`/api/links/${BANK}`, { method: 'DELETE' })).status, 404);
  });

  it('a bank error at the consent page returns to the chat with the reason', async () => {
    const start = await api('/api/links', { method: 'POST', body: JSON.stringify({ bank: BANK }) });
    const state = new URL(
      ((await start.json()) as { authorization_url: string }).authorization_url,
    ).searchParams.get('state')!;
    const cb = await fetch(`${relay.url}/link/callback?error=access_denied&state=${state}`, {
      redirect: 'manual',
    });
    assert.equal(cb.status, 303);
    assert.equal(cb.headers.get('location'), `${relay.url}/?bank=${BANK}&link_error=access_denied`);
  });

  it('publishes its URLs', async () => {
    const info = await (await fetch(`${relay.url}/.well-known/proviso-relay`)).json();
    assert.deepEqual(info, {
      url: relay.url,
      web_client_url: `${relay.url}/`,
      webhook_url: `${relay.url}/webhook`,
    });
  });
});
