// Checkout wiring in the gateway: the demo merchants' registrations (public keys from the data
// folder), the payment service, and the ONE function that pushes a sealed receipt to the
// customer's device (release path, then the outbox to the relay).
import type { FastifyInstance } from 'fastify';
import type { ConsentService } from '../consent/index.ts';
import type { Outbox } from '../outbox/index.ts';
import {
  approvalRoutes,
  DEMO_MERCHANTS,
  fundsAttestationRoutes,
  type MerchantRegistration,
  MerchantTokens,
  merchantBaseUrl,
  merchantKeyFile,
  merchantRedirectUri,
  type PaymentService,
  PISP_PREFIX,
  paymentRoutes,
  type ReceiptDelivery,
} from '../payments/index.ts';
import { loadOrCreatePlatformKeys } from '../platform-client/index.ts';
import type { ReleasePath } from '../release/index.ts';
import type { GatewayContext } from './context.ts';
import { enqueueRelayPush } from './relay-push.ts';

/** The demo merchants as every bank registers them; their private keys stay in the data folder. */
export async function demoMerchantRegistrations(
  dataDir: string,
  env = process.env,
): Promise<MerchantRegistration[]> {
  const base = merchantBaseUrl(env);
  return Promise.all(
    DEMO_MERCHANTS.map(async (m) => ({
      clientId: m.clientId,
      tradingName: m.tradingName,
      redirectUris: [merchantRedirectUri(base, m)],
      jwks: { keys: [(await loadOrCreatePlatformKeys(dataDir, merchantKeyFile(m))).publicJwk] },
      accounts: m.accounts,
    })),
  );
}

/**
 * The receipt's release and push: through the release path under the customer's checkout
 * link (Cedar: checkout over payments; the log commits to the receipt; sealed to the link's
 * device key), then to the outbox, whose worker posts it to the relay with retries.
 */
export function receiptDelivery(parts: {
  release: ReleasePath;
  outbox: Outbox;
}): (delivery: ReceiptDelivery) => Promise<void> {
  return async (delivery) => {
    const { envelope, authenticated } = await parts.release.release({
      bankId: delivery.bankId,
      caller: { kind: 'consent', consent: delivery.link },
      purpose: 'checkout',
      clusters: ['payments'],
      kind: 'payment.receipt',
      read: async () => ({ records: {}, extra: undefined }),
      answer: () => delivery.payload,
      seal: { type: delivery.type, id: delivery.id },
    });
    if (!envelope) return;
    await enqueueRelayPush(parts.outbox, {
      bankId: delivery.bankId,
      recipient: authenticated.pairwiseId,
      mid: `${delivery.type}-${delivery.id}`,
      envelope,
    });
  };
}

/** The payment routes: PIS API, funds attestations, the approval screen. */
export async function registerPaymentRoutes(
  app: FastifyInstance,
  ctx: GatewayContext,
  parts: { payments: PaymentService; consent: ConsentService },
): Promise<void> {
  const banks = new Set(ctx.banks.keys());
  const tokens = new MerchantTokens(
    ctx.database,
    parts.payments.options.merchants.map((m) => m.clientId),
    () => ctx.publicUrl,
  );
  await app.register(
    async (scope) =>
      paymentRoutes(scope, { service: parts.payments, tokens, banks, publicUrl: () => ctx.publicUrl }),
    {
      prefix: PISP_PREFIX,
    },
  );
  await app.register(async (scope) =>
    fundsAttestationRoutes(scope, { service: parts.payments, release: ctx.release, banks }),
  );
  await app.register(async (scope) =>
    approvalRoutes(scope, { payments: parts.payments, consent: parts.consent }),
  );
}
