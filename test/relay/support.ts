// Shared pieces of the relay tests: a fresh relay database per backend, a bank with a real
// signing key and sealer, a stub gateway (discovery, JWKS with CORS, bot endpoint), a
// started relay, a linked device, signed webhook calls and a WebSocket device client.
import { createHmac, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { JWK } from 'jose';
import {
  type BankInfo,
  type GatewayCaller,
  type PlatformClient,
  type RelaySecrets,
  type RunningRelay,
  readRelayConfig,
  startRelay,
  staticDirectory,
} from '../../src/relay/index.ts';
import {
  createSealer,
  exportX25519PublicKey,
  generateHpkeKeyPair,
  keyThumbprint,
  type Sealer,
} from '../../src/seal/index.ts';
import { type Database, openDatabase } from '../../src/storage/index.ts';
import { type Backend, createPostgresDatabase } from '../support/backends.ts';

export const BANK = 'northwind';

/** A fresh, empty database (the relay migrates it itself). */
export async function relayDatabase(
  backend: Backend,
): Promise<{ database: Database; url?: string; dispose(): Promise<void> }> {
  if (backend.name === 'pglite') {
    const database = await openDatabase();
    return { database, dispose: () => database.close() };
  }
  const created = await createPostgresDatabase();
  const database = await openDatabase({ url: created.url });
  return {
    database,
    url: created.url,
    async dispose() {
      await database.close();
      await created.drop();
    },
  };
}

export interface TestBank {
  id: string;
  signingKey: KeyObject;
  kid: string;
  jwks: { keys: JWK[] };
  sealer: Sealer;
}

export function testBank(id = BANK): TestBank {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = `${id}-sig-1`;
  return {
    id,
    signingKey: privateKey,
    kid,
    jwks: { keys: [{ ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'EdDSA', use: 'sig' }] },
    sealer: createSealer({ signingKey: { key: privateKey, kid, alg: 'EdDSA' }, bankId: id }),
  };
}

export type BotHandler = (req: { headers: IncomingMessage['headers']; body: unknown; bankId: string }) => {
  status: number;
  body: unknown;
};

/** A stub of the bank gateway: discovery, JWKS (with CORS, as devices fetch it) and the bot. */
export async function startStubGateway(
  banks: TestBank[],
  bot: BotHandler = () => ({ status: 200, body: { envelopes: [] } }),
) {
  const state = {
    bot,
    calls: [] as { headers: IncomingMessage['headers']; body: unknown; bankId: string }[],
  };
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const json = (status: number, body: unknown, type = 'application/json') =>
      res
        .writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' })
        .end(JSON.stringify(body));
    if (url.pathname === '/.well-known/proviso')
      return json(200, { banks: banks.map((b) => bankInfo(base, b.id)) });
    const m = /^\/banks\/([^/]+)\/(jwks\.json|bot\/events)$/.exec(url.pathname);
    const bank = banks.find((b) => b.id === m?.[1]);
    if (!m || !bank)
      return json(
        404,
        { type: 'about:blank', title: 'nope', status: 404, detail: 'nope' },
        'application/problem+json',
      );
    if (m[2] === 'jwks.json') return json(200, bank.jwks);
    const call = {
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      bankId: bank.id,
    };
    state.calls.push(call);
    const out = state.bot(call);
    return json(out.status, out.body, out.status >= 400 ? 'application/problem+json' : 'application/json');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    state,
    banks: banks.map((b) => bankInfo(base, b.id)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export function bankInfo(base: string, id: string): BankInfo {
  return {
    id,
    name: id === 'northwind' ? 'Northwind Bank' : id,
    issuer: `${base}/banks/${id}`,
    jwks_uri: `${base}/banks/${id}/jwks.json`,
    bot_events_url: `${base}/banks/${id}/bot/events`,
  };
}

export const TEST_SECRETS: RelaySecrets = {
  relayKey: randomBytes(32),
  verifyToken: 'verify-token-for-tests-0123456789',
  appSecrets: { [BANK]: 'northwind-app-secret-for-tests', fjord: 'fjord-app-secret-for-tests-xyz' },
};

export interface StartOptions {
  banks?: BankInfo[];
  platform?: PlatformClient;
  gateway?: GatewayCaller;
  pollMs?: number;
  webDist?: string;
  buildWeb?: boolean;
  gatewayUrl?: string;
}

export async function startTestRelay(
  database: Database,
  o: StartOptions = {},
): Promise<RunningRelay & { logs: string[] }> {
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _e, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = {
    ...readRelayConfig({}),
    port: 0,
    logLevel: 'info',
    buildWeb: o.buildWeb ?? false,
    pollMs: o.pollMs ?? 0,
    ...(o.webDist ? { webDist: o.webDist } : { webDist: '/nonexistent-web-dist' }),
    ...(o.gatewayUrl ? { gatewayUrl: o.gatewayUrl } : {}),
  };
  const relay = await startRelay(config, {
    database,
    secrets: TEST_SECRETS,
    directory: staticDirectory(
      o.banks ?? [bankInfo('http://127.0.0.1:9', BANK), bankInfo('http://127.0.0.1:9', 'fjord')],
    ),
    logStream,
    ...(o.platform ? { platform: o.platform } : {}),
    ...(o.gateway ? { gateway: o.gateway } : {}),
  });
  return Object.assign(relay, { logs });
}

export interface TestDevice {
  id: string;
  token: string;
  keyPair: CryptoKeyPair;
  publicKey: Uint8Array;
  thumbprint: string;
}

/** Registers a device over HTTP (as the web client does). */
export async function registerDevice(relay: RunningRelay): Promise<TestDevice> {
  const keyPair = await generateHpkeKeyPair();
  const publicKey = await exportX25519PublicKey(keyPair.publicKey);
  const res = await fetch(`${relay.url}/api/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ public_key: Buffer.from(publicKey).toString('base64url') }),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { device_id: string; token: string; key_thumbprint: string };
  if (body.key_thumbprint !== (await keyThumbprint(publicKey))) throw new Error('thumbprint mismatch');
  return { id: body.device_id, token: body.token, keyPair, publicKey, thumbprint: body.key_thumbprint };
}

/** Makes (device, bank) an active link under `sub`, as a completed OAuth flow would. */
export async function linkDevice(
  relay: RunningRelay,
  deviceId: string,
  o: { bank?: string; sub: string; consent?: string; credentials?: unknown },
): Promise<void> {
  const { sealJson } = await import('../../src/relay/secrets.ts');
  const linkId = await relay.store.createPendingLink(
    deviceId,
    o.bank ?? BANK,
    randomBytes(16).toString('hex'),
  );
  await relay.store.activateLink(linkId, {
    credentialsSealed: sealJson(
      relay.secrets.relayKey,
      o.credentials ?? { access_token: 'at' },
      `relay-link-credentials:${linkId}`,
    ),
    sub: o.sub,
    consent: o.consent ?? 'c1_test',
  });
}

export function signBody(body: string, secret = TEST_SECRETS.appSecrets[BANK]!): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function webhookBatch(events: { sub: string; mid: string; envelope: string }[], bank = BANK) {
  return {
    object: 'proviso',
    entry: [
      {
        id: bank,
        time: Date.now(),
        messaging: events.map((e) => ({
          sender: { id: bank },
          recipient: { id: e.sub },
          timestamp: Date.now(),
          message: { mid: e.mid, envelope: e.envelope },
        })),
      },
    ],
  };
}

export async function postWebhook(
  relay: RunningRelay,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; json: Record<string, unknown> }> {
  const res = await fetch(`${relay.url}/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    json: text ? JSON.parse(text) : {},
  };
}

export async function pushSigned(
  relay: RunningRelay,
  events: { sub: string; mid: string; envelope: string }[],
) {
  const body = JSON.stringify(webhookBatch(events));
  return postWebhook(relay, body, { 'x-hub-signature-256': signBody(body) });
}

export function sealFor(
  bank: TestBank,
  device: { publicKey: Uint8Array },
  payload: unknown,
  o: { type?: string; id?: string; consent?: string } = {},
) {
  return bank.sealer.seal({
    recipientPublicKey: device.publicKey,
    consentCommitment: o.consent ?? 'c1_test',
    purpose: 'balance_inquiry',
    type: o.type ?? 'balance',
    log: 42,
    ...(o.id ? { id: o.id } : {}),
    payload,
  });
}

export interface DeviceFrame {
  type: string;
  id?: string;
  kind?: string;
  envelope?: string;
  text?: string;
  ids?: string[];
  bank?: string;
}

/** A device on the stream: collects frames, waits for them, acks. */
export class StreamClient {
  readonly frames: DeviceFrame[] = [];
  private waiters: (() => void)[] = [];
  readonly ws: WebSocket;
  closed = false;
  closeCode: number | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (e) => {
      this.frames.push(JSON.parse(String(e.data)));
      for (const w of this.waiters.splice(0)) w();
    });
    ws.addEventListener('close', (e) => {
      this.closed = true;
      this.closeCode = e.code;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(relay: RunningRelay, token: string | undefined): Promise<StreamClient> {
    const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/api/stream`);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('ws error')), { once: true });
    });
    const c = new StreamClient(ws);
    if (token !== undefined) {
      ws.send(JSON.stringify({ type: 'hello', token }));
      await c.waitFor((f) => f.type === 'ready');
    }
    return c;
  }

  messages(): DeviceFrame[] {
    return this.frames.filter((f) => f.type === 'message');
  }

  async waitFor(pred: (f: DeviceFrame) => boolean, timeoutMs = 5000): Promise<DeviceFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(pred);
      if (found) return found;
      if (this.closed) throw new Error(`stream closed (${this.closeCode}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; frames: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitForMessages(n: number, timeoutMs = 5000): Promise<DeviceFrame[]> {
    await this.waitFor(() => this.messages().length >= n, timeoutMs);
    return this.messages();
  }

  async ack(ids: string[]): Promise<void> {
    const before = this.frames.length;
    this.ws.send(JSON.stringify({ type: 'ack', ids }));
    await this.waitFor((f) => f.type === 'acked' && this.frames.indexOf(f) >= before);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => {
      this.ws.addEventListener('close', () => r(), { once: true });
      this.ws.close();
    });
  }
}

export async function messageCount(database: Database): Promise<number> {
  const r = await database
    .tables<{ relay_message: { id: string } }>()
    .selectFrom('relay_message')
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
