// Release: the one path by which the bank's data leaves it — authenticate, load the consent,
// decide the purpose (Cedar), read the core, project to the purpose, log, seal, answer.
// The Open Banking routes, the bot, the alert sink and checkout (merchant confirmations) call
// `ReleasePath.release`.
export { releaseWithheld } from './errors.ts';
export { RELEASE_STEPS, ReleasePath, type StepObserver } from './path.ts';
export type {
  Authenticated,
  CoreRead,
  MerchantClient,
  PaymentConsentFacts,
  PaymentConsentSource,
  ReadScope,
  ReleaseCaller,
  ReleaseDependencies,
  Released,
  ReleaseRequest,
  ReleaseStep,
  ResourceLists,
  SealTo,
  SignAs,
  SigningKey,
  StepName,
} from './types.ts';
