// The system under fuzzing: the real gateway (bank pages, authorization server, data and
// screening APIs) and the real relay, on 127.0.0.1 with port 0, and the list of every
// operation to fuzz: each one of the two served /openapi.json documents, plus the OAuth
// endpoints that the authorization server answers itself (hidden from OpenAPI).
import { openDatabase } from '../../src/storage/index.ts';
import { bankInfo, startTestRelay } from '../relay/support.ts';
import { pgliteBackend } from '../support/backends.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

export const FUZZ_BANK = 'northwind';
export const INGEST_KEY = 'fuzz-ingest-key-0123456789abcdef';

/** How a 4xx of this operation must look. */
export type ErrorFormat = 'problem' | 'oauth';

export interface Operation {
  readonly app: 'gateway' | 'relay';
  readonly base: string;
  readonly method: string;
  /** OpenAPI path template, e.g. /banks/{bankId}/screening/authorisations. */
  readonly path: string;
  readonly errors: ErrorFormat;
  /** Body fields the route's schema names (so generated bodies get past "unknown field"). */
  readonly bodyFields: readonly string[];
  /** Query fields the route's schema names. */
  readonly queryFields: readonly string[];
  readonly form: boolean;
  /**
   * Sent with a real pre-session: the fuzzer first loads the login page (its cookie and
   * CSRF token), so the fields behind the CSRF check get fuzzed too.
   */
  readonly withPreSession?: string;
}

export interface FuzzSystem {
  readonly operations: readonly Operation[];
  /** Every log line both apps wrote. */
  readonly logs: () => string[];
  /** The log lines written since the last drain, forgotten by the system (long runs). */
  readonly drainLogs: () => string[];
  close(): Promise<void>;
}

/** OAuth endpoints of the bank's authorization server (RFC 6749 errors, not problems). */
const OAUTH: [string, string][] = [
  ['POST', '/banks/{bankId}/request'],
  ['GET', '/banks/{bankId}/auth'],
  ['POST', '/banks/{bankId}/auth'],
  ['GET', '/banks/{bankId}/auth/{uid}'],
  ['POST', '/banks/{bankId}/token'],
  ['POST', '/banks/{bankId}/token/revocation'],
  ['GET', '/banks/{bankId}/.well-known/openid-configuration'],
  ['GET', '/banks/{bankId}/jwks'],
];

interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
  parameters?: { in: string; name: string }[];
}

async function operationsOf(app: 'gateway' | 'relay', base: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  const out: Operation[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const content = op.requestBody?.content ?? {};
      const media = Object.keys(content).includes('application/x-www-form-urlencoded')
        ? 'application/x-www-form-urlencoded'
        : Object.keys(content)[0];
      const schema = media === undefined ? undefined : content[media]?.schema;
      out.push({
        app,
        base,
        method: method.toUpperCase(),
        path,
        errors: 'problem',
        bodyFields: Object.keys(schema?.properties ?? {}),
        queryFields: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        form: media === 'application/x-www-form-urlencoded',
      });
    }
  }
  return out;
}

export async function startFuzzSystem(): Promise<FuzzSystem> {
  const gateway: TestGateway = await startTestGateway(pgliteBackend, 2, {
    env: {
      PROVISO_INGEST_KEYS: `${FUZZ_BANK}:${INGEST_KEY}`,
      PROVISO_STAFF_KEYS: `${FUZZ_BANK}:${INGEST_KEY}`,
    },
  });
  const relayDatabase = await openDatabase();
  const relay = await startTestRelay(relayDatabase, {
    banks: [bankInfo(gateway.gw.url, FUZZ_BANK)],
    gatewayUrl: gateway.gw.url,
  });
  const gatewayOperations = await operationsOf('gateway', gateway.gw.url);
  const dashboardLogin = gatewayOperations.find((o) => o.path === '/banks/{bankId}/connected-apps/login');
  const operations = [
    ...gatewayOperations,
    ...(dashboardLogin
      ? [{ ...dashboardLogin, withPreSession: `${gateway.gw.url}/banks/${FUZZ_BANK}/connected-apps` }]
      : []),
    ...(await operationsOf('relay', relay.url)),
    ...OAUTH.map(
      ([method, path]): Operation => ({
        app: 'gateway',
        base: gateway.gw.url,
        method,
        path,
        errors: 'oauth',
        bodyFields: [
          'client_id',
          'client_assertion',
          'client_assertion_type',
          'grant_type',
          'code',
          'redirect_uri',
          'request_uri',
          'code_verifier',
          'token',
          'scope',
          'response_type',
          'state',
          'authorization_details',
        ],
        queryFields: [
          'client_id',
          'request_uri',
          'response_type',
          'redirect_uri',
          'scope',
          'state',
          'prompt',
        ],
        form: true,
      }),
    ),
  ];
  return {
    operations,
    logs: () => [...gateway.logs, ...relay.logs],
    drainLogs: () => [...gateway.logs.splice(0), ...relay.logs.splice(0)],
    async close() {
      await relay.close();
      await relayDatabase.close();
      await gateway.close();
    },
  };
}
