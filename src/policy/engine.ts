// The purpose policy engine: Cedar decides every data call. Policies and schema are
// parsed and validated once, at creation, and cached inside the Cedar wasm module, so a
// decision costs one Cedar evaluation over a handful of small entities — or, for a call
// already decided under the same consent version, a lookup (decision-cache.ts).
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { Decision, DecisionInput } from './decision.ts';
import {
  cacheable,
  DEFAULT_DECISION_CACHE_SIZE,
  DecisionCache,
  decisionKey,
  timeOnlyThroughExpiry,
} from './decision-cache.ts';
import { loadPolicies, PolicyLoadError, type PolicySource } from './load.ts';
import { explainDenial, FORBID_CODES } from './reasons.ts';

export interface PolicyEngine {
  /** The policy folder in force, e.g. "v1"; worth recording next to each decision. */
  readonly version: string;
  readonly policyIds: readonly string[];
  decide(input: DecisionInput): Decision;
  /** Cedar evaluations run and decisions answered from the cache, since creation. */
  stats(): { evaluations: number; cacheHits: number; cached: number };
}

/** Cedar failed to evaluate, or refused without naming a rule: the policy set is broken. */
export class PolicyEvaluationError extends Error {
  override name = 'PolicyEvaluationError';
}

const NS = 'Proviso';
let instances = 0;

const uid = (type: string, id: string) => ({ type: `${NS}::${type}`, id });
const ref = (type: string, id: string) => ({ __entity: uid(type, id) });

function epochMillis(date: Date, what: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`${what} must be a valid Date`);
  return ms;
}

export interface PolicyEngineOptions extends PolicySource {
  /**
   * Check each request against the schema before evaluating (default false). The
   * request is built here from typed input, so this only guards this file; it costs
   * about 40% of a decision. Tests turn it on to prove the shape matches the schema;
   * without it a mismatch still fails safe, as a PolicyEvaluationError.
   */
  validateRequests?: boolean;
  /**
   * How many decisions to remember (LRU, default 10,000); 0 turns the cache off. See
   * decision-cache.ts for why a remembered decision is always the one Cedar would give.
   */
  cacheSize?: number;
}

export async function createPolicyEngine(options: PolicyEngineOptions = {}): Promise<PolicyEngine> {
  const validateRequest = options.validateRequests ?? false;
  const loaded = loadPolicies(options);
  for (const [id, effect] of Object.entries(loaded.effects)) {
    if (effect === 'forbid' && !(id in FORBID_CODES))
      throw new PolicyLoadError(`forbid policy ${id} has no reason code in src/policy/reasons.ts`);
  }

  // Preparsed sets live in the wasm module's global cache, keyed by name; a unique name
  // per engine keeps engines (tests, reloads) from replacing each other's policies.
  const name = `proviso-${loaded.version}-${++instances}`;
  const parsedSchema = cedar.preparseSchema(name, loaded.schema);
  if (parsedSchema.type === 'failure') throw new PolicyLoadError(parsedSchema.errors[0]?.message ?? 'schema');
  const parsedPolicies = cedar.preparsePolicySet(name, { staticPolicies: loaded.policies });
  if (parsedPolicies.type === 'failure')
    throw new PolicyLoadError(parsedPolicies.errors[0]?.message ?? 'policies');

  const action = uid('Action', 'use');
  const cacheSize = options.cacheSize ?? DEFAULT_DECISION_CACHE_SIZE;
  const cache =
    cacheSize > 0 && timeOnlyThroughExpiry(Object.values(loaded.policies))
      ? new DecisionCache(cacheSize)
      : null;
  let evaluations = 0;

  function decide(input: DecisionInput): Decision {
    const expiresMs = epochMillis(input.consent.expiresAt, 'consent.expiresAt');
    const nowMs = epochMillis(input.request.now, 'request.now');
    if (!cache || !cacheable(input)) return evaluate(input, nowMs, expiresMs);
    const key = decisionKey(input, nowMs, expiresMs);
    const known = cache.get(key);
    if (known) return known;
    const decision = evaluate(input, nowMs, expiresMs);
    cache.set(key, decision);
    return decision;
  }

  function evaluate(input: DecisionInput, nowMs: number, expiresMs: number): Decision {
    const { consent, request } = input;
    evaluations++;
    const answer = cedar.statefulIsAuthorized({
      principal: uid('Platform', request.platform),
      action,
      resource:
        request.accountId === undefined
          ? uid('Customer', request.customerId)
          : uid('Account', request.accountId),
      context: {
        consent: {
          id: consent.id,
          status: consent.status,
          platform: ref('Platform', consent.platform),
          customer: ref('Customer', consent.customerId),
          purposes: [...consent.purposes],
          clusters: [...consent.clusters],
          accounts: consent.accountIds.map((id) => ref('Account', id)),
          expiresAt: expiresMs,
        },
        customer: ref('Customer', request.customerId),
        purpose: String(request.purpose),
        cluster: String(request.cluster),
        now: nowMs,
      },
      entities: [],
      preparsedPolicySetId: name,
      ...(validateRequest ? { preparsedSchemaName: name } : {}),
      validateRequest,
    });
    if (answer.type === 'failure')
      throw new PolicyEvaluationError(answer.errors.map((e) => e.message).join('; '));
    const { decision, diagnostics } = answer.response;
    // An erroring policy is skipped by Cedar; with validated policies that means a bug,
    // and a forbid that silently did not run must not pass for an allow.
    if (diagnostics.errors.length)
      throw new PolicyEvaluationError(
        diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join('; '),
      );

    if (decision === 'allow')
      return { allowed: true, code: 'allowed', detail: allowedDetail(input), policies: diagnostics.reason };
    const why = explainDenial(diagnostics.reason, input);
    if (!why) throw new PolicyEvaluationError('denied with no forbid policy naming the reason');
    return { allowed: false, ...why };
  }

  return {
    version: loaded.version,
    policyIds: Object.keys(loaded.policies),
    decide,
    stats: () => ({ evaluations, cacheHits: cache?.hits ?? 0, cached: cache?.size ?? 0 }),
  };
}

function allowedDetail({ request }: DecisionInput): string {
  return `the customer consented to sharing ${request.cluster} data with this platform for ${request.purpose.replaceAll('_', ' ')}`;
}
