// Node entry of the sealed-envelope context (gateway and bank side). The browser entry is
// device.ts; everything re-exported from there is also available here for Node callers.

export type { SealedBody } from './body.ts';
export * from './device.ts';
export {
  deriveKeyPair as fastDeriveKeyPair,
  keySchedule as fastKeySchedule,
  setupRecipient as fastSetupRecipient,
  setupSender as fastSetupSender,
} from './fast-hpke.ts';
export { type OpenedReply, type OpenReplyOptions, openReply } from './open-reply.ts';
export { type ItemResult, SealingPool, SealingPoolError, type SealingPoolOptions } from './pool.ts';
export { createPooledSealer, type PooledSealerOptions } from './pooled-sealer.ts';
export {
  type BankSigningKey,
  createSealer,
  type Sealer,
  type SealerOptions,
  type SealInput,
} from './sealer.ts';
