// The gateway's "link ended" notice to the relay: sent for a revocation by the customer or the
// bank and for an expiry, once the change is stored, signed like the alert push; never for a
// revocation the platform asked for, never for a change that did not happen (vetoed or not
// stored), never blocking the consent change itself.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { ConsentEvent, ConsentRecord } from '../../src/consent/index.ts';
import { webhookSignature } from '../../src/gateway/alerts.ts';
import { relayLinkNotices, unlinkedEvent } from '../../src/gateway/relay-events.ts';

const received: { headers: IncomingMessage['headers']; body: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
let url = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const status = new Map<string, ConsentRecord['status']>();
const errors: unknown[] = [];
const inner: ConsentEvent[] = [];
const events = relayLinkNotices(
  {
    async emit(e) {
      if (e.consentId === 'c_veto') throw new Error('not recorded');
      inner.push(e);
    },
  },
  {
    relay: () => ({ url, secret: (bank) => `secret-${bank}` }),
    pairwiseSubject: async (bank, platform, customer) => `pw-${bank}-${platform}-${customer}`,
    consent: async (id) => (status.has(id) ? ({ id, status: status.get(id) } as ConsentRecord) : null),
    onError: (e) => errors.push(e),
  },
);

const event = (consentId: string, kind: ConsentEvent['kind'], by?: ConsentEvent['by']): ConsentEvent => ({
  kind,
  consentId,
  bankId: 'northwind',
  platform: 'proviso-chat',
  customerId: 'cus_1',
  purposes: [],
  clusters: [],
  expiresAt: null,
  at: new Date(),
  ...(by ? { by } : {}),
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
}

test('a customer revocation is announced once stored, signed with the bank app secret', async () => {
  status.set('c_1', 'authorised');
  await events.emit(event('c_1', 'revoked', 'customer'));
  assert.equal(inner.length, 1, 'the inner sink got the event first');
  // Stored a little later, as the consent store does after the event.
  setTimeout(() => status.set('c_1', 'revoked'), 200);
  await until(() => received.length === 1);
  const [call] = received;
  assert.ok(call);
  assert.equal(call.headers['x-hub-signature-256'], webhookSignature('secret-northwind', call.body));
  const sent = JSON.parse(call.body);
  const expected = unlinkedEvent('northwind', 'pw-northwind-proviso-chat-cus_1', 'c_1', 'revoked');
  assert.deepEqual(
    sent.entry[0].messaging[0].account_linking,
    expected.entry[0]!.messaging[0]!.account_linking,
  );
  assert.equal(sent.entry[0].messaging[0].recipient.id, 'pw-northwind-proviso-chat-cus_1');
});

test('nothing is announced for the platform’s own unlink, other kinds, a veto, or a change never stored', async () => {
  const before = received.length;
  status.set('c_platform', 'revoked');
  await events.emit(event('c_platform', 'revoked', 'platform'));
  status.set('c_auth', 'authorised');
  await events.emit(event('c_auth', 'authorised'));
  await assert.rejects(events.emit(event('c_veto', 'revoked', 'customer')), /not recorded/);
  status.set('c_never', 'authorised');
  await events.emit(event('c_never', 'revoked', 'bank'));
  // An expiry that is stored is announced: it shows the sender is working while the others stay silent.
  status.set('c_exp', 'expired');
  await events.emit(event('c_exp', 'expired'));
  await until(() => received.length > before);
  // The unstored revocation gives up after its wait; give it that long, then count.
  await new Promise((r) => setTimeout(r, 5500));
  const sent = received.slice(before).map((c) => JSON.parse(c.body).entry[0].messaging[0].account_linking);
  assert.deepEqual(sent, [{ status: 'unlinked', consent: 'c_exp', reason: 'expired' }]);
  assert.deepEqual(errors, []);
});
