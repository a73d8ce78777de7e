// The consent context assembled: per-bank authorization servers (lazily created once the
// public URL is known), the consent store, the customer authenticator, the DPoP data-API
// access resolver, receipts, revocation and the periodic jobs.
import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { Bank, BankCore } from '../bank/index.ts';
import type { KeyEncryptionKey, KeyStore } from '../keys/index.ts';
import type { Decision, PolicyEngine } from '../policy/index.ts';
import type { Database } from '../storage/index.ts';
import { DpopConsentAccess, decisionInput } from './access.ts';
import { purgeExpiredOidc } from './adapter.ts';
import { type CustomerAuthenticator, DemoAuthenticator, purgeLoginFailures } from './authenticator.ts';
import type { MerchantClient, PlatformRegistration } from './clients.ts';
import { DpopVerifier } from './dpop.ts';
import { type ConsentEvents, noConsentEvents } from './events.ts';
import type { LinkPayments } from './link-payments.ts';
import { createBankProvider } from './provider.ts';
import { bankSecret } from './secrets.ts';
import { type ConsentRecord, ConsentStore, type RevokedBy } from './store.ts';

export interface ConsentServiceOptions {
  database: Database;
  keyStore: KeyStore;
  kek: KeyEncryptionKey;
  banks: ReadonlyMap<string, Bank>;
  core(bankId: string): BankCore;
  publicUrl: () => string;
  platforms: PlatformRegistration[];
  /** Merchants registered at every bank (payment initiators, issue #12). */
  merchants?: MerchantClient[];
  policy: PolicyEngine;
  events?: ConsentEvents;
  authenticator?: CustomerAuthenticator;
  /**
   * The customer's own transparency-log entries at a bank, newest first (the access-history
   * page). Without it the page says there is no history to show.
   */
  accessHistory?: (bankId: string, customerId: string) => Promise<AccessHistoryRecord[]>;
  /** The bank log's note verifier key (C2SP signed-note), so the browser can check the checkpoint signature. */
  logVerifierKey?: (bankId: string) => string | undefined;
}

/** One entry of a customer's access history (the bank-private index of the log). */
export interface AccessHistoryRecord {
  /** Index of the entry in the bank's transparency log. */
  index: number;
  kind: string;
  /** OAuth client id of the platform. */
  platform: string;
  purpose: string | null;
  clusters: string[];
  at: Date;
}

interface OidcRowTables {
  consent_oidc: { bank_id: string; model: string; id: string; grant_id: string | null };
}

export class ConsentService {
  readonly store: ConsentStore;
  readonly access: DpopConsentAccess;
  readonly authenticator: CustomerAuthenticator;
  readonly options: ConsentServiceOptions;
  /** Checkout's view of a link (payments made through it, stop): set by the payments context. */
  linkPayments: LinkPayments | undefined;
  readonly #providers = new Map<string, Promise<Provider>>();
  readonly #secrets = new Map<string, Promise<Buffer>>();
  readonly #sectors = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ConsentServiceOptions) {
    this.options = options;
    this.store = new ConsentStore(options.database, options.events ?? noConsentEvents);
    this.authenticator = options.authenticator ?? new DemoAuthenticator(options.database, options.core);
    this.access = new DpopConsentAccess({
      database: options.database,
      policy: options.policy,
      consents: this.store,
      publicUrl: options.publicUrl,
      subjectFor: (bankId, clientId, customerId) => this.pairwiseSubject(bankId, clientId, customerId),
    });
  }

  issuer(bankId: string): string {
    return `${this.options.publicUrl()}/banks/${bankId}`;
  }
  apiBase(bankId: string): string {
    return `${this.issuer(bankId)}/open-banking/v3.1/aisp`;
  }
  /** The Payment Initiation API's base: resource indicator and audience of merchant tokens. */
  paymentsBase(bankId: string): string {
    return `${this.issuer(bankId)}/open-banking/v3.1/pisp`;
  }
  bankName(bankId: string): string {
    return this.options.banks.get(bankId)?.name ?? bankId;
  }
  platform(clientId: string): PlatformRegistration | undefined {
    return this.options.platforms.find((p) => p.clientId === clientId);
  }
  platformName(clientId: string): string {
    return (
      this.platform(clientId)?.tradingName ??
      this.options.merchants?.find((m) => m.clientId === clientId)?.tradingName ??
      clientId
    );
  }

  /** A per-bank secret shared by all instances (sealed in the database). */
  secret(bankId: string, name: string): Promise<Buffer> {
    const key = `${bankId}:${name}`;
    let s = this.#secrets.get(key);
    if (!s) {
      s = bankSecret(this.options.database, this.options.kek, bankId, name);
      s.catch(() => this.#secrets.delete(key));
      this.#secrets.set(key, s);
    }
    return s;
  }

  provider(bankId: string): Promise<Provider> {
    let p = this.#providers.get(bankId);
    if (!p) {
      p = this.#createProvider(bankId);
      p.catch(() => this.#providers.delete(bankId));
      this.#providers.set(bankId, p);
    }
    return p;
  }

  async #createProvider(bankId: string): Promise<Provider> {
    const [cookie, salt, signing] = await Promise.all([
      this.secret(bankId, 'cookie'),
      this.secret(bankId, 'pairwise'),
      this.options.keyStore.active(bankId, 'sign', 'ES256'),
    ]);
    const signingJwk = {
      ...(signing.privateKey.export({ format: 'jwk' }) as JWK),
      kid: signing.kid,
      alg: 'ES256',
      use: 'sig',
    };
    const provider = createBankProvider({
      bankId,
      bankName: this.bankName(bankId),
      issuer: this.issuer(bankId),
      apiBase: this.apiBase(bankId),
      database: this.options.database,
      signingJwk,
      cookieKeys: [cookie.toString('base64url')],
      pairwiseSalt: salt,
      clients: this.options.platforms,
      ...(this.options.merchants?.length
        ? { merchants: this.options.merchants, paymentsBase: this.paymentsBase(bankId) }
        : {}),
      consents: this.store,
      secureCookies: this.options.publicUrl().startsWith('https:'),
    });
    // RFC 7009 revocation of any of a platform's tokens ends the consent too, before the
    // revocation response is sent.
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route !== 'revocation' || ctx.status !== 200) return;
      const token = (ctx.oidc.entities['AccessToken'] ?? ctx.oidc.entities['RefreshToken']) as
        | { grantId?: string }
        | undefined;
      if (!token?.grantId) return;
      const consent = await this.store.byGrant(bankId, token.grantId);
      if (consent) await this.revoke(consent.id, 'platform');
    });
    return provider;
  }

  /**
   * Cedar's decision for a use of a recorded consent the bank starts itself (an alert pushed
   * to the platform), the same rules as for the platform's own requests.
   */
  decide(consent: ConsentRecord, use: { purpose: string; cluster: string; accountId?: string }): Decision {
    return this.options.policy.decide(
      decisionInput(
        {
          consentId: consent.id,
          status: consent.status,
          platform: consent.clientId,
          customerId: consent.customerId ?? '',
          purposes: consent.purposes,
          clusters: consent.clusters,
          accountIds: consent.accountIds,
          expiresAt: consent.expiresAt ?? new Date(0),
        },
        { platform: consent.clientId, customerId: consent.customerId ?? '', ...use },
      ),
    );
  }

  /** The platform's pairwise subject for a customer (what its ID tokens carry). */
  async pairwiseSubject(bankId: string, clientId: string, customerId: string): Promise<string> {
    const key = `${bankId}\0${clientId}`;
    let sector = this.#sectors.get(key);
    if (sector === undefined) {
      const provider = await this.provider(bankId);
      sector = String((await provider.Client.find(clientId))?.sectorIdentifier);
      this.#sectors.set(key, sector);
    }
    const salt = await this.secret(bankId, 'pairwise');
    return createHmac('sha256', salt).update(`${sector}\0${customerId}`).digest('base64url');
  }

  /**
   * Ends a consent and its grant: refresh tokens, codes and the grant go at once; access
   * tokens stay until they expire (≤ 10 min) only so that using one is refused by name
   * ("consent revoked") rather than as an unknown token. Returns null if it was not active.
   */
  async revoke(consentId: string, by: RevokedBy): Promise<ConsentRecord | null> {
    const revoked = await this.store.revoke(consentId, by);
    const grantId = revoked?.grantId ?? (await this.store.get(consentId))?.grantId;
    if (grantId) {
      const db = this.options.database.tables<OidcRowTables>();
      const bankId = revoked?.bankId ?? (await this.store.get(consentId))!.bankId;
      await db
        .deleteFrom('consent_oidc')
        .where('bank_id', '=', bankId)
        .where((eb) =>
          eb.or([
            eb.and([eb('grant_id', '=', grantId), eb('model', 'in', ['RefreshToken', 'AuthorizationCode'])]),
            eb.and([eb('model', '=', 'Grant'), eb('id', '=', grantId)]),
          ]),
        )
        .execute();
    }
    return revoked;
  }

  /** Expiry, 30-day reminders and clean-up of short-lived rows. Safe to run on every instance. */
  async runJobs(now = new Date()): Promise<{ expired: number; reminders: number }> {
    const expired = await this.store.expireDue(now);
    const reminders = await this.store.queueExpiryReminders(now);
    await Promise.all([
      DpopVerifier.purge(this.options.database),
      purgeExpiredOidc(this.options.database),
      purgeLoginFailures(this.options.database),
    ]);
    return { expired, reminders };
  }

  startJobs(intervalMs = 60_000): void {
    const tick = () => void this.runJobs().catch(() => {});
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
