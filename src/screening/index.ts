// Public entry of the fraud screening engine. Other contexts import only from here.

export * from './alert-actions.ts';
export * from './alert-metrics.ts';
export * from './bank-training.ts';
export {
  type CliIo,
  main as screeningCli,
  type ProgressDisplay,
  SCORE_USAGE,
  scoreCommand,
  TRAIN_USAGE,
  trainCommand,
} from './cli.ts';
export * from './core-history.ts';
export * from './customer-reasons.ts';
export * from './dead-letter.ts';
export * from './dead-letter-routes.ts';
export * from './event.ts';
export * from './event-validation.ts';
export * from './features.ts';
export * from './fraud-sim.ts';
export * from './gbdt.ts';
export * from './ingest.ts';
export * from './investigator.ts';
export {
  type AlertSort,
  type AlertSubject,
  type InvestigatorBank,
  type InvestigatorPage,
  renderInvestigatorPage,
} from './investigator-page.ts';
export { localDay, localMidnight } from './local-day.ts';
export * from './logistic.ts';
export * from './metrics.ts';
export * from './model.ts';
export * from './model-panel.ts';
export * from './model-registry.ts';
export * from './nats.ts';
export * from './reasons.ts';
export * from './rules.ts';
export * from './screener.ts';
export * from './service.ts';
export * from './state.ts';
export * from './state-warmup.ts';
export * from './threshold.ts';
export * from './train.ts';
