// The release path on each of its callers — an Open Banking read, a bot answer, a fraud alert
// pushed under a consent — over real HTTP on every storage backend: each step (each check)
// runs exactly once per release; the purpose's projection applies on every caller (a field
// the purpose does not release is absent from the OB answer, the bot's envelope and the
// alert's envelope); a denied purpose stops before the core is read, and nothing is logged.
// A merchant's payment and refund confirmations go the same way (signed, not sealed), and
// another merchant is refused at the decision.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DeviceAlertSink } from '../../src/gateway/alerts.ts';
import {
  DEMO_MERCHANTS,
  verifyPaymentConfirmation,
  verifyRefundConfirmation,
} from '../../src/payments/index.ts';
import { linkToJson } from '../../src/platform-client/index.ts';
import { dpopAuthorizer, type Json } from '../../src/relay/index.ts';
import type { StepName } from '../../src/release/index.ts';
import type { ScreeningAlert } from '../../src/screening/index.ts';
import {
  exportX25519PublicKey,
  generateHpkeKeyPair,
  type JsonWebKeySet,
  openEnvelope,
  toBase64Url,
} from '../../src/seal/index.ts';
import { approvedConsent } from '../payments/flow.ts';
import { storageBackends } from '../support/backends.ts';
import { dpopProof, type Linked, linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { TestMerchant } from '../support/merchant.ts';

const ALL_STEPS: StepName[] = ['authenticate', 'consent', 'decide', 'read', 'project', 'log', 'seal'];
const AISP = '/banks/northwind/open-banking/v3.1/aisp';
const RISK = { PaymentContextCode: 'EcommerceGoods' };

for (const backend of await storageBackends('release path')) {
  describe(`release path on ${backend.name}`, () => {
    let t: TestGateway;
    let device: CryptoKeyPair;
    let linked: Linked;
    let jwks: JsonWebKeySet;
    let customerId: string;
    let relay: Server;
    const pushed: string[] = [];

    before(async () => {
      t = await startTestGateway(backend, 3);
      device = await generateHpkeKeyPair();
      linked = await linkCustomer(t, {
        purposes: ['balance_inquiry', 'transaction_notifications', 'fraud_alerts'],
        clusters: ['accounts', 'balances', 'transactions', 'card_controls'],
        deviceKey: toBase64Url(await exportX25519PublicKey(device.publicKey)),
      });
      jwks = (await (await fetch(`${t.gw.url}/banks/northwind/jwks.json`)).json()) as JsonWebKeySet;
      customerId = (await t.gw.core('northwind').customerByUsername('demo'))!.id;
      // A stand-in for the platform's relay webhook: keeps what the alert sink pushes.
      relay = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          pushed.push(body);
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((done) => relay.listen(0, '127.0.0.1', done));
    });
    after(async () => {
      await new Promise((done) => relay?.close(done));
      await t?.close();
    });

    /** Counts the steps entered while `run` runs. */
    async function counting<T>(run: () => Promise<T>): Promise<{ result: T; steps: Map<StepName, number> }> {
      const steps = new Map<StepName, number>();
      const stop = t.gw.release.observe((step) => steps.set(step, (steps.get(step) ?? 0) + 1));
      try {
        return { result: await run(), steps };
      } finally {
        stop();
      }
    }
    const once = (steps: Map<StepName, number>, names = ALL_STEPS) =>
      assert.deepEqual(Object.fromEntries(steps), Object.fromEntries(names.map((n) => [n, 1])));

    async function obGet(path: string, purpose: string): Promise<Response> {
      const url = `${t.gw.url}${AISP}${path}`;
      return fetch(url, {
        headers: {
          authorization: `DPoP ${linked.link.accessToken}`,
          dpop: await dpopProof(linked.link.dpopKeys, 'GET', url, linked.link.accessToken),
          'x-proviso-purpose': purpose,
        },
      });
    }
    async function bot(payload: string): Promise<{ envelopes: string[]; text?: string }> {
      const url = `${t.gw.url}/banks/northwind/bot/events`;
      const auth = await dpopAuthorizer((await linkToJson(linked.link)) as unknown as Json, 'POST', url);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ sender: { id: linked.link.subject }, postback: { payload } }),
      });
      assert.equal(res.status, 200);
      return (await res.json()) as { envelopes: string[]; text?: string };
    }
    const open = <T>(envelope: string) =>
      openEnvelope<T>(envelope, {
        deviceKey: device,
        bankKeys: jwks,
        expect: { bankId: 'northwind', consentCommitment: linked.link.consentId },
      });
    const logged = async () => (await t.gw.audit.history('northwind', customerId, 1000)).length;

    // A transaction with a channel and a country: transaction_notifications releases neither,
    // nor the bank's free text (TransactionInformation); fraud_alerts releases channel and country.
    /** A transaction whose only words are the bank's free text (a salary, a transfer). */
    async function transactionWithoutMerchant() {
      const core = t.gw.core('northwind');
      for (const accountId of linked.picked) {
        const page = await core.transactions(accountId, { limit: 100 });
        const found = page.items.find((x) => x.merchantName === null && x.description.length > 3);
        if (found) return found;
      }
      throw new Error('the seeded customer has no transaction without a merchant');
    }
    async function transactionWithChannel() {
      const core = t.gw.core('northwind');
      for (const accountId of linked.picked) {
        const page = await core.transactions(accountId, { limit: 50 });
        const found = page.items.find((x) => x.country !== null);
        if (found) return found;
      }
      throw new Error('the seeded customer has no transaction with a country');
    }

    test('an Open Banking read: each step once, projected (no TransactionInformation, no Channel)', async () => {
      const tx = await transactionWithChannel();
      const before = await logged();
      const { result: res, steps } = await counting(() =>
        obGet(`/accounts/${tx.accountId}/transactions?page-size=50`, 'transaction_notifications'),
      );
      assert.equal(res.status, 200);
      once(steps);
      const raw = await res.text();
      const body = JSON.parse(raw) as { Data: { Transaction: Record<string, unknown>[] } };
      assert.ok(body.Data.Transaction.length > 0);
      for (const item of body.Data.Transaction) {
        assert.equal(item['TransactionInformation'], undefined);
        assert.equal((item['SupplementaryData'] as Record<string, unknown>)?.['Channel'], undefined);
      }
      assert.equal(await logged(), before + 1, 'one log entry for the release');
      assert.equal(res.headers.get('proviso-log-index') !== null, true);
    });

    test('a bot answer: each step once, projected (the transaction card has no channel or country)', async () => {
      const tx = await transactionWithChannel();
      const { result: body, steps } = await counting(() => bot(`TX_DETAIL:${tx.id}`));
      once(steps);
      assert.equal(body.envelopes.length, 1);
      const opened = await open<{ transaction: Record<string, unknown> }>(body.envelopes[0]!);
      assert.equal(opened.header.purpose, 'transaction_notifications');
      assert.equal(opened.payload.transaction['channel'], undefined);
      assert.equal(opened.payload.transaction['country'], undefined);
      assert.equal(opened.payload.transaction['amount'] !== undefined, true);
      // The bank's free text (TransactionInformation) is not released either.
      const transfer = await transactionWithoutMerchant();
      const detail = await bot(`TX_DETAIL:${transfer.id}`);
      const shown = await open<{ transaction: Record<string, unknown> }>(detail.envelopes[0]!);
      assert.ok(!JSON.stringify(shown.payload).includes(transfer.description), 'no bank free text');
    });

    test('a bot balance is projected: a booked balance only for a credit card named in the same release', async () => {
      const { result: body, steps } = await counting(() => bot('BALANCE'));
      once(steps);
      const opened = await open<{ accounts: Record<string, unknown>[] }>(body.envelopes[0]!);
      assert.ok(opened.payload.accounts.length > 1);
      for (const a of opened.payload.accounts)
        assert.equal(
          a['owed'] !== undefined,
          a['type'] === 'credit_card',
          `owed shown for ${a['type']} only`,
        );
      // The OB balances endpoint releases balances without the account's kind: available only.
      const core = t.gw.core('northwind');
      for (const account of (await core.accounts(customerId)).filter((a) => linked.picked.includes(a.id))) {
        const res = await obGet(`/accounts/${account.id}/balances`, 'balance_inquiry');
        const body = (await res.json()) as { Data: { Balance: { Type: string }[] } };
        assert.deepEqual(
          body.Data.Balance.map((b) => b.Type),
          ['InterimAvailable'],
        );
      }
    });

    test('an alert pushed under a consent: each step once, projected to fraud_alerts, sealed', async () => {
      const tx = await transactionWithChannel();
      const card = (await t.gw.core('northwind').cards(customerId))[0]!;
      const sink = new DeviceAlertSink({
        consent: t.gw.consent,
        release: t.gw.release,
        relay: () => ({
          url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`,
          secret: () => 's',
        }),
      });
      const alert = {
        id: 'alert-release-test',
        bankId: 'northwind',
        transactionId: tx.id,
        customerId,
        cardId: card.id,
        terminalId: 'terminal-1',
        merchantName: 'Corner Shop',
        mcc: '5411',
        country: 'FR',
        channel: 'card_present',
        amount: '12.34',
        currency: 'GBP',
        transactionTime: new Date(),
        score: 0.99,
        reasons: [],
        customerReasons: ['an unusual place for you'],
      } as unknown as ScreeningAlert;
      const before = await logged();
      const { result: delivery, steps } = await counting(() => sink.raise(alert));
      assert.equal(delivery, 'device');
      once(steps);
      assert.equal(await logged(), before + 1);
      const envelope = (
        JSON.parse(pushed.at(-1)!) as { entry: { messaging: { message: { envelope: string } }[] }[] }
      ).entry[0]!.messaging[0]!.message.envelope;
      const opened = await open<Record<string, unknown>>(envelope);
      assert.equal(opened.header.purpose, 'fraud_alerts');
      assert.equal(opened.header.type, 'alert');
      // fraud_alerts releases where and how (so "No" can be judged) …
      assert.equal(opened.payload['place'], 'FR');
      assert.equal(opened.payload['channel'], 'card present');
      // … and nothing its projection leaves out (the screening's technical reasons, the terminal).
      assert.ok(!JSON.stringify(opened.payload).includes('terminal-1'));
      assert.equal(opened.payload['score'], undefined);
    });

    test('a forbidden purpose stops at the decision: the core is not read, nothing is logged', async () => {
      const account = linked.picked[0]!;
      const before = await logged();
      const { result: res, steps } = await counting(() =>
        obGet(`/accounts/${account}/balances`, 'advertising'),
      );
      assert.equal(res.status, 403);
      const problem = (await res.json()) as { type: string };
      assert.match(problem.type, /forbidden-purpose$/);
      once(steps, ['authenticate', 'consent', 'decide']);
      assert.equal(await logged(), before);
    });

    test('a purpose the consent lacks, in the bot: polite text, no read, nothing logged', async () => {
      const narrow = await linkCustomer(t, {
        purposes: ['balance_inquiry'],
        clusters: ['accounts', 'balances'],
        deviceKey: toBase64Url(await exportX25519PublicKey(device.publicKey)),
      });
      const before = await logged();
      const url = `${t.gw.url}/banks/northwind/bot/events`;
      const auth = await dpopAuthorizer((await linkToJson(narrow.link)) as unknown as Json, 'POST', url);
      const { result: res, steps } = await counting(() =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body: JSON.stringify({
            sender: { id: narrow.link.subject },
            postback: { payload: 'TRANSACTIONS' },
          }),
        }),
      );
      const body = (await res.json()) as { envelopes: string[]; text: string };
      assert.deepEqual(body.envelopes, []);
      assert.match(body.text, /does not cover that/);
      once(steps, ['authenticate', 'consent', 'decide']);
      assert.equal(await logged(), before);
    });

    /** A merchant's payment of `amount`, approved by the demo customer at the bank. */
    async function merchantPayment(merchant: TestMerchant, amount: string, order: string) {
      const { consentId, token } = await approvedConsent(t, merchant, amount, order);
      const body = {
        Data: { ConsentId: consentId, Initiation: merchant.initiation(amount, order) },
        Risk: RISK,
      };
      return { consentId, token, body };
    }

    test('a merchant funds confirmation, payment confirmation and refund: each step once, projected, logged, signed by the bank', async () => {
      const merchant = await TestMerchant.create(t, 'northwind', DEMO_MERCHANTS[0]!);
      const { consentId, token, body } = await merchantPayment(merchant, '1.25', 'RP-1');
      // The OB funds confirmation on the payment consent is a release too: logged, yes/no only.
      const fundsBefore = await logged();
      const { result: funds, steps: fundsSteps } = await counting(() =>
        merchant.call('GET', `/domestic-payment-consents/${consentId}/funds-confirmation`, token),
      );
      assert.equal(funds.status, 200, funds.text);
      once(fundsSteps);
      assert.equal(await logged(), fundsBefore + 1);
      assert.equal((await t.gw.audit.history('northwind', customerId, 1))[0]!.kind, 'payment.funds-check');
      const before = await logged();
      const { result: paid, steps } = await counting(() =>
        merchant.call('POST', '/domestic-payments', token, body, { key: 'release-path-RP-1' }),
      );
      assert.equal(paid.status, 201, paid.text);
      once(steps);
      assert.equal(await logged(), before + 1);
      const entry = (await t.gw.audit.history('northwind', customerId, 1))[0]!;
      assert.equal(entry.kind, 'payment.executed');
      const issuer = `${t.gw.url}/banks/northwind`;
      const claims = await verifyPaymentConfirmation(paid.headers.get('x-proviso-payment-confirmation')!, {
        jwks: jwks as never,
        issuer,
        merchant: merchant.merchant.clientId,
      });
      assert.equal(claims.amount, '1.25');
      assert.equal(claims.log_index, entry.index);
      // Projected to checkout's payment allow-list: nothing about the account that paid.
      const account = (await t.gw.core('northwind').accounts(customerId)).map((a) => a.identification);
      for (const identification of account) assert.ok(!JSON.stringify(claims).includes(identification));

      const paymentId = String((paid.body['Data'] as Record<string, unknown>)['DomesticPaymentId']);
      const refundBody = { Data: { Amount: { Amount: '0.25', Currency: 'GBP' }, Reference: 'RP-1 back' } };
      const cc = await merchant.clientToken();
      const { result: refund, steps: refundSteps } = await counting(() =>
        merchant.call('POST', `/domestic-payments/${paymentId}/proviso-refunds`, cc, refundBody, {
          key: 'release-path-RP-1-refund',
        }),
      );
      assert.equal(refund.status, 201, refund.text);
      once(refundSteps);
      assert.equal((await t.gw.audit.history('northwind', customerId, 1))[0]!.kind, 'payment.refunded');
      const refunded = await verifyRefundConfirmation(refund.headers.get('x-proviso-refund-confirmation')!, {
        jwks: jwks as never,
        issuer,
        merchant: merchant.merchant.clientId,
      });
      assert.equal(refunded.amount, '0.25');
    });

    test("another merchant asking for a merchant's confirmation is refused by Cedar: no read, nothing logged", async () => {
      const merchant = await TestMerchant.create(t, 'northwind', DEMO_MERCHANTS[0]!);
      const { consentId } = await merchantPayment(merchant, '1.10', 'RP-2');
      const before = await logged();
      let read = false;
      const { result, steps } = await counting(() =>
        t.gw.release
          .release({
            bankId: 'northwind',
            caller: {
              kind: 'merchant',
              merchant: { merchantId: DEMO_MERCHANTS[1]!.clientId },
              paymentConsentId: consentId,
            },
            purpose: 'checkout',
            clusters: ['payments'],
            kind: 'payment.executed',
            read: async () => {
              read = true;
              return { records: {}, extra: undefined };
            },
            answer: () => ({ status: 'AcceptedSettlementCompleted' }),
            sign: { typ: 'proviso-payment+jwt' },
          })
          .then(
            () => null,
            (error: { slug?: string; status?: number }) => error,
          ),
      );
      assert.equal(result?.status, 403);
      assert.equal(result?.slug, 'wrong-platform');
      once(steps, ['authenticate', 'consent', 'decide']);
      assert.equal(read, false);
      assert.equal(await logged(), before);
    });
  });
}
