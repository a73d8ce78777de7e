// Reads one version of the policy set and its schema from disk, and refuses to start
// unless every policy parses, carries a unique @id, and validates against the schema
// (Cedar strict mode). A policy engine that starts is one whose rules all type-check.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

export const POLICY_VERSION = 'v1';
const POLICIES_ROOT = fileURLToPath(new URL('./policies/', import.meta.url));

export interface PolicySource {
  /** Folder holding `schema.cedarschema`; default: src/policy/policies. */
  root?: string;
  /** Sub-folder of root with the `*.cedar` files; default: the current POLICY_VERSION. */
  version?: string;
}

export interface LoadedPolicies {
  version: string;
  schema: string;
  /** Policy text by its @id annotation. */
  policies: Record<string, string>;
  effects: Record<string, 'permit' | 'forbid'>;
}

export class PolicyLoadError extends Error {
  override name = 'PolicyLoadError';
}

function messages(errors: readonly { message: string }[]): string {
  return errors.map((e) => e.message).join('; ');
}

export function loadPolicies(source: PolicySource = {}): LoadedPolicies {
  const root = source.root ?? POLICIES_ROOT;
  const version = source.version ?? POLICY_VERSION;
  const schema = readFileSync(join(root, 'schema.cedarschema'), 'utf8');
  const schemaCheck = cedar.checkParseSchema(schema);
  if (schemaCheck.type === 'failure') throw new PolicyLoadError(`schema: ${messages(schemaCheck.errors)}`);

  const dir = join(root, version);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cedar'))
    .sort();
  if (files.length === 0) throw new PolicyLoadError(`no .cedar files in ${dir}`);

  const policies: Record<string, string> = {};
  const effects: Record<string, 'permit' | 'forbid'> = {};
  for (const file of files) {
    const parts = cedar.policySetTextToParts(readFileSync(join(dir, file), 'utf8'));
    if (parts.type === 'failure') throw new PolicyLoadError(`${file}: ${messages(parts.errors)}`);
    if (parts.policy_templates.length) throw new PolicyLoadError(`${file}: templates are not used`);
    for (const text of parts.policies) {
      const json = cedar.policyToJson(text);
      if (json.type === 'failure') throw new PolicyLoadError(`${file}: ${messages(json.errors)}`);
      const id = json.json.annotations?.['id'];
      if (!id) throw new PolicyLoadError(`${file}: every policy needs an @id("...") annotation`);
      if (id in policies) throw new PolicyLoadError(`${file}: duplicate policy id ${id}`);
      policies[id] = text;
      effects[id] = json.json.effect;
    }
  }

  const validation = cedar.validate({ schema, policies: { staticPolicies: policies } });
  if (validation.type === 'failure') throw new PolicyLoadError(`validation: ${messages(validation.errors)}`);
  const invalid = validation.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`);
  if (invalid.length) throw new PolicyLoadError(`policies do not match the schema: ${invalid.join('; ')}`);
  return { version, schema, policies, effects };
}
