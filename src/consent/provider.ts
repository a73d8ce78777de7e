// One oidc-provider instance per bank, configured to the FAPI 2.0 Security Profile:
// pushed authorization requests required, PKCE S256, private_key_jwt, DPoP-bound access and
// refresh tokens, codes single-use and valid 60 s, RFC 9207 `iss`, RFC 7009 revocation,
// pairwise subjects, and the `proviso_account_access` RAR type.
import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import Provider, {
  type Configuration,
  errors,
  type KoaContextWithOIDC,
  type OidcClient,
} from 'oidc-provider';
import type { Database } from '../storage/index.ts';
import { kyselyAdapter } from './adapter.ts';
import {
  clientMetadata,
  type MerchantClient,
  merchantClientMetadata,
  type PlatformRegistration,
} from './clients.ts';
import {
  InvalidPaymentDetailError,
  PAYMENT_INITIATION_TYPE,
  type PaymentInitiationDetail,
  parsePaymentInitiation,
} from './payment-rar.ts';
import {
  ACCOUNT_ACCESS_TYPE,
  type AccountAccessDetail,
  InvalidDetailError,
  parseAccountAccess,
} from './rar.ts';
import { htmlErrorPage } from './screens.ts';
import type { ConsentStore } from './store.ts';

export interface BankProviderOptions {
  bankId: string;
  bankName: string;
  issuer: string;
  /** Resource indicator and token audience: the bank's Account and Transaction API base. */
  apiBase: string;
  database: Database;
  /** Private JWK (ES256) for ID tokens. */
  signingJwk: JWK;
  cookieKeys: string[];
  pairwiseSalt: Buffer;
  clients: PlatformRegistration[];
  /** Merchants (payment initiators) registered at this bank. */
  merchants?: MerchantClient[];
  /** Resource indicator of the bank's Payment Initiation API (merchant tokens). */
  paymentsBase?: string;
  consents: ConsentStore;
  secureCookies: boolean;
}

export const ACCESS_TOKEN_TTL = 600;
export const CODE_TTL = 60;
const DAY = 86_400;

/** The approved details stored on the grant, with the consent they belong to. */
function grantDetails(ctx: KoaContextWithOIDC, source: { rar?: unknown }): AccountAccessDetail[] {
  const fromSource = (source.rar ?? ctx.oidc.grant?.rar) as AccountAccessDetail[] | undefined;
  return (fromSource ?? []).filter((d) => d.type === ACCOUNT_ACCESS_TYPE);
}

/** The approved payment detail on a merchant's grant (one per approved payment consent). */
function paymentDetails(ctx: KoaContextWithOIDC, source: { rar?: unknown }): PaymentInitiationDetail[] {
  const fromSource = (source.rar ?? ctx.oidc.grant?.rar) as PaymentInitiationDetail[] | undefined;
  return (fromSource ?? []).filter((d) => d.type === PAYMENT_INITIATION_TYPE);
}

/** Whether the pending authorization request is a merchant's payment (not a platform's link). */
function isPaymentRequest(params: Record<string, unknown> | undefined): boolean {
  try {
    const list = JSON.parse(String(params?.['authorization_details'] ?? '[]')) as { type?: unknown }[];
    return Array.isArray(list) && list.some((d) => d?.type === PAYMENT_INITIATION_TYPE);
  } catch {
    return false;
  }
}

export function createBankProvider(options: BankProviderOptions): Provider {
  const mountPath = new URL(options.issuer).pathname;
  const configuration: Configuration = {
    adapter: kyselyAdapter(options.database, options.bankId) as never,
    clients: [
      ...options.clients.map(clientMetadata),
      ...(options.merchants ?? []).map(merchantClientMetadata),
    ] as never,
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'EdDSA', 'PS256'],
      dPoPSigningAlgValues: ['ES256', 'EdDSA'],
      idTokenSigningAlgValues: ['ES256'],
      requestObjectSigningAlgValues: ['ES256', 'EdDSA', 'PS256'],
    },
    jwks: { keys: [options.signingJwk] } as never,
    cookies: {
      keys: options.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', secure: options.secureCookies },
      short: { httpOnly: true, sameSite: 'lax', secure: options.secureCookies },
      names: {
        session: `_s_${options.bankId}`,
        interaction: `_i_${options.bankId}`,
        resume: `_r_${options.bankId}`,
      },
    },
    responseTypes: ['code'],
    scopes: ['openid'],
    claims: { openid: ['sub'] },
    subjectTypes: ['public', 'pairwise'],
    // Platforms are registered statically by the bank, which vouches for their redirect URIs;
    // the sector URI only names the pairwise sector and is never fetched.
    sectorIdentifierUriValidate: () => false,
    pairwiseIdentifier: async (_ctx: unknown, accountId: string, client: OidcClient) =>
      createHmac('sha256', options.pairwiseSalt)
        .update(`${client.sectorIdentifier}\0${accountId}`)
        .digest('base64url'),
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true },
    expiresWithSession: async () => false,
    issueRefreshToken: async (_ctx: unknown, client: OidcClient) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      AuthorizationCode: CODE_TTL,
      IdToken: ACCESS_TOKEN_TTL,
      Interaction: 15 * 60,
      Session: 15 * 60,
      // Consent is what limits access (≤ 365 days, extendable by reauthorisation); the
      // grant and refresh token outlive one consent period so reauthorisation keeps the link.
      Grant: 2 * 366 * DAY,
      RefreshToken: 2 * 366 * DAY,
    },
    interactions: {
      // A merchant's payment goes to the bank's payment approval screen (src/payments).
      url: async (_ctx: unknown, interaction: { uid: string; params?: Record<string, unknown> }) =>
        isPaymentRequest(interaction.params)
          ? `${mountPath}/payment-approval/${interaction.uid}`
          : `${mountPath}/interaction/${interaction.uid}`,
    },
    renderError: async (ctx: KoaContextWithOIDC, out: Record<string, unknown>) => {
      // A client that asks for JSON gets the OAuth error format; a browser the bank's page.
      if (ctx.accepts('html', 'json') === 'json') {
        ctx.type = 'json';
        ctx.body = {
          error: String(out['error'] ?? 'invalid_request'),
          error_description: String(out['error_description'] ?? ''),
        };
        return;
      }
      ctx.type = 'html';
      ctx.body = htmlErrorPage(
        options.bankName,
        String(out['error'] ?? 'error'),
        String(out['error_description'] ?? ''),
      );
    },
    features: {
      devInteractions: { enabled: false },
      fapi: { enabled: true, profile: '2.0' },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      dPoP: { enabled: true },
      clientCredentials: { enabled: Boolean(options.merchants?.length) },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: OidcClient, token: { clientId: string }) =>
          token.clientId === client.clientId,
      },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: false },
      introspection: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, client: OidcClient) =>
          options.merchants?.some((m) => m.clientId === client.clientId) && options.paymentsBase
            ? options.paymentsBase
            : options.apiBase,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string, client: OidcClient) => {
          const merchant = options.merchants?.some((m) => m.clientId === client.clientId) ?? false;
          if (merchant && options.paymentsBase && resource === options.paymentsBase)
            return {
              scope: 'payments',
              audience: options.paymentsBase,
              accessTokenTTL: ACCESS_TOKEN_TTL,
              accessTokenFormat: 'opaque',
            };
          if (merchant)
            throw new errors.InvalidTarget(`a merchant's only resource here is ${options.paymentsBase}`);
          if (resource !== options.apiBase)
            throw new errors.InvalidTarget(`the only resource here is ${options.apiBase}`);
          return {
            scope: 'accounts',
            audience: options.apiBase,
            accessTokenTTL: ACCESS_TOKEN_TTL,
            accessTokenFormat: 'opaque',
          };
        },
      },
      richAuthorizationRequests: {
        enabled: true,
        types: {
          [PAYMENT_INITIATION_TYPE]: {
            validate: async (ctx: KoaContextWithOIDC, detail: Record<string, unknown>) => {
              try {
                parsePaymentInitiation(detail);
              } catch (error) {
                if (error instanceof InvalidPaymentDetailError)
                  throw new errors.InvalidAuthorizationDetails(error.message);
                throw error;
              }
              const all = JSON.parse(String(ctx.oidc.params?.['authorization_details'] ?? '[]')) as unknown[];
              if (all.length !== 1)
                throw new errors.InvalidAuthorizationDetails(
                  `exactly one ${PAYMENT_INITIATION_TYPE} detail is required`,
                );
            },
          },
          [ACCOUNT_ACCESS_TYPE]: {
            validate: async (ctx: KoaContextWithOIDC, detail: Record<string, unknown>) => {
              try {
                parseAccountAccess(detail);
              } catch (error) {
                if (error instanceof InvalidDetailError)
                  throw new errors.InvalidAuthorizationDetails(error.message);
                throw error;
              }
              const all = JSON.parse(String(ctx.oidc.params?.['authorization_details'] ?? '[]')) as unknown[];
              if (all.length !== 1)
                throw new errors.InvalidAuthorizationDetails(
                  `exactly one ${ACCOUNT_ACCESS_TYPE} detail is required`,
                );
            },
          },
        },
        authorizationDetailsForGrantSource: async (ctx: KoaContextWithOIDC) => [
          ...grantDetails(ctx, {}),
          ...paymentDetails(ctx, {}),
        ],
        authorizationDetailsForAccessToken: async (
          ctx: KoaContextWithOIDC,
          token: { grantId?: string },
          source: unknown,
        ) => {
          // A merchant's token carries its one approved payment; the payment consent's state is
          // checked by the payment API on every use.
          const payments = paymentDetails(ctx, source as { rar?: unknown });
          if (payments.length > 0) return payments;
          const details = grantDetails(ctx, source as { rar?: unknown });
          const consent = await options.consents.byGrant(options.bankId, String(token.grantId));
          if (consent?.status !== 'authorised' || (consent.expiresAt && consent.expiresAt <= new Date()))
            throw new errors.InvalidGrant(`the consent behind this grant is ${consent?.status ?? 'gone'}`);
          return details;
        },
        authorizationDetailsForIntrospection: async (_ctx: unknown, token: { rar?: unknown[] }) =>
          (token.rar ?? []) as never,
      },
    } as never,
  };
  const provider = new Provider(options.issuer, configuration);
  provider.proxy = true;

  // FAPI 2.0: refresh tokens are sender-constrained too. oidc-provider binds them to the
  // DPoP key only for public clients, so bind them here for everyone.
  const RefreshToken = provider.RefreshToken as unknown as {
    prototype: { save: (...a: unknown[]) => Promise<string>; jkt?: string };
  };
  const save = RefreshToken.prototype.save;
  RefreshToken.prototype.save = function (this: { jkt?: string }, ...args: unknown[]) {
    const at = Provider.ctx?.oidc?.entities?.AccessToken as { jkt?: string } | undefined;
    if (!this.jkt && at?.jkt) this.jkt = at.jkt;
    return save.apply(this, args);
  };
  return provider;
}
