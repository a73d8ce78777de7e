// Property-based requests (fast-check) for every operation of the fuzzed system, how to
// send them (node:http, so that malformed percent-encoding, odd cookies and raw bodies
// reach the server as written), and what every answer must be: never a 5xx, and every
// 4xx a problem document (RFC 9457) with a specific type, or on the OAuth endpoints the
// OAuth error format (RFC 6749: `error`, `error_description`).
import http from 'node:http';
import fc from 'fast-check';
import { FUZZ_BANK, INGEST_KEY, type Operation } from './system.ts';

export interface FuzzRequest {
  readonly operation: Operation;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

export interface FuzzAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Strings a client can send that code tends not to expect. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\u0001\u001f\u007f',
    '\r\n',
    '%',
    '%zz',
    '%ff%fe',
    '%00',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    'null',
    'true',
    '-1',
    '0',
    '1e400',
    '-1e400',
    '99999999999999999999999999',
    '9007199254740993',
    'NaN',
    '2026-02-30',
    '2026-13-45',
    '9999-12-31T23:59:59Z',
    'northwind',
    'x'.repeat(3000),
    '{"a":1}',
    '[]',
    'é',
    '😀',
  ),
);

/** Percent-encodes every byte of a string's UTF-8, or writes it raw (malformed escapes reach the server). */
const encoded = (value: string, raw: boolean): string => {
  if (!raw)
    return Buffer.from(value, 'utf8')
      .toString('hex')
      .replace(/../g, (h) => `%${h}`);
  // Raw: printable ASCII as is (a lone % stays malformed), the rest percent-encoded.
  let out = '';
  for (const c of value) {
    const code = c.codePointAt(0)!;
    const plain = code > 0x20 && code < 0x7f && !'#?&=/'.includes(c);
    out += plain ? c : encodeURIComponent(c.isWellFormed() ? c : '\ufffd');
  }
  return out;
};

const pathValue = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(name === 'bankId' ? FUZZ_BANK : name === 'bank' ? FUZZ_BANK : 'x1') },
    { weight: 2, arbitrary: nasty.filter((s) => s.length > 0) },
  );

const jsonValue = fc.oneof(
  nasty,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, 1e-320),
  fc.array(nasty, { maxLength: 3 }),
  fc.dictionary(nasty, nasty, { maxKeys: 3 }),
);

/** Every field of a login form, each fuzzed (the CSRF token is put in when sent). */
const loginForm = fc
  .record({
    username: nasty,
    password: nasty,
    otp: nasty,
    extra: fc.option(nasty, { freq: 5, nil: undefined }),
  })
  .map(({ extra, ...fields }) => ({
    type: 'application/x-www-form-urlencoded',
    text: [...Object.entries(fields), ...(extra === undefined ? [] : [['extra', extra] as const])]
      .map(([k, v]) => `${k}=${encoded(v, false)}`)
      .join('&'),
  }));

function bodyFor(operation: Operation): fc.Arbitrary<{ text: string; type: string } | undefined> {
  if (operation.withPreSession !== undefined) return loginForm;
  const fields = operation.bodyFields.length > 0 ? operation.bodyFields : ['x'];
  const keyed = fc.dictionary(
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: nasty }),
    jsonValue,
    { maxKeys: 6 },
  );
  const asForm = keyed.map((record) => ({
    type: 'application/x-www-form-urlencoded',
    text: Object.entries(record)
      .map(
        ([k, v]) =>
          `${encoded(k, false)}=${encoded(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''), false)}`,
      )
      .join('&'),
  }));
  const asJson = keyed.map((record) => ({ type: 'application/json', text: JSON.stringify(record) }));
  const rawJson = fc.constantFrom(
    '{',
    '{"__proto__": {"admin": true}}',
    '{"constructor": {"prototype": {"admin": true}}}',
    '[1,2',
    '"\\ud800"',
    '{"a": "\\u0000"}',
    'null',
    '1e99999',
  );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: operation.form ? 5 : 1, arbitrary: asForm },
    { weight: operation.form ? 1 : 5, arbitrary: asJson },
    { weight: 1, arbitrary: rawJson.map((text) => ({ type: 'application/json', text })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          nasty,
          fc.constantFrom(
            'text/plain',
            'application/xml',
            'multipart/form-data',
            'application/json; charset=latin1',
            '',
          ),
        )
        .map(([text, type]) => ({ type, text })),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 200 })
        .map((text) => ({ type: 'application/json', text })),
    },
  );
}

/** Header values node:http can send (printable Latin-1: the server never sees anything else). */
const headerText = nasty.map((s) => s.replace(/[^\u0020-\u007e\u00a0-\u00ff]/g, '').slice(0, 2000));

const cookie = fc.oneof(
  fc.constant(undefined),
  fc
    .tuple(
      fc.constantFrom(`proviso_bank_${FUZZ_BANK}`, 'proviso_pre', '_session', '_interaction', 'x'),
      headerText,
    )
    .map(([name, value]) => `${name}=${value}`),
  headerText,
);

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constant(`Bearer ${INGEST_KEY}`),
  fc.constant(`Basic ${Buffer.from(`${FUZZ_BANK}:${INGEST_KEY}`).toString('base64')}`),
  headerText.map((s) => `Bearer ${s}`),
  headerText.map((s) => `DPoP ${s}`),
  headerText.map((s) => `Basic ${s}`),
  headerText,
);

export function requestFor(operation: Operation): fc.Arbitrary<FuzzRequest> {
  const names = [...operation.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const params = fc.tuple(...names.map((name) => fc.tuple(pathValue(name), fc.boolean())));
  const queryKeys = operation.queryFields.length > 0 ? operation.queryFields : ['q'];
  const query = fc.option(
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...queryKeys), nasty), nasty, fc.boolean()), { maxLength: 4 }),
    { nil: undefined },
  );
  return fc
    .record({
      params,
      query,
      body: bodyFor(operation),
      cookie,
      authorization,
      dpop: fc.option(headerText, { nil: undefined }),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/problem+json'),
    })
    .map(({ params, query, body, cookie, authorization, dpop, accept }) => {
      let i = 0;
      const filled = operation.path.replace(/\{(\w+)\}/g, () => {
        const [value, raw] = params[i++]!;
        return encoded(value, raw);
      });
      const qs =
        query === undefined
          ? ''
          : `?${query.map(([k, v, raw]) => `${encoded(k, raw)}=${encoded(v, raw)}`).join('&')}`;
      const headers: Record<string, string> = { accept };
      if (cookie !== undefined) headers['cookie'] = cookie;
      if (authorization !== undefined) headers['authorization'] = authorization;
      if (dpop !== undefined) headers['dpop'] = dpop;
      const sendsBody = operation.method !== 'GET' && operation.method !== 'HEAD' && body !== undefined;
      if (sendsBody && body.type !== '') headers['content-type'] = body.type;
      return {
        operation,
        method: operation.method,
        path: filled + qs,
        headers,
        body: sendsBody ? body.text : undefined,
      };
    });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function send(request: FuzzRequest): Promise<FuzzAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.operation.base);
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers:
          request.body === undefined
            ? request.headers
            : { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () =>
      req.destroy(new Error(`no answer in 30 s: ${request.method} ${request.path.slice(0, 200)}`)),
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

export function closeAgent(): void {
  agent.destroy();
}

/** null when the answer is as it must be; otherwise what is wrong with it. */
export function violation(request: FuzzRequest, answer: FuzzAnswer): string | null {
  const where = `${request.method} ${request.path.slice(0, 300)}`;
  const { status } = answer;
  if (status >= 500) {
    // Readiness reports the system's own state (503 with its checks), not a client mistake.
    if (request.operation.path === '/readyz' && status === 503) return null;
    return `${where}: ${status} ${answer.body.slice(0, 300)}`;
  }
  if (status < 400) return null;
  // The authorization endpoint answers a browser with the bank's error page, which names
  // the OAuth error code (a client asking for JSON gets RFC 6749 JSON instead).
  if (request.operation.errors === 'oauth' && answer.contentType.startsWith('text/html')) {
    if (request.headers['accept'] === 'application/json') return `${where}: HTML error to a JSON client`;
    return /<code>[a-z_]+<\/code>/.test(answer.body) ? null : `${where}: OAuth error page without its code`;
  }
  // A bank page answers a browser (Accept: text/html) with a page that names the mistake.
  if (
    request.operation.errors === 'problem' &&
    answer.contentType.startsWith('text/html') &&
    /text\/html|\*\/\*/.test(request.headers['accept'] ?? '')
  ) {
    return /role="alert"/.test(answer.body) ? null : `${where}: HTML error page that names no error`;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return `${where}: ${status} with a body that is not JSON (${answer.contentType}): ${answer.body.slice(0, 200)}`;
  }
  if (answer.contentType.startsWith('application/problem+json')) {
    for (const field of ['type', 'title', 'detail'] as const)
      if (typeof body[field] !== 'string' || body[field] === '') return `${where}: problem without ${field}`;
    if (body['type'] === 'about:blank') return `${where}: problem without a specific type`;
    if (body['status'] !== status) return `${where}: problem status ${String(body['status'])} ≠ ${status}`;
    return null;
  }
  if (request.operation.errors === 'oauth' && answer.contentType.startsWith('application/json')) {
    return typeof body['error'] === 'string' && body['error'] !== ''
      ? null
      : `${where}: OAuth error without error`;
  }
  return `${where}: ${status} answered as ${answer.contentType}, not a problem document`;
}

export interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  violations: string[];
}

export function newTally(): Tally {
  return { requests: 0, byStatus: new Map(), violations: [] };
}

/** Sends one request, counts its status, records a violation (network errors count as one). */
/** Loads the login page for a pre-session cookie and its CSRF token, and puts both in. */
async function withPreSession(request: FuzzRequest, page: string): Promise<FuzzRequest> {
  const response = await fetch(page, { headers: { accept: 'text/html' } });
  const html = await response.text();
  const csrf = /name="csrf" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const fields = (request.body ?? '').split('&').filter((pair) => !pair.startsWith('csrf='));
  return {
    ...request,
    path: request.path.replace(/\/banks\/[^/]+\//, `/banks/${FUZZ_BANK}/`),
    headers: { ...request.headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: [`csrf=${encodeURIComponent(csrf)}`, ...fields].join('&'),
  };
}

export async function fuzzOne(request: FuzzRequest, tally: Tally): Promise<string | null> {
  tally.requests++;
  let problem: string | null;
  try {
    if (request.operation.withPreSession !== undefined)
      request = await withPreSession(request, request.operation.withPreSession);
    const answer = await send(request);
    tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
    problem = violation(request, answer);
  } catch (error) {
    tally.byStatus.set(0, (tally.byStatus.get(0) ?? 0) + 1);
    problem = `${request.method} ${request.path.slice(0, 200)}: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (problem !== null) tally.violations.push(problem);
  return problem;
}

/** Every operation, each request drawn for one of them. */
export function anyRequest(operations: readonly Operation[]): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...operations).chain(requestFor);
}
