// A bank's own model: trained from its core at first start, stored with its window,
// validation figures and threshold, swapped atomically on retrain (old kept for rollback),
// and `demo-alert` on a fresh start raising exactly the injected fraud for the demo customer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_BANKS, regionFor, seedBank } from '../../src/bank/index.ts';
import { runDemoAlert } from '../../src/cli/demo-alert.ts';
import { readConfig } from '../../src/gateway/config.ts';
import { prepareStorage, type RunningGateway, startGateway } from '../../src/gateway/runtime.ts';
import { KeyEncryptionKey, KeyStore } from '../../src/keys/index.ts';
import { openDatabase } from '../../src/storage/index.ts';
import { storageBackends, type TestDatabase } from '../support/backends.ts';

const CUSTOMERS = 250;
const SEED = 1;

for (const backend of await storageBackends('bank models')) {
  describe(`bank models on ${backend.name}`, () => {
    let db: TestDatabase;
    let gw: RunningGateway;
    let dataDir: string;
    let witnessDatabase: Awaited<ReturnType<typeof openDatabase>>;
    let config: ReturnType<typeof readConfig>;
    before(async () => {
      db = await backend.open();
      const kek = KeyEncryptionKey.generate();
      await prepareStorage(db.database, new KeyStore(db.database, kek));
      // The banks' history is in the core before the first start, as `proviso start` seeds it.
      for (const bank of DEMO_BANKS) {
        await seedBank(db.database, {
          bankId: bank.id,
          region: regionFor(bank.id),
          customers: CUSTOMERS,
          days: 90,
          seed: SEED,
          end: new Date(),
        });
      }
      dataDir = mkdtempSync(join(tmpdir(), 'proviso-bank-model-'));
      config = {
        ...readConfig({ PROVISO_DATA: dataDir, PROVISO_SEED: String(SEED) }),
        port: 0,
        logLevel: 'silent',
      };
      witnessDatabase = await openDatabase();
      gw = await startGateway(config, { database: db.database, kek, witnessDatabase });
    });
    after(async () => {
      await gw?.close();
      await witnessDatabase?.close();
      await db?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('first start trains each bank a model of its own, with window, validation and threshold', async () => {
      const registry = gw.screening.models!;
      const active = await registry.active();
      assert.deepEqual(
        active.map((m) => m.bankId),
        DEMO_BANKS.map((b) => b.id).sort(),
      );
      for (const model of active) {
        assert.equal(model.version, 1);
        assert.equal(model.source, 'core');
        assert.ok(model.trainedFrom < model.trainedTo);
        assert.ok(
          model.validation.genuine > 1000,
          `validated on ${model.validation.genuine} genuine payments`,
        );
        assert.ok(model.validation.caught['big-ticket'].eligible > 0);
        assert.ok(model.threshold > 0 && model.threshold < 1);
        assert.equal(await gw.screening.threshold(model.bankId), model.threshold);
      }
    });

    test('demo-alert on a fresh start raises exactly one alert: the injected fraud', async () => {
      const message = await runDemoAlert(
        { ...config, ingestKeys: new Map(gw.ingestKeys) },
        { gateway: gw.url, bankId: 'northwind', username: 'demo', amount: '2499.00' },
      );
      const demo = (await gw.core('northwind').customerByUsername('demo'))!;
      const alerts = (await gw.screening.alerts('northwind')).filter((a) => a.customerId === demo.id);
      assert.equal(
        alerts.length,
        1,
        `${message}; alerts: ${alerts.map((a) => `${a.amount} ${a.merchantName} ${a.score.toFixed(3)}`).join(', ')}`,
      );
      assert.match(alerts[0]!.transactionId, /-fraud$/);
      assert.equal(alerts[0]!.amount, '2499.00');
      // The customer reads at most two reasons in plain words; staff keep the technical ones.
      const said = alerts[0]!.customerReasons;
      assert.ok(said.length >= 1 && said.length <= 2, said.join(' | '));
      for (const text of said) assert.doesNotMatch(text, /standard deviation|median|score|%/i);
      assert.ok(alerts[0]!.reasons.length >= said.length);

      // /metrics counts it per bank, kind and outcome, and shows the model in use.
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      assert.match(
        metrics,
        /proviso_screening_alerts_total\{bank="northwind",kind="(rule|model)",outcome="raised"\} 1/,
      );
      assert.match(metrics, /proviso_screening_model_info\{bank="northwind",version="1",/);
      assert.match(
        metrics,
        /proviso_screening_model_validation\{bank="northwind",figure="false_alarms_per_1000_genuine"\}/,
      );
      // …and so does the investigator view.
      const staff = Buffer.from(`northwind:${gw.ingestKeys.get('northwind')}`).toString('base64');
      const page = await (
        await fetch(`${gw.url}/banks/northwind/investigator`, {
          headers: { authorization: `Basic ${staff}` },
        })
      ).text();
      assert.match(page, /Model in use: v1/);
      assert.match(page, /false alarms per 1,000 genuine payments/);
    });

    test('retrain swaps the model atomically and keeps the old one; rollback brings it back', async () => {
      const registry = gw.screening.models!;
      const { trainFromCore } = await import('../../src/screening/index.ts');
      const v2 = await trainFromCore(db.database, registry, 'fjord', {
        seed: SEED,
        currency: 'EUR',
        trees: 30,
      });
      assert.equal(v2.version, 2);
      const versions = await registry.versions('fjord');
      assert.deepEqual(
        versions.map((v) => [v.version, v.status]),
        [
          [2, 'active'],
          [1, 'retired'],
        ],
      );
      assert.equal(await gw.screening.threshold('fjord'), v2.threshold);
      const back = await registry.rollback('fjord');
      assert.equal(back?.version, 1);
      assert.equal(await gw.screening.threshold('fjord'), back?.threshold);
      assert.deepEqual(
        (await registry.versions('fjord')).map((v) => [v.version, v.status]),
        [
          [2, 'rolled_back'],
          [1, 'active'],
        ],
      );
      // Nothing older to go back to: nothing changes.
      assert.equal(await registry.rollback('fjord'), undefined);
      assert.equal((await registry.active()).find((m) => m.bankId === 'fjord')?.version, 1);
    });
  });
}
