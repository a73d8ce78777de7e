// A demo merchant as a FAPI 2.0 client of a bank, for tests: client-credentials and
// authorization-code tokens (private_key_jwt, DPoP), PAR with a payment_initiation detail, and
// PIS calls with a detached x-jws-signature and an x-idempotency-key.
import { randomUUID } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  DEMO_MERCHANTS,
  type DemoMerchant,
  merchantBaseUrl,
  merchantKeyFile,
  merchantRedirectUri,
  signDetached,
} from '../../src/payments/index.ts';
import { loadOrCreatePlatformKeys } from '../../src/platform-client/index.ts';
import type { TestGateway } from './gateway.ts';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

export interface PisAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  text: string;
}

export class TestMerchant {
  readonly merchant: DemoMerchant;
  readonly bank: string;
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly #auth: oauth.ClientAuth;
  readonly #signing: { key: CryptoKey; kid: string };
  readonly dpopKeys: CryptoKeyPair;
  readonly redirectUri: string;
  readonly pisBase: string;
  #cc: string | undefined;

  private constructor(o: {
    t: TestGateway;
    merchant: DemoMerchant;
    bank: string;
    as: oauth.AuthorizationServer;
    key: CryptoKey;
    kid: string;
    dpopKeys: CryptoKeyPair;
  }) {
    this.merchant = o.merchant;
    this.bank = o.bank;
    this.as = o.as;
    this.client = { client_id: o.merchant.clientId, token_endpoint_auth_method: 'private_key_jwt' };
    this.#auth = oauth.PrivateKeyJwt({ key: o.key, kid: o.kid });
    this.#signing = { key: o.key, kid: o.kid };
    this.dpopKeys = o.dpopKeys;
    this.redirectUri = merchantRedirectUri(merchantBaseUrl({}), o.merchant);
    this.pisBase = `${o.t.gw.url}/banks/${o.bank}/open-banking/v3.1/pisp`;
  }

  static async create(
    t: TestGateway,
    bank = 'northwind',
    merchant = DEMO_MERCHANTS[0]!,
  ): Promise<TestMerchant> {
    const { privateJwk } = await loadOrCreatePlatformKeys(t.dataDir, merchantKeyFile(merchant));
    const key = (await importJWK(privateJwk as JWK, 'ES256')) as CryptoKey;
    const issuer = new URL(`${t.gw.url}/banks/${bank}`);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
    );
    const dpopKeys = await oauth.generateKeyPair('ES256', { extractable: true });
    return new TestMerchant({ t, merchant, bank, as, key, kid: String(privateJwk.kid), dpopKeys });
  }

  get creditor() {
    const a = this.merchant.accounts[this.bank]!;
    return { SchemeName: a.schemeName, Identification: a.identification, Name: this.merchant.tradingName };
  }

  /** A client-credentials token for the payment API. */
  async clientToken(): Promise<string> {
    if (this.#cc) return this.#cc;
    const params = new URLSearchParams({ scope: 'payments', resource: this.pisBase });
    const res = await oauth.clientCredentialsGrantRequest(this.as, this.client, this.#auth, params, {
      DPoP: oauth.DPoP(this.client, this.dpopKeys),
      ...insecure,
    });
    const tokens = await oauth.processClientCredentialsResponse(this.as, this.client, res);
    this.#cc = tokens.access_token;
    return this.#cc;
  }

  initiation(amount: string, order: string, currency = this.merchant.accounts[this.bank]!.currency) {
    return {
      InstructionIdentification: order,
      EndToEndIdentification: order,
      InstructedAmount: { Amount: amount, Currency: currency },
      CreditorAccount: this.creditor,
      RemittanceInformation: { Reference: order, Unstructured: `Order ${order}` },
    };
  }

  /** A PIS call: DPoP proof, and on POST a detached JWS over the exact body and an idempotency key. */
  async call(
    method: 'GET' | 'POST',
    path: string,
    token: string,
    body?: unknown,
    o: { key?: string; text?: string } = {},
  ): Promise<PisAnswer> {
    const url = `${this.pisBase}${path}`;
    const headers: Record<string, string> = {
      authorization: `DPoP ${token}`,
      dpop: await dpopFor(this.dpopKeys, method, url, token),
    };
    let text: string | undefined;
    if (method === 'POST') {
      text = o.text ?? JSON.stringify(body);
      headers['content-type'] = 'application/json';
      headers['x-idempotency-key'] = o.key ?? randomUUID();
      headers['x-jws-signature'] = await signDetached(text, this.merchant.clientId, this.#signing);
    }
    const res = await fetch(url, { method, headers, ...(text !== undefined ? { body: text } : {}) });
    const answer = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text: answer,
      body: answer ? (JSON.parse(answer) as Record<string, unknown>) : {},
    };
  }

  async createConsent(amount: string, order: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await this.call('POST', '/domestic-payment-consents', await this.clientToken(), {
      Data: { Initiation: { ...this.initiation(amount, order), ...extra } },
      Risk: { PaymentContextCode: 'EcommerceGoods' },
    });
    if (res.status !== 201) throw new Error(`consent ${res.status}: ${res.text}`);
    return String((res.body['Data'] as Record<string, unknown>)['ConsentId']);
  }

  /** PAR for one consent; the URL to send the customer's browser to. */
  async authorize(consentId: string, amount: string, currency = this.merchant.accounts[this.bank]!.currency) {
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const detail = {
      type: 'payment_initiation',
      consent_id: consentId,
      instructedAmount: { currency, amount },
      creditorName: this.merchant.tradingName,
      creditorAccount: { schemeName: this.creditor.SchemeName, identification: this.creditor.Identification },
      remittanceInformationUnstructured: 'Order',
    };
    const params = new URLSearchParams({
      redirect_uri: this.redirectUri,
      response_type: 'code',
      scope: 'openid',
      resource: this.pisBase,
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([detail]),
      dpop_jkt: await oauth.DPoP(this.client, this.dpopKeys).calculateThumbprint(),
    });
    const res = await oauth.pushedAuthorizationRequest(this.as, this.client, this.#auth, params, {
      DPoP: oauth.DPoP(this.client, this.dpopKeys),
      ...insecure,
    });
    const par = await oauth.processPushedAuthorizationResponse(this.as, this.client, res);
    const url = new URL(this.as.authorization_endpoint!);
    url.searchParams.set('client_id', this.client.client_id);
    url.searchParams.set('request_uri', par.request_uri);
    return { url: url.toString(), state, codeVerifier };
  }

  /** The callback: the code for a token bound to this merchant's DPoP key. */
  async redeem(callback: string, pending: { state: string; codeVerifier: string }): Promise<string> {
    const params = oauth.validateAuthResponse(this.as, this.client, new URL(callback), pending.state);
    const res = await oauth.authorizationCodeGrantRequest(
      this.as,
      this.client,
      this.#auth,
      params,
      this.redirectUri,
      pending.codeVerifier,
      {
        DPoP: oauth.DPoP(this.client, this.dpopKeys),
        ...insecure,
      },
    );
    const tokens = await oauth.processAuthorizationCodeResponse(this.as, this.client, res, {
      expectedNonce: oauth.expectNoNonce,
    });
    return tokens.access_token;
  }
}

async function dpopFor(keys: CryptoKeyPair, method: string, url: string, token: string): Promise<string> {
  const { SignJWT, exportJWK } = await import('jose');
  const { createHash } = await import('node:crypto');
  return new SignJWT({
    htm: method,
    htu: url,
    ath: createHash('sha256').update(token).digest('base64url'),
    jti: randomUUID(),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
    .setIssuedAt()
    .sign(keys.privateKey);
}
