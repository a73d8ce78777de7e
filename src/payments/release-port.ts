// What the release path (src/release) needs from checkout to release a merchant's confirmation
// through its steps: the payment consent by id (its merchant, customer, debtor account, status,
// expiry) and the bank's ES256 key that signs what a merchant verifies offline. Wired by the
// gateway into `new ReleasePath(...)`; the release context never imports this one.
import type { KeyStore } from '../keys/index.ts';
import type { PaymentConsentSource, SigningKey } from '../release/index.ts';
import type { Database } from '../storage/index.ts';
import { PaymentStore } from './store.ts';

/** Payment consents as the release path's consent step loads them (one read per release). */
export function paymentConsentSource(database: Database): PaymentConsentSource {
  const store = new PaymentStore(database);
  return {
    async get(bankId, consentId) {
      const row = await store.consent(bankId, consentId);
      return row
        ? {
            id: row.id,
            bankId: row.bank_id,
            merchantId: row.merchant_id,
            customerId: row.customer_id,
            debtorAccountId: row.debtor_account_id,
            status: row.status,
            expiresAt: row.expires_at,
          }
        : null;
    },
  };
}

/** The bank's ES256 signing key (the one in its JWKS the merchants verify with). */
export function es256Signers(keyStore: KeyStore): (bankId: string) => Promise<SigningKey> {
  return async (bankId) => {
    const key = await keyStore.active(bankId, 'sign', 'ES256');
    return { key: key.privateKey, kid: key.kid };
  };
}
