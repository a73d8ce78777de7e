// Real responses validated against the official UK Open Banking AIS v3.1.11 OpenAPI file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { pgliteBackend } from '../support/backends.ts';
import { type DataAccess, dataAccess } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { fixturePath } from '../support/shared.ts';

const SPEC = fixturePath('uk-open-banking', 'account-info-openapi.v3.1.11r5.json');
const spec = JSON.parse(readFileSync(SPEC, 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(spec, 'ob.json');
const validator = (name: string) => ajv.compile({ $ref: `ob.json#/components/schemas/${name}` });

let t: TestGateway;
let access: DataAccess;
let accounts: { id: string }[];
before(async () => {
  t = await startTestGateway(pgliteBackend, 3);
  const demo = (await t.gw.core('northwind').customerByUsername('demo'))!;
  access = await dataAccess(t);
  accounts = await t.gw.core('northwind').accounts(demo.id);
});
after(() => t.close());

async function fetchJson(path: string): Promise<unknown> {
  const u = `${t.gw.url}/banks/northwind/open-banking/v3.1/aisp${path}`;
  const res = await fetch(u, { headers: await access.headers('GET', u) });
  assert.equal(res.status, 200, path);
  return res.json();
}

function assertValid(name: string, body: unknown): void {
  const validate = validator(name);
  assert.ok(validate(body), `${name}: ${ajv.errorsText(validate.errors)}`);
}

test('GET /accounts conforms to OBReadAccount6', async () => {
  assertValid('OBReadAccount6', await fetchJson('/accounts'));
});

test('GET /accounts/{id} conforms to OBReadAccount6 for every account kind', async () => {
  for (const a of accounts) assertValid('OBReadAccount6', await fetchJson(`/accounts/${a.id}`));
});

test('GET /accounts/{id}/balances conforms to OBReadBalance1', async () => {
  for (const a of accounts) assertValid('OBReadBalance1', await fetchJson(`/accounts/${a.id}/balances`));
});

test('GET /accounts/{id}/transactions conforms to OBReadTransaction6', async () => {
  let seen = 0;
  for (const a of accounts) {
    const body = (await fetchJson(`/accounts/${a.id}/transactions?page-size=500`)) as {
      Data: { Transaction: unknown[] };
    };
    seen += body.Data.Transaction.length;
    assertValid('OBReadTransaction6', body);
  }
  assert.ok(seen > 20, 'the demo customer has transactions to validate');
});

test('the validator is not vacuous: a broken body fails', () => {
  const validate = validator('OBReadBalance1');
  assert.equal(validate({ Data: { Balance: [{ AccountId: 'x', Amount: { Amount: '1.00' } }] } }), false);
});
