// The policy set must type-check against the schema, or the engine does not start.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { createPolicyEngine, PolicyLoadError } from '../../src/policy/index.ts';
import { loadPolicies } from '../../src/policy/load.ts';

const SHIPPED = fileURLToPath(new URL('../../src/policy/policies/', import.meta.url));
const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A copy of the shipped policies plus one extra file. */
function withExtraPolicy(text: string): string {
  const root = mkdtempSync(join(tmpdir(), 'proviso-policy-'));
  temps.push(root);
  cpSync(SHIPPED, root, { recursive: true });
  writeFileSync(join(root, 'v1', 'zz-extra.cedar'), text);
  return root;
}

describe('shipped policies', () => {
  test('validate against the schema in strict mode, with no warnings', () => {
    const { schema, policies } = loadPolicies();
    const answer = cedar.validate({ schema, policies: { staticPolicies: policies } });
    assert.equal(answer.type, 'success');
    if (answer.type === 'success') {
      assert.deepEqual(answer.validationErrors, []);
      assert.deepEqual(answer.validationWarnings, []);
    }
  });

  test('exactly one permit; everything else forbids', () => {
    const { effects } = loadPolicies();
    assert.deepEqual(
      Object.entries(effects)
        .filter(([, e]) => e === 'permit')
        .map(([id]) => id),
      ['permit-consented-use'],
    );
  });
});

describe('an invalid policy file fails loading', () => {
  const cases: [string, string, RegExp][] = [
    [
      'an attribute the schema does not have',
      '@id("x") forbid (principal, action, resource) when { context.consent.colour == "red" };',
      /colour/,
    ],
    [
      'a type error',
      '@id("x") forbid (principal, action, resource) when { context.now == "soon" };',
      /schema/,
    ],
    [
      'a syntax error',
      '@id("x") forbid (principal, action, resource) when { context.purpose == };',
      /zz-extra/,
    ],
    ['a policy without @id', 'forbid (principal, action, resource) when { context.purpose == "x" };', /@id/],
    ['a duplicate @id', '@id("forbid-advertising") forbid (principal, action, resource);', /duplicate/],
    [
      'a forbid with no reason code',
      '@id("forbid-mystery") forbid (principal, action, resource);',
      /reason code/,
    ],
  ];
  for (const [what, text, message] of cases) {
    test(what, async () => {
      await assert.rejects(createPolicyEngine({ root: withExtraPolicy(text) }), (e: unknown) => {
        assert.ok(e instanceof PolicyLoadError);
        assert.match(e.message, message);
        return true;
      });
    });
  }

  test('a missing version folder', async () => {
    await assert.rejects(createPolicyEngine({ version: 'v999' }), /ENOENT/);
  });

  test('a valid extra policy loads (the harness itself works)', async () => {
    const root = withExtraPolicy(
      '@id("permit-nothing") permit (principal, action, resource) when { false };',
    );
    const engine = await createPolicyEngine({ root });
    assert.ok(engine.policyIds.includes('permit-nothing'));
  });
});
