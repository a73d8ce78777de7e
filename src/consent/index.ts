// Consent: the bank's FAPI 2.0 authorization server, consent records, the screens at the
// bank, DPoP-bound purpose-checked access to the data API, receipts and revocation.
export { DpopConsentAccess, denialProblem, PURPOSE_HEADER } from './access.ts';
export {
  type CustomerAuthenticator,
  DEMO_PASSWORD,
  DEMO_TOTP_SECRET,
  DemoAuthenticator,
  demoTotpSecret,
  hashPassword,
  type LoginAttempt,
  type LoginResult,
  totpFor,
  verifyPassword,
} from './authenticator.ts';
export { type BankBrand, bankBrand, logoMark } from './brand.ts';
export { wantsHtml } from './client-errors.ts';
export {
  clientMetadata,
  type MerchantClient,
  merchantClientMetadata,
  type PlatformRegistration,
} from './clients.ts';
export { accessTokenHash, DPOP_ALGS, DpopVerifier, dpopProblem, normaliseHtu } from './dpop.ts';
export { type ConsentEvent, type ConsentEventKind, type ConsentEvents, noConsentEvents } from './events.ts';
export type { LinkPayment, LinkPayments } from './link-payments.ts';
export {
  InvalidPaymentDetailError,
  PAYMENT_INITIATION_TYPE,
  type PaymentInitiationDetail,
  parsePaymentInitiation,
} from './payment-rar.ts';
export { ACCESS_TOKEN_TTL, CODE_TTL } from './provider.ts';
export {
  ACCOUNT_ACCESS_TYPE,
  type AccountAccessDetail,
  deviceKeyFingerprint,
  InvalidDetailError,
  MAX_DURATION_DAYS,
  parseAccountAccess,
} from './rar.ts';
export { RECEIPT_TYP } from './receipts.ts';
export { type AdmissionClaim, admitReleasesInBatch } from './release-admission.ts';
export { consentsStillAuthorised } from './release-guard.ts';
export { claimProofsInBatch, RecentProofs } from './replay.ts';
export { consentRoutes } from './routes.ts';
export { esc, htmlErrorPage, page as bankPage } from './screens.ts';
export { type AccessHistoryRecord, ConsentService, type ConsentServiceOptions } from './service.ts';
export {
  CONSENT_CHANNEL,
  type ConsentRecord,
  ConsentStateError,
  type ConsentStatus,
  ConsentStore,
  type RevokedBy,
} from './store.ts';
