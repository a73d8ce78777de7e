// The Payment Initiation API (UK OB v3.1 shapes) under /banks/{bankId}/open-banking/v3.1/pisp:
// hooks and helpers (pis-kit.ts), the consent routes and the payment routes; the platform's
// funds attestation is its own route (funds-routes.ts).
import type { FastifyInstance } from 'fastify';
import { pisConsentRoutes } from './consent-routes.ts';
import { pisPaymentRoutes } from './payment-routes.ts';
import { installPisHooks, type PaymentRoutesOptions, pisKit } from './pis-kit.ts';

export { fundsAttestationRoutes } from './funds-routes.ts';
export { type PaymentRoutesOptions, PISP_PREFIX } from './pis-kit.ts';

export async function paymentRoutes(app: FastifyInstance, options: PaymentRoutesOptions): Promise<void> {
  installPisHooks(app, options);
  const kit = pisKit(options);
  pisConsentRoutes(app, options, kit);
  pisPaymentRoutes(app, options, kit);
}
