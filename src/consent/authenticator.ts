// Customer authentication at the bank. A bank plugs its own identity provider in through
// CustomerAuthenticator; the built-in DemoAuthenticator (for the demo banks) checks a
// password hashed with scrypt (memory-hard: N=2^15, r=8, p=1 — argon2 would need a native
// addon) and a TOTP one-time code (RFC 6238, 30 s, 6 digits, each code usable once), and
// throttles failures per username and per client address in the database, so the limits
// hold across gateway instances.
import { createHash, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import type { BankCore } from '../bank/index.ts';
import { constantTimeEqual } from '../http/index.ts';
import type { Database } from '../storage/index.ts';

const scrypt = promisify(scryptCb) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

export interface LoginAttempt {
  bankId: string;
  username: string;
  password: string;
  otp: string;
  /** Client address, for throttling. */
  ip: string;
}

export type LoginResult =
  | { ok: true; customerId: string }
  | { ok: false; reason: 'invalid' | 'throttled'; retryAfterSeconds?: number };

export interface CustomerAuthenticator {
  authenticate(attempt: LoginAttempt): Promise<LoginResult>;
  /**
   * The one-time code alone, for a customer the bank already knows in this browser (its own
   * session cookie): a returning customer approving a payment. Same throttling, same one use.
   */
  confirmCode?(attempt: {
    bankId: string;
    customerId: string;
    otp: string;
    ip: string;
  }): Promise<LoginResult>;
}

interface CredentialTables {
  consent_credential: {
    bank_id: string;
    customer_id: string;
    password_hash: string;
    totp_secret: string;
    totp_last_step: number;
  };
  consent_login_failure: { id: number; bank_id: string; subject: string; at: Date };
}

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const DEMO_PASSWORD = 'proviso-demo';
/** TOTP secret (base32) of the demo user `demo` at every demo bank; documented in the README. */
export const DEMO_TOTP_SECRET = 'PROVISODEMOTOTPSECRETJBSWY3DPEHP';

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, 32, SCRYPT);
  return `scrypt$${Math.log2(SCRYPT.N)}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, logN, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, {
    N: 2 ** Number(logN),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return constantTimeEqual(actual, expected);
}

/** The demo TOTP secret of a demo customer: fixed for `demo`, derived from bank and username otherwise. */
export function demoTotpSecret(bankId: string, username: string): string {
  if (username === 'demo') return DEMO_TOTP_SECRET;
  const bytes = createHash('sha256')
    .update(`proviso-demo-totp:${bankId}:${username}`)
    .digest()
    .subarray(0, 20);
  return new Secret({ buffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 20) as ArrayBuffer })
    .base32;
}

export function totpFor(secretBase32: string): TOTP {
  return new TOTP({ secret: Secret.fromBase32(secretBase32), digits: 6, period: 30, algorithm: 'SHA1' });
}

export interface ThrottleLimits {
  perUsername: number;
  perIp: number;
  windowSeconds: number;
}

export class DemoAuthenticator implements CustomerAuthenticator {
  readonly #db;
  readonly #core: (bankId: string) => BankCore;
  readonly #limits: ThrottleLimits;
  /** A dummy hash verified for unknown users so that timing does not reveal which usernames exist. */
  #dummy: Promise<string> | undefined;
  constructor(database: Database, core: (bankId: string) => BankCore, limits: Partial<ThrottleLimits> = {}) {
    this.#db = database.tables<CredentialTables>();
    this.#core = core;
    this.#limits = { perUsername: 5, perIp: 30, windowSeconds: 900, ...limits };
  }

  /** Sets (or resets) a customer's credentials. */
  async enrol(bankId: string, customerId: string, password: string, totpSecret: string): Promise<void> {
    const password_hash = await hashPassword(password);
    await this.#db
      .insertInto('consent_credential')
      .values({
        bank_id: bankId,
        customer_id: customerId,
        password_hash,
        totp_secret: totpSecret,
        totp_last_step: 0,
      })
      .onConflict((oc) =>
        oc
          .columns(['bank_id', 'customer_id'])
          .doUpdateSet({ password_hash, totp_secret: totpSecret, totp_last_step: 0 }),
      )
      .execute();
  }

  async #failures(bankId: string, subject: string): Promise<number> {
    const row = await this.#db
      .selectFrom('consent_login_failure')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('bank_id', '=', bankId)
      .where('subject', '=', subject)
      .where('at', '>', new Date(Date.now() - this.#limits.windowSeconds * 1000))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async #fail(bankId: string, username: string, ip: string): Promise<LoginResult> {
    await this.#db
      .insertInto('consent_login_failure')
      .values([
        { bank_id: bankId, subject: `user:${username}` },
        { bank_id: bankId, subject: `ip:${ip}` },
      ] as never)
      .execute();
    return { ok: false, reason: 'invalid' };
  }

  async authenticate({ bankId, username, password, otp, ip }: LoginAttempt): Promise<LoginResult> {
    const name = username.trim().toLowerCase().slice(0, 64);
    const [byUser, byIp] = await Promise.all([
      this.#failures(bankId, `user:${name}`),
      this.#failures(bankId, `ip:${ip}`),
    ]);
    if (byUser >= this.#limits.perUsername || byIp >= this.#limits.perIp)
      return { ok: false, reason: 'throttled', retryAfterSeconds: this.#limits.windowSeconds };

    const customer = await this.#core(bankId).customerByUsername(name);
    let credential = customer
      ? await this.#db
          .selectFrom('consent_credential')
          .selectAll()
          .where('bank_id', '=', bankId)
          .where('customer_id', '=', customer.id)
          .executeTakeFirst()
      : undefined;
    if (customer && !credential) {
      // Demo banks: every seeded customer gets the documented demo credentials on first use.
      await this.enrol(bankId, customer.id, DEMO_PASSWORD, demoTotpSecret(bankId, name));
      credential = await this.#db
        .selectFrom('consent_credential')
        .selectAll()
        .where('bank_id', '=', bankId)
        .where('customer_id', '=', customer.id)
        .executeTakeFirstOrThrow();
    }
    if (!customer || !credential) {
      this.#dummy ??= hashPassword('not a real password');
      await verifyPassword(password, await this.#dummy);
      return this.#fail(bankId, name, ip);
    }
    const passwordOk = await verifyPassword(password, credential.password_hash);
    const delta = /^\d{6}$/.test(otp)
      ? totpFor(credential.totp_secret).validate({ token: otp, window: 1 })
      : null;
    if (!passwordOk || delta === null) return this.#fail(bankId, name, ip);
    // Each code works once: the accepted time step must be later than the last one used.
    const step = Math.floor(Date.now() / 30_000) + delta;
    const claimed = await this.#db
      .updateTable('consent_credential')
      .set({ totp_last_step: step })
      .where('bank_id', '=', bankId)
      .where('customer_id', '=', customer.id)
      .where('totp_last_step', '<', step)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return this.#fail(bankId, name, ip);
    await this.#db
      .deleteFrom('consent_login_failure')
      .where('bank_id', '=', bankId)
      .where('subject', '=', `user:${name}`)
      .execute();
    return { ok: true, customerId: customer.id };
  }

  async confirmCode({
    bankId,
    customerId,
    otp,
    ip,
  }: {
    bankId: string;
    customerId: string;
    otp: string;
    ip: string;
  }): Promise<LoginResult> {
    const customer = await this.#core(bankId).customer(customerId);
    if (!customer) return { ok: false, reason: 'invalid' };
    const name = customer.username;
    const [byUser, byIp] = await Promise.all([
      this.#failures(bankId, `user:${name}`),
      this.#failures(bankId, `ip:${ip}`),
    ]);
    if (byUser >= this.#limits.perUsername || byIp >= this.#limits.perIp)
      return { ok: false, reason: 'throttled', retryAfterSeconds: this.#limits.windowSeconds };
    const credential = await this.#db
      .selectFrom('consent_credential')
      .selectAll()
      .where('bank_id', '=', bankId)
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    const delta =
      credential && /^\d{6}$/.test(otp)
        ? totpFor(credential.totp_secret).validate({ token: otp, window: 1 })
        : null;
    if (delta === null) return this.#fail(bankId, name, ip);
    const step = Math.floor(Date.now() / 30_000) + delta;
    const claimed = await this.#db
      .updateTable('consent_credential')
      .set({ totp_last_step: step })
      .where('bank_id', '=', bankId)
      .where('customer_id', '=', customerId)
      .where('totp_last_step', '<', step)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return this.#fail(bankId, name, ip);
    return { ok: true, customerId };
  }
}

/** Drops failure rows older than a day (periodic job). */
export async function purgeLoginFailures(database: Database): Promise<void> {
  await database
    .tables<CredentialTables>()
    .deleteFrom('consent_login_failure')
    .where('at', '<', sql<Date>`now() - interval '1 day'`)
    .execute();
}
