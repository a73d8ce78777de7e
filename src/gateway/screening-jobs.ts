// The screening work the gateway runs on a timer: alerts nobody answered in time go to the
// bank's queue, and budget thresholds follow the bank's traffic. Returns the stop function.
import type { ScreeningService } from '../screening/index.ts';

export function startScreeningJobs(screening: ScreeningService, alertReplySeconds: number): () => void {
  const escalation = setInterval(
    () => void screening.escalateOverdue(new Date(), alertReplySeconds).catch(() => {}),
    Math.min(30_000, alertReplySeconds * 1000),
  );
  escalation.unref();
  // Budget thresholds are re-chosen once a day (checked hourly).
  const budgets = setInterval(() => void screening.refreshBudgetThresholds().catch(() => {}), 3_600_000);
  budgets.unref();
  return () => {
    clearInterval(escalation);
    clearInterval(budgets);
  };
}
