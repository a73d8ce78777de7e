// Checkout at the bank (issue #12): merchants as payment initiators (UK OB PIS shapes), the
// customer's approval, execution in the bank core, signed confirmations, funds attestations,
// sealed receipts. The merchant app imports only the data and the verifiers from here.
export { approvalRoutes } from './approval.ts';
export {
  ConfirmationInvalidError,
  FUNDS_ATTESTATION_TYP,
  PAYMENT_CONFIRMATION_TYP,
  type PaymentConfirmation,
  REFUND_CONFIRMATION_TYP,
  type RefundConfirmation,
  type VerifyConfirmationOptions,
  verifyPaymentConfirmation,
  verifyRefundConfirmation,
} from './confirmation.ts';
export { GRID_RATIO, PROBES_PER_DAY } from './funds-threshold.ts';
export { JwsSignatureError, OB_IAT, OB_ISS, OB_TAN, signDetached, verifyDetachedJws } from './jws.ts';
export {
  type CreditorAccount,
  DEMO_MERCHANTS,
  type DemoMerchant,
  ensureMerchantAccounts,
  type MerchantRegistration,
  merchantBaseUrl,
  merchantKeyFile,
  merchantRedirectUri,
} from './merchants.ts';
export { es256Signers, paymentConsentSource } from './release-port.ts';
export type { ReceiptDelivery } from './releases.ts';
export { fundsAttestationRoutes, PISP_PREFIX, paymentRoutes } from './routes.ts';
export { CONSENT_TTL_MS, PaymentService, type PaymentServiceOptions } from './service.ts';
export { withPaymentAdmission } from './store.ts';
export { MerchantTokens } from './tokens.ts';
