// Webhook conventions (Messenger Platform style): challenge, X-Hub-Signature-256 over the raw
// body in constant time, strict events; every bad call is a 4xx problem and stores nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningRelay } from '../../src/relay/index.ts';
import { storageBackends } from '../support/backends.ts';
import {
  BANK,
  linkDevice,
  messageCount,
  postWebhook,
  pushSigned,
  registerDevice,
  relayDatabase,
  sealFor,
  signBody,
  startTestRelay,
  TEST_SECRETS,
  type TestBank,
  type TestDevice,
  testBank,
  webhookBatch,
} from './support.ts';

for (const backend of await storageBackends('relay webhook')) {
  describe(`relay webhook (${backend.name})`, () => {
    let db: Awaited<ReturnType<typeof relayDatabase>>;
    let relay: RunningRelay;
    let bank: TestBank;
    let device: TestDevice;
    let envelope: string;

    before(async () => {
      db = await relayDatabase(backend);
      relay = await startTestRelay(db.database);
      bank = testBank();
      device = await registerDevice(relay);
      await linkDevice(relay, device.id, { sub: 'pairwise-sub-1' });
      envelope = sealFor(bank, device, { accounts: [] });
    });
    after(async () => {
      await relay?.close();
      await db?.dispose();
    });

    const challenge = (q: Record<string, string>) => fetch(`${relay.url}/webhook?${new URLSearchParams(q)}`);

    it('GET answers hub.challenge for the right verify token', async () => {
      const res = await challenge({
        'hub.mode': 'subscribe',
        'hub.verify_token': TEST_SECRETS.verifyToken,
        'hub.challenge': 'c-123',
      });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'c-123');
    });

    it('GET with a wrong verify token, wrong mode or no challenge is a problem', async () => {
      const wrong = await challenge({
        'hub.mode': 'subscribe',
        'hub.verify_token': 'nope',
        'hub.challenge': 'c',
      });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(
        ((await wrong.json()) as { type: string }).type,
        'urn:proviso:problem:webhook-verify-token-invalid',
      );
      assert.equal(
        (
          await challenge({
            'hub.mode': 'unsubscribe',
            'hub.verify_token': TEST_SECRETS.verifyToken,
            'hub.challenge': 'c',
          })
        ).status,
        400,
      );
      assert.equal(
        (await challenge({ 'hub.mode': 'subscribe', 'hub.verify_token': TEST_SECRETS.verifyToken })).status,
        400,
      );
    });

    const bad: [string, () => { body: string; headers: Record<string, string> }, number, string][] = [
      [
        'no signature',
        () => ({
          body: JSON.stringify(webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope }])),
          headers: {},
        }),
        401,
        'webhook-signature-missing',
      ],
      [
        'a malformed signature header',
        () => ({
          body: JSON.stringify(webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope }])),
          headers: { 'x-hub-signature-256': 'sha1=abc' },
        }),
        401,
        'webhook-signature-malformed',
      ],
      [
        'a signature with the wrong secret',
        () => {
          const body = JSON.stringify(webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope }]));
          return { body, headers: { 'x-hub-signature-256': signBody(body, 'not-the-secret-of-any-bank') } };
        },
        403,
        'webhook-signature-invalid',
      ],
      [
        'a signature over other bytes (body changed after signing)',
        () => {
          const body = JSON.stringify(webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope }]));
          return { body: body.replace('"m1"', '"m2"'), headers: { 'x-hub-signature-256': signBody(body) } };
        },
        403,
        'webhook-signature-invalid',
      ],
      [
        "another bank's secret for this bank's entry",
        () => {
          const body = JSON.stringify(webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope }]));
          return {
            body,
            headers: { 'x-hub-signature-256': signBody(body, TEST_SECRETS.appSecrets['fjord']) },
          };
        },
        403,
        'webhook-entry-bank-mismatch',
      ],
      ...(
        [
          ['an unknown field', (b: Record<string, unknown>) => ({ ...b, extra: 1 }), 400, 'invalid-request'],
          [
            'object is not proviso',
            (b: Record<string, unknown>) => ({ ...b, object: 'page' }),
            400,
            'invalid-request',
          ],
          ['no entries', (b: Record<string, unknown>) => ({ ...b, entry: [] }), 400, 'invalid-request'],
        ] as const
      ).map(
        ([name, mutate, status, slug]) =>
          [
            name,
            () => {
              const body = JSON.stringify(
                mutate(webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope }])),
              );
              return { body, headers: { 'x-hub-signature-256': signBody(body) } };
            },
            status,
            slug,
          ] as [string, () => { body: string; headers: Record<string, string> }, number, string],
      ),
      [
        'malformed JSON (signed)',
        () => ({ body: '{"object":', headers: { 'x-hub-signature-256': signBody('{"object":') } }),
        400,
        'malformed-json',
      ],
      [
        'a sender that is not the bank',
        () => {
          const b = webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope }]);
          b.entry[0]!.messaging[0]!.sender.id = 'someone-else';
          const body = JSON.stringify(b);
          return { body, headers: { 'x-hub-signature-256': signBody(body) } };
        },
        422,
        'webhook-sender-mismatch',
      ],
      [
        'an envelope that is not a JWS',
        () => {
          const body = JSON.stringify(
            webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope: '{"balance": 12}' }]),
          );
          return { body, headers: { 'x-hub-signature-256': signBody(body) } };
        },
        422,
        'webhook-envelope-malformed',
      ],
      [
        'an unknown recipient, even next to a good event (nothing of the batch is stored)',
        () => {
          const body = JSON.stringify(
            webhookBatch([
              { sub: 'pairwise-sub-1', mid: 'good-1', envelope },
              { sub: 'nobody', mid: 'm2', envelope },
            ]),
          );
          return { body, headers: { 'x-hub-signature-256': signBody(body) } };
        },
        422,
        'webhook-unknown-recipient',
      ],
      [
        'a repeated mid within the batch',
        () => {
          const body = JSON.stringify(
            webhookBatch([
              { sub: 'pairwise-sub-1', mid: 'same', envelope },
              { sub: 'pairwise-sub-1', mid: 'same', envelope },
            ]),
          );
          return { body, headers: { 'x-hub-signature-256': signBody(body) } };
        },
        422,
        'webhook-duplicate-mid',
      ],
      [
        'an oversized body',
        () => {
          const body = JSON.stringify(
            webhookBatch([{ sub: 'pairwise-sub-1', mid: 'm1', envelope: 'x'.repeat(1_100_000) }]),
          );
          return { body, headers: { 'x-hub-signature-256': signBody(body) } };
        },
        413,
        'body-too-large',
      ],
      [
        'a non-JSON content type',
        () => ({
          body: 'object=proviso',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-hub-signature-256': signBody('object=proviso'),
          },
        }),
        415,
        'unsupported-media-type',
      ],
    ];

    for (const [name, make, status, slug] of bad) {
      it(`refuses ${name} with ${status} ${slug} and stores nothing`, async () => {
        const { body, headers } = make();
        const res = await postWebhook(relay, body, headers);
        assert.equal(res.status, status, JSON.stringify(res.json));
        assert.match(res.type, /^application\/problem\+json/);
        assert.equal(res.json['type'], `urn:proviso:problem:${slug}`);
        assert.equal(typeof res.json['detail'], 'string');
        assert.equal(await messageCount(db.database), 0);
      });
    }

    it('an envelope sealed to a key the recipient does not hold is refused', async () => {
      const other = await registerDevice(relay);
      const res = await pushSigned(relay, [
        { sub: 'pairwise-sub-1', mid: 'm-x', envelope: sealFor(bank, other, {}) },
      ]);
      assert.equal(res.status, 422);
      assert.equal(res.json['type'], 'urn:proviso:problem:webhook-wrong-recipient-key');
      assert.equal(await messageCount(db.database), 0);
    });

    it('accepts a correctly signed batch, stores it once, and treats a retry as a duplicate', async () => {
      const events = [
        { sub: 'pairwise-sub-1', mid: 'mid-1', envelope },
        { sub: 'pairwise-sub-1', mid: 'mid-2', envelope: sealFor(bank, device, { accounts: [1] }) },
      ];
      const first = await pushSigned(relay, events);
      assert.equal(first.status, 200, JSON.stringify(first.json));
      assert.deepEqual(first.json, { status: 'EVENT_RECEIVED', received: 2, stored: 2, duplicates: 0 });
      const retry = await pushSigned(relay, events);
      assert.deepEqual(retry.json, { status: 'EVENT_RECEIVED', received: 2, stored: 0, duplicates: 2 });
      assert.equal(await messageCount(db.database), 2);
      const rows = await db.database
        .tables<{ relay_message: { device_id: string; bank_id: string; envelope: string; mid: string } }>()
        .selectFrom('relay_message')
        .selectAll()
        .orderBy('mid')
        .execute();
      assert.deepEqual(
        rows.map((r) => [
          r.device_id,
          r.bank_id,
          r.mid,
          r.envelope === envelope || r.envelope === events[1]!.envelope,
        ]),
        [
          [device.id, BANK, 'mid-1', true],
          [device.id, BANK, 'mid-2', true],
        ],
      );
    });
  });
}
