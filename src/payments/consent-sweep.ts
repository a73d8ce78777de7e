// One of the payment service's timers (started by PaymentService.startJobs beside the
// idempotency purge): payment consents nobody approved in time are swept to Rejected (UK OB has
// no Expired state) instead of waiting for their next read. Each tick is bounded (at most
// SWEEP_BATCHES × SWEEP_BATCH consents); the rest wait for the next. Returns the stop function.
import type { PaymentService } from './service.ts';

export const SWEEP_EVERY_MS = 60_000;
export const SWEEP_BATCH = 500;
export const SWEEP_BATCHES = 4;

export interface PaymentJobsLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** One bounded sweep: batches until one comes back short or the tick's budget is spent. */
export async function sweepExpiredPaymentConsents(
  payments: Pick<PaymentService, 'sweepExpiredConsents'>,
  log: PaymentJobsLog,
  now = new Date(),
): Promise<number> {
  let rejected = 0;
  for (let batch = 0; batch < SWEEP_BATCHES; batch++) {
    const moved = await payments.sweepExpiredConsents(now, SWEEP_BATCH);
    rejected += moved;
    if (moved < SWEEP_BATCH) break;
  }
  if (rejected > 0) log.info({ rejected }, 'payment consents not approved in time rejected');
  return rejected;
}

export function startPaymentJobs(
  payments: Pick<PaymentService, 'sweepExpiredConsents'>,
  log: PaymentJobsLog,
): () => void {
  let running = false;
  const sweep = setInterval(() => {
    if (running) return;
    running = true;
    sweepExpiredPaymentConsents(payments, log)
      .catch((error: unknown) => log.warn({ err: error }, 'payment consent sweep failed'))
      .finally(() => {
        running = false;
      });
  }, SWEEP_EVERY_MS);
  sweep.unref();
  return () => clearInterval(sweep);
}
