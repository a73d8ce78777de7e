// Rules a bank writes itself, next to the model: a JSON list, each rule a conjunction of
// conditions on the engine's named features, the model score or fields of the event. A rule
// either raises an alert with the bank's own reason, or suppresses one (a trusted merchant).
// Declarative on purpose: a bank's fraud team can review and version them without code.
import type { AuthorisationEvent } from './event.ts';
import { FEATURE_INDEX, FEATURE_NAMES, type FeatureName } from './features.ts';

export type RuleOperator = '>' | '>=' | '<' | '<=' | '==' | '!=' | 'in' | 'not_in';
export type EventField =
  | 'event.country'
  | 'event.channel'
  | 'event.mcc'
  | 'event.currency'
  | 'event.terminalId';
export type RuleField = FeatureName | 'score' | EventField;

export interface RuleCondition {
  readonly field: RuleField;
  readonly op: RuleOperator;
  readonly value: number | string | readonly (number | string)[];
}

export interface Rule {
  readonly id: string;
  readonly when: readonly RuleCondition[];
  readonly action: 'alert' | 'suppress';
  /** Shown to the analyst and the customer with the alert. */
  readonly reason: string;
}

export interface RuleContext {
  readonly event: AuthorisationEvent;
  readonly features: ArrayLike<number>;
  readonly score: number;
}

const EVENT_FIELDS: readonly EventField[] = [
  'event.country',
  'event.channel',
  'event.mcc',
  'event.currency',
  'event.terminalId',
];
const OPERATORS: readonly RuleOperator[] = ['>', '>=', '<', '<=', '==', '!=', 'in', 'not_in'];
const FIELDS = new Set<string>([...FEATURE_NAMES, 'score', ...EVENT_FIELDS]);

export type RulesValidation =
  | { readonly ok: true; readonly rules: Rule[] }
  | { readonly ok: false; readonly errors: { readonly path: string; readonly message: string }[] };

/** Checks a bank's rule file (parsed JSON) and says exactly what is wrong where. */
export function validateRules(input: unknown): RulesValidation {
  const errors: { path: string; message: string }[] = [];
  if (!Array.isArray(input))
    return { ok: false, errors: [{ path: '', message: 'rules must be a JSON array' }] };
  const ids = new Set<string>();
  input.forEach((rule: unknown, i) => {
    const at = `[${i}]`;
    if (typeof rule !== 'object' || rule === null) {
      errors.push({ path: at, message: 'rule must be an object' });
      return;
    }
    const r = rule as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!['id', 'when', 'action', 'reason'].includes(key))
        errors.push({ path: `${at}.${key}`, message: 'unknown key' });
    }
    if (typeof r['id'] !== 'string' || r['id'] === '')
      errors.push({ path: `${at}.id`, message: 'id must be a non-empty string' });
    else if (ids.has(r['id'])) errors.push({ path: `${at}.id`, message: `duplicate id ${r['id']}` });
    else ids.add(r['id']);
    if (r['action'] !== 'alert' && r['action'] !== 'suppress') {
      errors.push({ path: `${at}.action`, message: 'action must be "alert" or "suppress"' });
    }
    if (typeof r['reason'] !== 'string' || r['reason'] === '') {
      errors.push({ path: `${at}.reason`, message: 'reason must be a non-empty string' });
    }
    if (!Array.isArray(r['when']) || r['when'].length === 0) {
      errors.push({ path: `${at}.when`, message: 'when must be a non-empty array of conditions' });
      return;
    }
    r['when'].forEach((condition: unknown, j) => {
      const cat = `${at}.when[${j}]`;
      const c = (typeof condition === 'object' && condition !== null ? condition : {}) as Record<
        string,
        unknown
      >;
      if (typeof c['field'] !== 'string' || !FIELDS.has(c['field'])) {
        errors.push({ path: `${cat}.field`, message: `unknown field ${String(c['field'])}` });
      }
      if (!OPERATORS.includes(c['op'] as RuleOperator)) {
        errors.push({ path: `${cat}.op`, message: `op must be one of ${OPERATORS.join(' ')}` });
        return;
      }
      const value = c['value'];
      const list = c['op'] === 'in' || c['op'] === 'not_in';
      const scalar = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
      if (list ? !Array.isArray(value) || !value.every(scalar) : !scalar(value)) {
        errors.push({
          path: `${cat}.value`,
          message: list ? 'value must be an array' : 'value must be a number or string',
        });
      } else if (['>', '>=', '<', '<='].includes(c['op'] as string) && typeof value !== 'number') {
        errors.push({ path: `${cat}.value`, message: `${String(c['op'])} needs a number` });
      }
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules: input as Rule[] };
}

function fieldValue(field: RuleField, context: RuleContext): number | string | undefined {
  if (field === 'score') return context.score;
  if (field.startsWith('event.')) {
    return context.event[field.slice('event.'.length) as keyof AuthorisationEvent] as string | undefined;
  }
  return context.features[FEATURE_INDEX[field as FeatureName]];
}

function holds(condition: RuleCondition, context: RuleContext): boolean {
  const actual = fieldValue(condition.field, context);
  if (actual === undefined) return false;
  const expected = condition.value;
  // Ordering operators compare numbers only; a string field never satisfies them.
  if (['>', '>=', '<', '<='].includes(condition.op) && typeof actual !== 'number') return false;
  const n = actual as number;
  switch (condition.op) {
    case '>':
      return n > (expected as number);
    case '>=':
      return n >= (expected as number);
    case '<':
      return n < (expected as number);
    case '<=':
      return n <= (expected as number);
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case 'in':
      return (expected as readonly (number | string)[]).includes(actual);
    case 'not_in':
      return !(expected as readonly (number | string)[]).includes(actual);
  }
}

/** The rules whose every condition holds, in file order. */
export function matchRules(rules: readonly Rule[], context: RuleContext): Rule[] {
  return rules.filter((rule) => rule.when.every((condition) => holds(condition, context)));
}
