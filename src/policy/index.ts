// Purpose policy: Cedar decides whether a data call may happen; projections decide
// which fields it may return. The only entry point into src/policy.
export type {
  ConsentFacts,
  ConsentStatus,
  DataRequest,
  Decision,
  DecisionCode,
  DecisionInput,
  DenialCode,
} from './decision.ts';
export {
  createPolicyEngine,
  type PolicyEngine,
  type PolicyEngineOptions,
  PolicyEvaluationError,
} from './engine.ts';
export { POLICY_VERSION, PolicyLoadError, type PolicySource } from './load.ts';
export {
  maskIdentification,
  type ObObject,
  type ObResource,
  ProjectionError,
  PURPOSE_CLUSTERS,
  project,
  projectAll,
  RESOURCE_CLUSTER,
  type RelatedRecords,
  redactNumbers,
  resourcesFor,
} from './projections.ts';
export { CLUSTER_TEXT, FORBIDDEN_PURPOSE_TEXT, PURPOSE_TEXT } from './text.ts';
