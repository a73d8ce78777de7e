import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  buildEntry,
  commit,
  encodeEntry,
  entryConcerns,
  newCommitmentKey,
  parseEntry,
} from '../../src/audit/entry.ts';
import { FormatError } from '../../src/translog/index.ts';

const key = new Uint8Array(32).fill(7);
const fields = {
  bank: 'acme',
  platform: 'chat-platform',
  kind: 'data.access' as const,
  purpose: 'balance-check',
  clusters: ['balances', 'accounts', 'balances'],
  time: new Date('2026-11-25T10:00:00.123Z'),
  released: new TextEncoder().encode('sealed envelope bytes'),
  commitmentKey: key,
  pairwiseId: 'pairwise-subject-123',
  consentId: 'consent-456',
};

test('canonical encoding: sorted keys, no whitespace, stable bytes', () => {
  const bytes = encodeEntry(buildEntry(fields));
  const text = new TextDecoder().decode(bytes);
  assert.equal(
    text,
    '{"bank":"acme","clusters":["accounts","balances"],"consent":"' +
      commit(key, 'consent', 'consent-456') +
      '","digest":"' +
      createHash('sha256').update(fields.released).digest('base64url') +
      '","kind":"data.access","platform":"chat-platform","purpose":"balance-check","subject":"' +
      commit(key, 'subject', 'pairwise-subject-123') +
      '","time":"2026-11-25T10:00:00.123Z","v":1}',
  );
  assert.deepEqual(parseEntry(bytes), buildEntry(fields));
});

test('no identifier appears in the clear, and commitments open only with the key', () => {
  const text = new TextDecoder().decode(encodeEntry(buildEntry(fields)));
  assert.ok(!text.includes('pairwise-subject-123'));
  assert.ok(!text.includes('consent-456'));
  const entry = parseEntry(encodeEntry(buildEntry(fields)));
  assert.ok(entryConcerns(entry, key, 'pairwise-subject-123', 'consent-456'));
  assert.ok(!entryConcerns(entry, newCommitmentKey(), 'pairwise-subject-123'));
  assert.ok(!entryConcerns(entry, key, 'someone-else'));
  assert.notEqual(commit(key, 'subject', 'x'), commit(key, 'consent', 'x'));
});

test('non-canonical or invalid entries are refused', () => {
  const good = new TextDecoder().decode(encodeEntry(buildEntry(fields)));
  const bad = [
    good.replace('{"bank"', '{ "bank"'),
    good.replace('"v":1', '"v":2'),
    good.replace('"kind":"data.access"', '"kind":"data.sold"'),
    good.replace('["accounts","balances"]', '["balances","accounts"]'),
    good.replace('.123Z', 'Z'),
    good.replace('}', ',"name":"Alice"}'),
    good.replace('"bank":"acme",', ''),
  ];
  for (const b of bad) assert.throws(() => parseEntry(new TextEncoder().encode(b)), FormatError, b);
  assert.throws(() => buildEntry({ ...fields, commitmentKey: new Uint8Array(8) }), FormatError);
});

test('consent events carry no digest and may omit the consent commitment only when null', () => {
  const e = buildEntry({
    ...fields,
    kind: 'consent.revoked',
    released: null,
    purpose: null,
    consentId: null,
  });
  assert.equal(e.digest, null);
  assert.equal(e.consent, null);
  assert.deepEqual(parseEntry(encodeEntry(e)), e);
  const consentStyle = buildEntry({ ...fields, purpose: 'balance_inquiry', clusters: ['account_balances'] });
  assert.deepEqual(parseEntry(encodeEntry(consentStyle)), consentStyle);
});
