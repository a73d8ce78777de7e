// Device key rotation under an existing consent: only a request sealed with the consent's
// current device key is accepted; afterwards the bank seals to the new key only.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { linkToJson } from '../../src/platform-client/index.ts';
import { dpopAuthorizer, type Json } from '../../src/relay/index.ts';
import {
  exportX25519PublicKey,
  generateHpkeKeyPair,
  type JsonWebKeySet,
  openEnvelope,
  sealReply,
  toBase64Url,
} from '../../src/seal/index.ts';
import { pgliteBackend } from '../support/backends.ts';
import { type Linked, linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

let t: TestGateway;
let oldKey: CryptoKeyPair;
let linked: Linked;
let jwks: JsonWebKeySet;
const b64 = async (k: CryptoKeyPair) => toBase64Url(await exportX25519PublicKey(k.publicKey));

before(async () => {
  t = await startTestGateway(pgliteBackend, 2);
  oldKey = await generateHpkeKeyPair();
  linked = await linkCustomer(t, {
    purposes: ['balance_inquiry'],
    clusters: ['accounts', 'balances'],
    deviceKey: await b64(oldKey),
  });
  jwks = (await (await fetch(`${t.gw.url}/banks/northwind/jwks.json`)).json()) as JsonWebKeySet;
});
after(() => t?.close());

async function call(method: string, url: string, body: unknown): Promise<Response> {
  const auth = await dpopAuthorizer((await linkToJson(linked.link)) as unknown as Json, method, url);
  return fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(body),
  });
}

async function rotationRequest(signer: CryptoKeyPair, newKey: CryptoKeyPair): Promise<string> {
  const bankHpke = jwks.keys.find((k) => k.kty === 'OKP' && k.crv === 'X25519')!;
  return sealReply({
    deviceKey: signer,
    bankPublicKey: String(bankHpke.x),
    bankId: 'northwind',
    consentCommitment: linked.link.consentId,
    purpose: 'balance_inquiry',
    log: 0,
    inReplyTo: linked.link.consentId,
    type: 'device-key',
    payload: { new_device_key: await b64(newKey) },
  });
}

test('a request sealed by another key is refused; the consent keeps its key', async () => {
  const url = `${t.gw.url}/banks/northwind/consents/${linked.link.consentId}/device-key`;
  const intruder = await generateHpkeKeyPair();
  const res = await call('PUT', url, { request: await rotationRequest(intruder, intruder) });
  assert.equal(res.status, 422);
  assert.match(((await res.json()) as { type: string }).type, /device-key-request-refused/);
  assert.equal((await t.gw.consent.store.get(linked.link.consentId))?.deviceKey, await b64(oldKey));
  const other = await call('PUT', `${t.gw.url}/banks/northwind/consents/someone-else/device-key`, {
    request: await rotationRequest(oldKey, intruder),
  });
  assert.equal(other.status, 403);
});

test('rotation with the current key: later answers open with the new key only', async () => {
  const newKey = await generateHpkeKeyPair();
  const url = `${t.gw.url}/banks/northwind/consents/${linked.link.consentId}/device-key`;
  const res = await call('PUT', url, { request: await rotationRequest(oldKey, newKey) });
  assert.equal(res.status, 200, await res.clone().text());
  const bot = `${t.gw.url}/banks/northwind/bot/events`;
  const answer = (await (
    await call('POST', bot, { sender: { id: linked.link.subject }, postback: { payload: 'BALANCE' } })
  ).json()) as { envelopes: string[] };
  const expect = { bankId: 'northwind', consentCommitment: linked.link.consentId };
  const opened = await openEnvelope(answer.envelopes[0]!, { deviceKey: newKey, bankKeys: jwks, expect });
  assert.equal(opened.header.type, 'balance');
  await assert.rejects(openEnvelope(answer.envelopes[0]!, { deviceKey: oldKey, bankKeys: jwks, expect }));
  // The old key can no longer rotate it.
  const again = await call('PUT', url, { request: await rotationRequest(oldKey, oldKey) });
  assert.equal(again.status, 422);
});
