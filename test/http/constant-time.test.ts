// The one constant-time comparison: equal bytes match whatever their type; different bytes,
// a prefix, an empty value and a longer value never do (no throw on unequal lengths).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constantTimeEqual } from '../../src/http/index.ts';

test('equal secrets match, as strings or buffers', () => {
  assert.equal(constantTimeEqual('s3cret-token', 's3cret-token'), true);
  assert.equal(constantTimeEqual(Buffer.from('s3cret-token'), 's3cret-token'), true);
  assert.equal(constantTimeEqual('', ''), true);
});

test('different secrets never match, whatever their lengths', () => {
  assert.equal(constantTimeEqual('s3cret-token', 's3cret-tokeN'), false);
  assert.equal(constantTimeEqual('s3cret-token', 's3cret'), false);
  assert.equal(constantTimeEqual('s3cret', 's3cret-token'), false);
  assert.equal(constantTimeEqual('', 's3cret'), false);
  assert.equal(constantTimeEqual(Buffer.from([0]), Buffer.alloc(0)), false);
});
