// The Payment Initiation API's door: a merchant's DPoP-bound access token (client credentials,
// or the authorization-code token of one approved payment), checked before the body is read.
// The token row is oidc-provider's own (consent_oidc); the DPoP proof is checked with the
// consent context's verifier, and its jti claimed only once every other check passed.
import { DpopVerifier, dpopProblem } from '../consent/index.ts';
import { forbidden } from '../http/index.ts';
import type { Database } from '../storage/index.ts';

export interface MerchantCaller {
  merchantId: string;
  /** For an authorization-code token: the payment consent it was approved for. */
  consentId: string | null;
}

interface TokenTables {
  consent_oidc: { bank_id: string; model: string; id: string; payload: unknown; expires_at: Date | null };
}

const TOKEN = /^[A-Za-z0-9_-]{20,128}$/;

export class MerchantTokens {
  readonly #db;
  readonly #dpop: DpopVerifier;
  readonly #merchants: ReadonlySet<string>;
  readonly #publicUrl: () => string;
  constructor(database: Database, merchants: Iterable<string>, publicUrl: () => string) {
    this.#db = database.tables<TokenTables>();
    this.#dpop = new DpopVerifier(database);
    this.#merchants = new Set(merchants);
    this.#publicUrl = publicUrl;
  }

  async authenticate(
    bankId: string,
    method: string,
    url: string,
    headers: Record<string, unknown>,
  ): Promise<MerchantCaller> {
    const authorization = headers['authorization'];
    if (typeof authorization !== 'string' || !/^DPoP /i.test(authorization))
      throw dpopProblem(
        'dpop-required',
        'send the merchant\'s access token as "Authorization: DPoP <token>" with a DPoP proof',
        'invalid_token',
      );
    const token = authorization.slice(5).trim();
    if (!TOKEN.test(token))
      throw dpopProblem('invalid-token', 'the access token is malformed', 'invalid_token');
    const proof = headers['dpop'];
    if (typeof proof !== 'string' || proof.includes(','))
      throw dpopProblem('dpop-proof-missing', 'send exactly one DPoP proof header with a DPoP-bound token');
    const verified = await this.#dpop.verify(
      proof,
      method,
      `${this.#publicUrl()}${url.split('?')[0]}`,
      token,
    );
    const row = await this.#db
      .selectFrom('consent_oidc')
      .select(['model', 'payload', 'expires_at'])
      .where('bank_id', '=', bankId)
      .where('model', 'in', ['AccessToken', 'ClientCredentials'])
      .where('id', '=', token)
      .executeTakeFirst();
    if (!row)
      throw dpopProblem(
        'invalid-token',
        'the access token is unknown, revoked or for another bank',
        'invalid_token',
      );
    if (row.expires_at && row.expires_at <= new Date())
      throw dpopProblem('expired-token', 'the access token has expired', 'invalid_token');
    const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as {
      jkt?: string;
      clientId?: string;
      aud?: string | string[];
      rar?: { type?: string; consent_id?: string }[];
    };
    if (!payload.jkt || payload.jkt !== verified.jkt)
      throw dpopProblem(
        'dpop-key-mismatch',
        'the DPoP proof is signed by a key the access token is not bound to',
        'invalid_token',
      );
    const merchantId = String(payload.clientId ?? '');
    if (!this.#merchants.has(merchantId))
      throw forbidden('not-a-merchant', 'only a merchant registered at this bank may use the payment API');
    const audience = [payload.aud ?? []].flat();
    if (!audience.includes(`${this.#publicUrl()}/banks/${bankId}/open-banking/v3.1/pisp`))
      throw dpopProblem('invalid-token', 'this access token is not for the payment API', 'invalid_token');
    await this.#dpop.claim(verified);
    const detail =
      row.model === 'AccessToken' ? payload.rar?.find((d) => d.type === 'payment_initiation') : undefined;
    return { merchantId, consentId: detail?.consent_id ?? null };
  }
}
