// Account and Transaction API (UK Open Banking v3.1 shapes), one per bank under
// /banks/{bankId}/open-banking/v3.1/aisp. Every call is authorised by an AccessGrant.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessGrant, DataCluster } from '../../access/index.ts';
import { ConsentEndedError } from '../../audit/index.ts';
import { type Account, InvalidCursorError } from '../../bank/index.ts';
import { badRequest, forbidden, noQuery, notFound, Problem, problemResponses } from '../../http/index.ts';
import { type ObResource, projectAll } from '../../policy/index.ts';
import type { GatewayContext } from '../context.ts';
import { toOBAccount, toOBBalance, toOBTransaction } from '../openbanking/mapping.ts';
import { OPEN_BANKING_SCHEMAS } from '../openbanking/schemas.ts';
import { releaseWithheld } from '../transparency.ts';
import { accountIdParam, bankIdParam } from './params.ts';

export const AISP_PREFIX = '/banks/:bankId/open-banking/v3.1/aisp';

const tags = ['accounts'];
const security = [{ dpop: [] }];
// The declared purpose of each data call; the response is projected to what it needs.
const purposeHeaders = {
  type: 'object',
  properties: {
    'x-proviso-purpose': {
      type: 'string',
      maxLength: 64,
      description:
        'Required. The one purpose this call serves: balance_inquiry, transaction_notifications, fraud_alerts, checkout or customer_service. ' +
        'Refused unless the consent covers it; advertising, marketing, profiling, resale and credit_decisioning are always refused.',
    },
    authorization: { type: 'string', description: 'DPoP <access token>' },
    dpop: { type: 'string', description: 'DPoP proof (RFC 9449) for this request' },
  },
} as const;
const bankParams = {
  type: 'object',
  required: ['bankId'],
  properties: { bankId: bankIdParam },
  additionalProperties: false,
} as const;
const accountParams = {
  type: 'object',
  required: ['bankId', 'accountId'],
  properties: { bankId: bankIdParam, accountId: accountIdParam },
  additionalProperties: false,
} as const;
// OB allows a date with or without a time; no time zone means UTC.
const dateTimeQuery = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2})?)?$',
} as const;
const transactionsQuery = {
  type: 'object',
  properties: {
    fromBookingDateTime: { ...dateTimeQuery, description: 'Earliest booking time (inclusive)' },
    toBookingDateTime: { ...dateTimeQuery, description: 'Latest booking time (inclusive)' },
    'page-size': {
      type: 'integer',
      minimum: 1,
      maximum: 500,
      default: 50,
      description: 'Transactions per page',
    },
    cursor: {
      type: 'string',
      maxLength: 200,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'Opaque cursor from Links.Next',
    },
  },
  additionalProperties: false,
} as const;
const errors = problemResponses(400, 401, 403, 404);

function parseQueryDate(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const hasZone = /(Z|[+-]\d{2}:\d{2})$/.test(value);
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : hasZone ? value : `${value}Z`);
  // JavaScript rolls 2026-02-30 over to March; a calendar date that does not exist is an error.
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(y, m - 1, d));
  const real =
    calendar.getUTCFullYear() === y && calendar.getUTCMonth() === m - 1 && calendar.getUTCDate() === d;
  if (Number.isNaN(date.getTime()) || !real)
    throw badRequest('bad-date', `${name} '${value}' is not a real date and time`);
  return date;
}

/**
 * Who owns each account, as read from the core: an account never changes hands, so the
 * balance and transaction routes read it once per account per instance, not per request.
 */
class AccountOwners {
  static readonly MAX = 100_000;
  readonly #owners = new Map<string, string>();
  get(bankId: string, accountId: string): string | undefined {
    return this.#owners.get(`${bankId}\0${accountId}`);
  }
  remember(bankId: string, accountId: string, customerId: string): void {
    if (this.#owners.size >= AccountOwners.MAX) this.#owners.clear();
    this.#owners.set(`${bankId}\0${accountId}`, customerId);
  }
}

export async function accountRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  for (const schema of OPEN_BANKING_SCHEMAS) app.addSchema(schema);
  app.decorateRequest('grant', null);

  app.addHook('preHandler', async (request: FastifyRequest<{ Params: { bankId: string } }>) => {
    const { bankId } = request.params;
    if (!ctx.banks.has(bankId)) throw notFound('bank', `no bank '${bankId}' is served here`);
    // The proof's replay record rides on the grant and commits with the release's log entry.
    request.grant = await ctx.access.resolve(
      { bankId, method: request.method, url: request.url, headers: request.headers },
      { deferReplay: true },
    );
  });

  // Every release is appended to the bank's transparency log before a byte of it is sent;
  // if the log does not acknowledge, nothing is released.
  app.addHook('onSend', async (request, reply, payload) => {
    const clusters = (request.routeOptions.config as { clusters?: DataCluster[] }).clusters;
    const grant = request.grant;
    if (!grant || !clusters || reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    try {
      const index = await ctx.audit.record({
        bankId: grant.bankId,
        customerId: grant.customerId,
        pairwiseId: grant.subject ?? grant.customerId,
        consentId: grant.grantId,
        platform: grant.platform ?? 'bank-internal',
        kind: 'data.access',
        purpose: grant.purpose ?? null,
        clusters,
        released: Buffer.from(payload),
        ...(grant.replay ? { replay: grant.replay } : {}),
      });
      reply.header('proviso-log-index', String(index));
    } catch (error) {
      // A replayed proof (another instance used it first): the specific 401.
      if (error instanceof Problem) throw error;
      // The consent ended before the release was logged: say why, as the database says now.
      if (error instanceof ConsentEndedError)
        throw (await ctx.access.refusalAfterEnd?.(grant)) ?? releaseWithheld(error);
      request.log.error({ err: error }, 'transparency log unavailable; release withheld');
      throw releaseWithheld(error);
    }
    return payload;
  });

  const selfLink = (request: FastifyRequest) => `${ctx.publicUrl}${request.url}`;
  const owners = new AccountOwners();
  const grantOf = (request: FastifyRequest): AccessGrant => request.grant!;

  /** Only the fields the declared purpose may see (internal, purpose-less access sees all). */
  function shape<T extends Record<string, unknown>>(
    grant: AccessGrant,
    resource: ObResource,
    items: T[],
  ): T[] {
    return grant.purpose === undefined ? items : (projectAll(grant.purpose, resource, items) as T[]);
  }

  /** Refuses unless the account exists, is the grant's customer's and is covered; one answer for all so ids cannot be probed. */
  function mustCover(grant: AccessGrant, accountId: string, owner: string | undefined): void {
    const covered =
      owner !== undefined &&
      owner === grant.customerId &&
      (grant.accountIds === null || grant.accountIds.includes(accountId));
    if (!covered)
      throw forbidden('account-not-permitted', `account '${accountId}' is not covered by this access grant`);
  }

  /** The account, if it exists and this grant covers it. */
  async function permittedAccount(
    grant: AccessGrant,
    accountId: string,
    cluster: DataCluster,
  ): Promise<Account> {
    await ctx.access.authorize(grant, { cluster, accountId });
    const account = await ctx.core(grant.bankId).account(accountId);
    if (account) owners.remember(grant.bankId, accountId, account.customerId);
    mustCover(grant, accountId, account?.customerId);
    return account!;
  }

  /** The same check for routes that need only the account's id: its owner from memory when known. */
  async function permittedAccountId(grant: AccessGrant, accountId: string, cluster: DataCluster) {
    await ctx.access.authorize(grant, { cluster, accountId });
    let owner = owners.get(grant.bankId, accountId);
    if (owner === undefined) {
      owner = (await ctx.core(grant.bankId).account(accountId))?.customerId;
      if (owner !== undefined) owners.remember(grant.bankId, accountId, owner);
    }
    mustCover(grant, accountId, owner);
    return accountId;
  }

  app.get(
    '/accounts',
    {
      config: { clusters: ['accounts'] },
      schema: {
        tags,
        security,
        summary: "List the customer's accounts",
        params: bankParams,
        headers: purposeHeaders,
        querystring: noQuery,
        response: { 200: { $ref: 'OBReadAccount6#' }, ...errors, ...problemResponses(503) },
      },
    },
    async (request) => {
      const grant = grantOf(request);
      await ctx.access.authorize(grant, { cluster: 'accounts' });
      const core = ctx.core(grant.bankId);
      const [customer, all] = await Promise.all([
        core.customer(grant.customerId),
        core.accounts(grant.customerId),
      ]);
      const accounts = grant.accountIds === null ? all : all.filter((a) => grant.accountIds!.includes(a.id));
      return {
        Data: {
          Account: shape(
            grant,
            'account',
            accounts.map((a) => toOBAccount(a, customer?.displayName ?? '')),
          ),
        },
        Links: { Self: selfLink(request) },
        Meta: { TotalPages: 1 },
      };
    },
  );

  app.get(
    '/accounts/:accountId',
    {
      config: { clusters: ['accounts'] },
      schema: {
        tags,
        security,
        summary: 'One account',
        params: accountParams,
        headers: purposeHeaders,
        querystring: noQuery,
        response: { 200: { $ref: 'OBReadAccount6#' }, ...errors, ...problemResponses(503) },
      },
    },
    async (request: FastifyRequest<{ Params: { bankId: string; accountId: string } }>) => {
      const grant = grantOf(request);
      const account = await permittedAccount(grant, request.params.accountId, 'accounts');
      const customer = await ctx.core(grant.bankId).customer(grant.customerId);
      return {
        Data: { Account: shape(grant, 'account', [toOBAccount(account, customer?.displayName ?? '')]) },
        Links: { Self: selfLink(request) },
        Meta: { TotalPages: 1 },
      };
    },
  );

  app.get(
    '/accounts/:accountId/balances',
    {
      config: { clusters: ['balances'] },
      schema: {
        tags,
        security,
        summary: "An account's booked and available balances",
        params: accountParams,
        headers: purposeHeaders,
        querystring: noQuery,
        response: { 200: { $ref: 'OBReadBalance1#' }, ...errors, ...problemResponses(503) },
      },
    },
    async (request: FastifyRequest<{ Params: { bankId: string; accountId: string } }>) => {
      const grant = grantOf(request);
      const accountId = await permittedAccountId(grant, request.params.accountId, 'balances');
      const balances = await ctx.core(grant.bankId).balances(accountId);
      return {
        Data: { Balance: shape(grant, 'balance', balances.map(toOBBalance)) },
        Links: { Self: selfLink(request) },
        Meta: { TotalPages: 1 },
      };
    },
  );

  app.get(
    '/accounts/:accountId/transactions',
    {
      config: { clusters: ['transactions'] },
      schema: {
        tags,
        security,
        summary: "An account's transactions, newest first, in pages",
        params: accountParams,
        headers: purposeHeaders,
        querystring: transactionsQuery,
        response: { 200: { $ref: 'OBReadTransaction6#' }, ...errors, ...problemResponses(503) },
      },
    },
    async (
      request: FastifyRequest<{
        Params: { bankId: string; accountId: string };
        Querystring: {
          fromBookingDateTime?: string;
          toBookingDateTime?: string;
          'page-size': number;
          cursor?: string;
        };
      }>,
    ) => {
      const grant = grantOf(request);
      const q = request.query;
      const from = parseQueryDate('fromBookingDateTime', q.fromBookingDateTime);
      const to = parseQueryDate('toBookingDateTime', q.toBookingDateTime);
      if (from && to && from > to)
        throw badRequest('bad-date-range', 'fromBookingDateTime is after toBookingDateTime');
      const accountId = await permittedAccountId(grant, request.params.accountId, 'transactions');
      let page: Awaited<ReturnType<ReturnType<GatewayContext['core']>['transactions']>>;
      try {
        page = await ctx
          .core(grant.bankId)
          .transactions(accountId, { from, to, limit: q['page-size'], after: q.cursor });
      } catch (error) {
        if (error instanceof InvalidCursorError) throw badRequest('bad-cursor', error.message);
        throw error;
      }
      const links: { Self: string; Next?: string } = { Self: selfLink(request) };
      if (page.next) {
        const next = new URL(selfLink(request));
        next.searchParams.set('cursor', page.next);
        links.Next = next.toString();
      }
      return {
        Data: { Transaction: shape(grant, 'transaction', page.items.map(toOBTransaction)) },
        Links: links,
        Meta: {},
      };
    },
  );
}
