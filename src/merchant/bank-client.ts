// The merchant as a FAPI 2.0 client of its own at one bank (oauth4webapi, like the platform's
// client): private_key_jwt (ES256), DPoP-bound tokens, PAR with an RFC 9396
// `payment_initiation` detail, PKCE. UK OB PIS v3.1 calls: a domestic payment consent
// (client-credentials token), the customer's approval at the bank, then with the code token
// the funds confirmation (yes/no) and the domestic payment (x-idempotency-key, detached
// x-jws-signature), and the bank's signed confirmation verified offline (confirmation.ts).
import { CompactSign, exportJWK, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import type { CreditorAccount, Merchant } from './catalogue.ts';
import { verifyConfirmation, verifyResponseSignature } from './confirmation.ts';
import type { PaymentOutcome, PaymentRail, RejectionReason, StartedAuthorisation } from './rail.ts';
import type { Order } from './store.ts';

export interface MerchantCredentials {
  clientId: string;
  /** Private ES256 JWK with kid, registered (public half) at the bank. */
  privateJwk: JWK;
}

export interface BankClientOptions {
  /** The bank's issuer, e.g. http://127.0.0.1:4100/banks/northwind */
  issuer: string;
  credentials(merchantId: string): MerchantCredentials;
  allowInsecure?: boolean;
  fetch?: typeof fetch;
}

interface MerchantAtBank {
  client: oauth.Client;
  auth: oauth.ClientAuth;
  signingKey: CryptoKey;
  kid: string;
  /** A client-credentials token and its DPoP key, reused until shortly before it expires. */
  token?: { value: string; dpop: CryptoKeyPair; expiresAt: number };
}

/** Rejections the bank's problem types map to (docs/checkout.md); anything else is a failed payment. */
const REJECTIONS: Record<string, RejectionReason> = {
  'insufficient-funds': 'insufficient-funds',
  'account-blocked': 'account-frozen',
  'payment-consent-expired': 'approval-timed-out',
};

export class BankPaymentClient implements PaymentRail {
  readonly #o: BankClientOptions;
  readonly #http: Record<symbol, unknown>;
  #as?: oauth.AuthorizationServer;
  #jwks?: JSONWebKeySet;
  readonly #merchants = new Map<string, MerchantAtBank>();

  constructor(options: BankClientOptions) {
    this.#o = options;
    this.#http = {
      ...(options.allowInsecure ? { [oauth.allowInsecureRequests]: true } : {}),
      ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
    };
  }

  get pisBase(): string {
    return `${this.#o.issuer}/open-banking/v3.1/pisp`;
  }

  /** Discovery and the bank's JWKS, once: later confirmations are verified offline against it. */
  async #server(): Promise<oauth.AuthorizationServer> {
    if (this.#as) return this.#as;
    const issuer = new URL(this.#o.issuer);
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...this.#http });
    this.#as = await oauth.processDiscoveryResponse(issuer, response);
    const jwks = await (this.#o.fetch ?? fetch)(this.#as.jwks_uri!);
    this.#jwks = (await jwks.json()) as JSONWebKeySet;
    return this.#as;
  }

  async #merchant(merchantId: string): Promise<MerchantAtBank> {
    const known = this.#merchants.get(merchantId);
    if (known) return known;
    const { clientId, privateJwk } = this.#o.credentials(merchantId);
    const signingKey = (await importJWK(privateJwk, 'ES256')) as CryptoKey;
    const kid = String(privateJwk.kid);
    const entry: MerchantAtBank = {
      client: { client_id: clientId },
      auth: oauth.PrivateKeyJwt({ key: signingKey, kid }),
      signingKey,
      kid,
    };
    this.#merchants.set(merchantId, entry);
    return entry;
  }

  /** RFC 7515 Appendix F detached JWS over the exact body, with the OB 3.1 protected header. */
  async #sign(m: MerchantAtBank, body: string): Promise<string> {
    const crit = [
      'http://openbanking.org.uk/iat',
      'http://openbanking.org.uk/iss',
      'http://openbanking.org.uk/tan',
    ];
    const jws = await new CompactSign(new TextEncoder().encode(body))
      .setProtectedHeader({
        alg: 'ES256',
        kid: m.kid,
        typ: 'JOSE',
        cty: 'application/json',
        'http://openbanking.org.uk/iat': Math.floor(Date.now() / 1000),
        'http://openbanking.org.uk/iss': m.client.client_id,
        'http://openbanking.org.uk/tan': 'openbanking.org.uk',
        crit,
      })
      .sign(m.signingKey, { crit: Object.fromEntries(crit.map((c) => [c, true])) });
    const [header, , signature] = jws.split('.');
    return `${header}..${signature}`;
  }

  async #clientToken(m: MerchantAtBank): Promise<{ value: string; dpop: CryptoKeyPair }> {
    if (m.token && m.token.expiresAt > Date.now() + 10_000) return m.token;
    const as = await this.#server();
    const dpop = await oauth.generateKeyPair('ES256');
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      m.client,
      m.auth,
      { scope: 'payments', resource: this.pisBase },
      { DPoP: oauth.DPoP(m.client, dpop), ...this.#http },
    );
    const tokens = await oauth.processClientCredentialsResponse(as, m.client, response);
    m.token = { value: tokens.access_token, dpop, expiresAt: Date.now() + (tokens.expires_in ?? 60) * 1000 };
    return m.token;
  }

  async #call(
    m: MerchantAtBank,
    token: { value: string; dpop: CryptoKeyPair },
    method: string,
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<Response> {
    const headers = new Headers({ accept: 'application/json' });
    let text: string | null = null;
    if (body !== undefined) {
      text = JSON.stringify(body);
      headers.set('content-type', 'application/json');
      headers.set('x-jws-signature', await this.#sign(m, text));
      if (idempotencyKey) headers.set('x-idempotency-key', idempotencyKey);
    }
    try {
      return await oauth.protectedResourceRequest(
        token.value,
        method,
        new URL(`${this.pisBase}${path}`),
        headers,
        text,
        {
          DPoP: oauth.DPoP(m.client, token.dpop),
          ...this.#http,
        },
      );
    } catch (error) {
      if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
      throw error;
    }
  }

  static initiation(order: Order, merchant: Merchant, creditor: CreditorAccount): Record<string, unknown> {
    return {
      InstructionIdentification: order.id,
      EndToEndIdentification: order.id,
      InstructedAmount: { Amount: order.amount, Currency: order.currency },
      CreditorAccount: {
        SchemeName: creditor.schemeName,
        Identification: creditor.identification,
        Name: creditor.name,
      },
      RemittanceInformation: { Reference: order.id, Unstructured: `${merchant.name} order ${order.id}` },
      // The receipt's lines for the shopper's device (OB SupplementaryData slot, docs/checkout.md).
      SupplementaryData: {
        proviso_receipt: {
          elements: order.items.map((line) => ({
            title: line.name,
            quantity: line.quantity,
            price: Number(line.unit_price),
            currency: order.currency,
          })),
        },
      },
    };
  }

  async start(input: {
    order: Order;
    merchant: Merchant;
    creditor: CreditorAccount;
    redirectUri: string;
  }): Promise<StartedAuthorisation> {
    const { order, merchant, creditor } = input;
    const as = await this.#server();
    const m = await this.#merchant(merchant.id);
    const initiation = BankPaymentClient.initiation(order, merchant, creditor);
    const consentBody = { Data: { Initiation: initiation }, Risk: { PaymentContextCode: 'EcommerceGoods' } };
    const created = await this.#call(
      m,
      await this.#clientToken(m),
      'POST',
      '/domestic-payment-consents',
      consentBody,
      `consent-${order.id}`,
    );
    if (created.status !== 201) throw new Error(`payment consent refused (${created.status})`);
    const consentText = await created.text();
    await verifyResponseSignature(
      consentText,
      created.headers.get('x-jws-signature'),
      this.#jwks!,
      this.#o.issuer,
    );
    const consentId = (JSON.parse(consentText) as { Data: { ConsentId: string } }).Data.ConsentId;
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const dpop = await oauth.generateKeyPair('ES256', { extractable: true });
    const detail = {
      type: 'payment_initiation',
      consent_id: consentId,
      instructedAmount: { currency: order.currency, amount: order.amount },
      creditorName: creditor.name,
      creditorAccount: { schemeName: creditor.schemeName, identification: creditor.identification },
      remittanceInformationUnstructured: `${merchant.name} order ${order.id}`,
    };
    const params = new URLSearchParams({
      redirect_uri: input.redirectUri,
      response_type: 'code',
      scope: 'openid payments',
      resource: this.pisBase,
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([detail]),
      dpop_jkt: await oauth.DPoP(m.client, dpop).calculateThumbprint(),
    });
    const response = await oauth.pushedAuthorizationRequest(as, m.client, m.auth, params, {
      DPoP: oauth.DPoP(m.client, dpop),
      ...this.#http,
    });
    const par = await oauth.processPushedAuthorizationResponse(as, m.client, response);
    const url = new URL(as.authorization_endpoint!);
    url.searchParams.set('client_id', m.client.client_id);
    url.searchParams.set('request_uri', par.request_uri);
    return {
      authorizationUrl: url.href,
      state,
      consentId,
      pending: {
        state,
        codeVerifier,
        redirectUri: input.redirectUri,
        consentBody,
        dpopPrivate: await exportJWK(dpop.privateKey),
        dpopPublic: await exportJWK(dpop.publicKey),
      },
    };
  }

  async complete(input: {
    order: Order;
    merchant: Merchant;
    callbackUrl: URL;
    pending: Record<string, unknown>;
  }): Promise<PaymentOutcome> {
    const { order, merchant, pending } = input;
    const as = await this.#server();
    const m = await this.#merchant(merchant.id);
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, m.client, input.callbackUrl, String(pending['state']));
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError)
        return {
          status: 'rejected',
          reason: error.error === 'access_denied' ? 'declined' : 'payment-failed',
        };
      throw error;
    }
    const dpop = {
      privateKey: (await importJWK(pending['dpopPrivate'] as JWK, 'ES256')) as CryptoKey,
      publicKey: (await importJWK(pending['dpopPublic'] as JWK, 'ES256', { extractable: true })) as CryptoKey,
    };
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      m.client,
      m.auth,
      params,
      String(pending['redirectUri']),
      String(pending['codeVerifier']),
      { DPoP: oauth.DPoP(m.client, dpop), ...this.#http },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, m.client, response, {
      expectedNonce: oauth.expectNoNonce,
    });
    const token = { value: tokens.access_token, dpop };
    // Confirmation of funds: a yes/no for this consent, never a balance.
    const funds = await this.#call(
      m,
      token,
      'GET',
      `/domestic-payment-consents/${order.consent_id}/funds-confirmation`,
    );
    if (funds.ok) {
      const answer = (await funds.json()) as {
        Data?: { FundsAvailableResult?: { FundsAvailable?: boolean } };
      };
      if (answer.Data?.FundsAvailableResult?.FundsAvailable === false)
        return { status: 'rejected', reason: 'insufficient-funds' };
    }
    const consentBody = pending['consentBody'] as { Data: { Initiation: unknown }; Risk: unknown };
    const paymentBody = {
      Data: { ConsentId: order.consent_id, Initiation: consentBody.Data.Initiation },
      Risk: consentBody.Risk,
    };
    const paid = await this.#call(m, token, 'POST', '/domestic-payments', paymentBody, `payment-${order.id}`);
    if (paid.status !== 201) {
      const problem = (await paid.json().catch(() => ({}))) as { type?: string; DomesticPaymentId?: string };
      const slug = String(problem.type ?? '').replace('urn:proviso:problem:', '');
      return {
        status: 'rejected',
        reason: REJECTIONS[slug] ?? 'payment-failed',
        ...(problem.DomesticPaymentId ? { paymentId: problem.DomesticPaymentId } : {}),
      };
    }
    // The answer and the confirmation are both checked against the bank's keys before "paid".
    const paidText = await paid.text();
    await verifyResponseSignature(paidText, paid.headers.get('x-jws-signature'), this.#jwks!, this.#o.issuer);
    const result = JSON.parse(paidText) as { Data: { DomesticPaymentId: string } };
    const confirmationJws = paid.headers.get('x-proviso-payment-confirmation') ?? '';
    await verifyConfirmation(confirmationJws, this.#jwks!, {
      issuer: this.#o.issuer,
      merchant: m.client.client_id,
      amount: order.amount,
      currency: order.currency,
      orderReference: order.id,
    });
    return { status: 'paid', paymentId: result.Data.DomesticPaymentId, confirmationJws };
  }

  async refund(input: { order: Order; merchant: Merchant }): Promise<{ refundId: string }> {
    const { order, merchant } = input;
    const m = await this.#merchant(merchant.id);
    const response = await this.#call(
      m,
      await this.#clientToken(m),
      'POST',
      `/domestic-payments/${order.payment_id}/proviso-refunds`,
      { Data: { Amount: { Amount: order.amount, Currency: order.currency }, Reference: order.id } },
      `refund-${order.id}`,
    );
    if (response.status !== 201) throw new Error(`refund refused (${response.status})`);
    return { refundId: ((await response.json()) as { Data: { RefundId: string } }).Data.RefundId };
  }

  /** The bank's JWKS as fetched at discovery (tests use it to verify what the merchant stored). */
  get bankJwks(): JSONWebKeySet | undefined {
    return this.#jwks;
  }
}
