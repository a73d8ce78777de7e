// Account and Transaction API (UK Open Banking v3.1 shapes), one per bank under
// /banks/{bankId}/open-banking/v3.1/aisp. Each call is one release through the release path
// (src/release): token + DPoP, Cedar for the declared purpose, core read, projection to the
// purpose, log entry — and the logged bytes are exactly the bytes sent.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessGrant } from '../../access/index.ts';
import { type Account, type BankCore, InvalidCursorError } from '../../bank/index.ts';
import { badRequest, forbidden, noQuery, problemResponses } from '../../http/index.ts';
import type { ReleaseCaller, Released } from '../../release/index.ts';
import type { GatewayContext } from '../context.ts';
import { toOBAccount, toOBBalance, toOBTransaction } from '../openbanking/mapping.ts';
import { OPEN_BANKING_SCHEMAS } from '../openbanking/schemas.ts';
import { accountIdParam, bankParams } from './params.ts';

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
const accountParams = {
  type: 'object',
  required: ['bankId', 'accountId'],
  properties: { ...bankParams.properties, accountId: accountIdParam },
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

type AccountRequest = FastifyRequest<{ Params: { bankId: string; accountId: string } }>;
interface TransactionsQuery {
  fromBookingDateTime?: string;
  toBookingDateTime?: string;
  'page-size': number;
  cursor?: string;
}

/** The platform's request, for the release path's authenticate step. */
function requestCaller(request: FastifyRequest<{ Params: { bankId: string } }>): ReleaseCaller {
  return {
    kind: 'request',
    request: {
      bankId: request.params.bankId,
      method: request.method,
      url: request.url,
      headers: request.headers,
    },
  };
}

/** Sends exactly the bytes the log step committed to, with the entry's index. */
function sendReleased(reply: FastifyReply, released: Released): FastifyReply {
  return reply
    .header('proviso-log-index', String(released.logIndex))
    .type('application/json; charset=utf-8')
    .send(released.bytes);
}

/** The account, if it exists and this grant covers it; one answer for both so ids cannot be probed. */
async function permittedAccount(core: BankCore, grant: AccessGrant, accountId: string): Promise<Account> {
  const account = await core.account(accountId);
  const covered =
    account !== null &&
    account.customerId === grant.customerId &&
    (grant.accountIds === null || grant.accountIds.includes(accountId));
  if (!covered)
    throw forbidden('account-not-permitted', `account '${accountId}' is not covered by this access grant`);
  return account!;
}

export async function accountRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  for (const schema of OPEN_BANKING_SCHEMAS) app.addSchema(schema);
  const selfLink = (request: FastifyRequest) => `${ctx.publicUrl}${request.url}`;

  app.get(
    '/accounts',
    {
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
    async (request: FastifyRequest<{ Params: { bankId: string } }>, reply) => {
      const released = await ctx.release.release({
        bankId: request.params.bankId,
        caller: requestCaller(request),
        clusters: ['accounts'],
        kind: 'data.access',
        async read({ core, grant, accountIds }) {
          const [customer, all] = await Promise.all([
            core.customer(grant.customerId),
            core.accounts(grant.customerId),
          ]);
          const accounts = accountIds === null ? all : all.filter((a) => accountIds.includes(a.id));
          const holder = customer?.displayName ?? '';
          return { records: { account: accounts.map((a) => toOBAccount(a, holder)) }, extra: undefined };
        },
        answer: (projected) => ({
          Data: { Account: projected.account },
          Links: { Self: selfLink(request) },
          Meta: { TotalPages: 1 },
        }),
      });
      return sendReleased(reply, released);
    },
  );

  app.get(
    '/accounts/:accountId',
    {
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
    async (request: AccountRequest, reply) => {
      const { bankId, accountId } = request.params;
      const released = await ctx.release.release({
        bankId,
        caller: requestCaller(request),
        clusters: ['accounts'],
        accountId,
        kind: 'data.access',
        async read({ core, grant }) {
          const account = await permittedAccount(core, grant, accountId);
          const customer = await core.customer(grant.customerId);
          return {
            records: { account: [toOBAccount(account, customer?.displayName ?? '')] },
            extra: undefined,
          };
        },
        answer: (projected) => ({
          Data: { Account: projected.account },
          Links: { Self: selfLink(request) },
          Meta: { TotalPages: 1 },
        }),
      });
      return sendReleased(reply, released);
    },
  );

  app.get(
    '/accounts/:accountId/balances',
    {
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
    async (request: AccountRequest, reply) => {
      const { bankId, accountId } = request.params;
      const released = await ctx.release.release({
        bankId,
        caller: requestCaller(request),
        clusters: ['balances'],
        accountId,
        kind: 'data.access',
        async read({ core, grant }) {
          const account = await permittedAccount(core, grant, accountId);
          const balances = (await core.balances(account.id)).map(toOBBalance);
          // The account goes along for the projection's rules (a credit card's booked
          // balance), not into the answer.
          return { records: { account: [toOBAccount(account, '')], balance: balances }, extra: undefined };
        },
        answer: (projected) => ({
          Data: { Balance: projected.balance },
          Links: { Self: selfLink(request) },
          Meta: { TotalPages: 1 },
        }),
      });
      return sendReleased(reply, released);
    },
  );

  app.get(
    '/accounts/:accountId/transactions',
    {
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
      request: FastifyRequest<{ Params: AccountRequest['params']; Querystring: TransactionsQuery }>,
      reply,
    ) => {
      const { bankId, accountId } = request.params;
      const q = request.query;
      const released = await ctx.release.release<{ next: string | null }>({
        bankId,
        caller: requestCaller(request),
        clusters: ['transactions'],
        accountId,
        kind: 'data.access',
        async read({ core, grant }) {
          const from = parseQueryDate('fromBookingDateTime', q.fromBookingDateTime);
          const to = parseQueryDate('toBookingDateTime', q.toBookingDateTime);
          if (from && to && from > to)
            throw badRequest('bad-date-range', 'fromBookingDateTime is after toBookingDateTime');
          const account = await permittedAccount(core, grant, accountId);
          try {
            const page = await core.transactions(account.id, {
              from,
              to,
              limit: q['page-size'],
              after: q.cursor,
            });
            return { records: { transaction: page.items.map(toOBTransaction) }, extra: { next: page.next } };
          } catch (error) {
            if (error instanceof InvalidCursorError) throw badRequest('bad-cursor', error.message);
            throw error;
          }
        },
        answer: (projected, { next }) => {
          const links: { Self: string; Next?: string } = { Self: selfLink(request) };
          if (next) {
            const url = new URL(selfLink(request));
            url.searchParams.set('cursor', next);
            links.Next = url.toString();
          }
          return { Data: { Transaction: projected.transaction }, Links: links, Meta: {} };
        },
      });
      return sendReleased(reply, released);
    },
  );
}
