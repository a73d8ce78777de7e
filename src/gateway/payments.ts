// Checkout wiring in the gateway: the demo merchants' registrations (public keys from the data
// folder), the payment service, and the ONE function that pushes a sealed receipt to the
// customer's device through the platform's relay (postToRelay, like alerts) — to be switched to
// the alerts helper's outbox when it lands.
import type { FastifyInstance } from 'fastify';
import type { ConsentService } from '../consent/index.ts';
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
import { postToRelay, type RelayWebhook } from './alerts.ts';
import type { GatewayContext } from './context.ts';
import type { BankSealers } from './sealers.ts';

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

/** Seals a receipt to the link's device key and pushes it through the relay webhook. */
export function pushReceipt(o: {
  consent: ConsentService;
  sealers: BankSealers;
  relay(): RelayWebhook | undefined;
  timeoutMs?: number;
}): (delivery: ReceiptDelivery) => Promise<void> {
  return async (delivery) => {
    const relay = o.relay();
    if (!relay) return;
    const link = await o.consent.store.get(delivery.linkConsentId);
    if (!link?.customerId) return;
    const pairwise = await o.consent.pairwiseSubject(delivery.bankId, link.clientId, link.customerId);
    const sealer = await o.sealers(delivery.bankId);
    const envelope = sealer.seal({
      recipientPublicKey: link.deviceKey,
      consentCommitment: link.id,
      purpose: 'checkout',
      type: delivery.type,
      id: delivery.id,
      log: delivery.logIndex,
      payload: delivery.payload,
    });
    const now = Date.now();
    const body = JSON.stringify({
      object: 'proviso',
      entry: [
        {
          id: delivery.bankId,
          time: now,
          messaging: [
            {
              sender: { id: delivery.bankId },
              recipient: { id: pairwise },
              timestamp: now,
              message: { mid: `${delivery.type}-${delivery.id}`, envelope },
            },
          ],
        },
      ],
    });
    const status = await postToRelay(relay, delivery.bankId, body, o.timeoutMs ?? 5000);
    if (status < 200 || status > 299)
      throw new Error(`the relay refused the receipt push with HTTP ${status}`);
  };
}

/** The payment routes: PIS API, funds attestations, the approval screen. */
export async function registerPaymentRoutes(
  app: FastifyInstance,
  ctx: GatewayContext,
  o: { payments: PaymentService; consent: ConsentService },
): Promise<void> {
  const banks = new Set(ctx.banks.keys());
  const tokens = new MerchantTokens(
    ctx.database,
    o.payments.options.merchants.map((m) => m.clientId),
    () => ctx.publicUrl,
  );
  await app.register(
    async (scope) =>
      paymentRoutes(scope, { service: o.payments, tokens, banks, publicUrl: () => ctx.publicUrl }),
    {
      prefix: PISP_PREFIX,
    },
  );
  await app.register(async (scope) =>
    fundsAttestationRoutes(scope, { service: o.payments, access: ctx.access, banks }),
  );
  await app.register(async (scope) => approvalRoutes(scope, { payments: o.payments, consent: o.consent }));
}
