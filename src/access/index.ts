export { BearerTokenAccess } from './bearer-token.ts';
export type {
  AccessGrant,
  AccessRequest,
  AccessResolver,
  DataUse,
  ReplayRecord,
  ResolveOptions,
} from './grant.ts';
export {
  DATA_CLUSTERS,
  type DataCluster,
  FORBIDDEN_PURPOSES,
  type ForbiddenPurpose,
  isForbiddenPurpose,
  isPurpose,
  PURPOSES,
  type Purpose,
} from './vocabulary.ts';
