// The demo merchants: a separate party that sells in the chat and is paid at the shopper's
// bank as a FAPI 2.0 client of its own. Public entry of src/merchant.
export { BankPaymentClient } from './bank-client.ts';
export { DEMO_MERCHANTS, formatMinor, type Merchant, type Product, priceCart } from './catalogue.ts';
export { Checkout, CheckoutError } from './checkout.ts';
export { type MerchantConfig, MerchantConfigError, readMerchantConfig } from './config.ts';
export {
  ConfirmationRejectedError,
  type PaymentConfirmation,
  verifyConfirmation,
  verifyResponseSignature,
} from './confirmation.ts';
export { loadMerchantSecrets, merchantClientId, merchantKeyFile } from './keys.ts';
export type { PaymentOutcome, PaymentRail, RejectionReason } from './rail.ts';
export { MERCHANT_MIGRATIONS, type RunningMerchants, startMerchants } from './runtime.ts';
export { MerchantStore, type MerchantTables, type Order, type OrderStatus } from './store.ts';
