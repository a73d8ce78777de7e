// The relay answers a client's garbage with a 4xx, never a 502 (issue 11, point 3): when the
// bank refuses, with a 4xx, a request the device wrote itself (its sealed key rotation),
// the device gets a 422 problem naming the refusal; a bank that fails on its own side is
// still a 502.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { RunningRelay } from '../../src/relay/index.ts';
import { BankRefusedRequestError, type PlatformClient } from '../../src/relay/platform.ts';
import { pgliteBackend } from '../support/backends.ts';
import { linkDevice, registerDevice, relayDatabase, startTestRelay, type TestDevice } from './support.ts';

let db: Awaited<ReturnType<typeof relayDatabase>>;
let relay: RunningRelay;
let device: TestDevice;
let bankAnswer: Error = new Error('unset');
const platform: PlatformClient = {
  async startLink() {
    throw new Error('not used');
  },
  async finishLink() {
    throw new Error('not used');
  },
  async revoke() {},
  async rotateDeviceKey() {
    throw bankAnswer;
  },
};

before(async () => {
  db = await relayDatabase(pgliteBackend);
  relay = await startTestRelay(db.database, { platform });
  device = await registerDevice(relay);
  await linkDevice(relay, device.id, { sub: 'sub-rot' });
});
after(async () => {
  await relay?.close();
  await db?.dispose();
});

const rotate = () =>
  fetch(`${relay.url}/api/devices/key`, {
    method: 'POST',
    headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      public_key: randomBytes(32).toString('base64url'),
      requests: [{ bank: 'northwind', request: 'garbage, not a sealed request' }],
    }),
  });

test("the bank's 4xx to the device's own sealed request is a 422 problem, not a 502", async () => {
  bankAnswer = new BankRefusedRequestError(400, 'the rotation request is not a sealed envelope');
  const res = await rotate();
  assert.equal(res.status, 422);
  assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  const body = await res.json();
  assert.equal(body.type, 'urn:proviso:problem:rotation-request-refused');
  assert.match(body.detail, /not a sealed envelope/);
  assert.equal(body.bankStatus, 400);
});

test('a bank failing on its own side is still a 502', async () => {
  bankAnswer = new Error('the bank answered 500');
  const res = await rotate();
  assert.equal(res.status, 502);
  assert.equal((await res.json()).type, 'urn:proviso:problem:bank-refused-rotation');
});
