// The investigator's actions over HTTP on the real gateway, on every storage backend: each one
// changes what it says (alert status, card status in the bank core), is written to the bank's
// transparency log with the bank as the actor (and so appears on the customer's access
// history), and is kept beside the alert. And the refusals: no staff key (checked before the
// body is parsed), no or a wrong CSRF token, another site, a malformed body, an unknown
// alert, an action the alert's state does not allow.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { storageBackends } from '../support/backends.ts';
import { linkCustomer } from '../support/consent.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import {
  investigatorAction,
  investigatorCsrf,
  raiseDemoAlerts,
  staffAuthorization,
} from '../support/investigator.ts';

const BANK = 'northwind';

for (const backend of await storageBackends('investigator actions')) {
  describe(`investigator actions on ${backend.name}`, () => {
    let t: TestGateway;
    let alerts: string[];
    before(async () => {
      t = await startTestGateway(backend, 6);
      alerts = await raiseDemoAlerts(t, BANK, 5);
    });
    after(() => t?.close());

    const alert = (id: string) => t.gw.screening.alert(id);
    const card = async (id: string) => (await t.gw.core(BANK).card((await alert(id))!.cardId))!.status;
    /** The customer's log entries (bank-private index) written by the bank itself. */
    const staffEntries = async (alertId: string) => {
      const a = (await alert(alertId))!;
      return (await t.gw.audit.history(BANK, a.customerId, 500)).filter((e) => e.platform === BANK);
    };
    const page = async () =>
      (
        await fetch(`${t.gw.url}/banks/${BANK}/investigator`, {
          headers: { authorization: staffAuthorization(t, BANK).header },
        })
      ).text();

    test('confirm fraud: the alert is confirmed, the card frozen, both logged, shown on the page', async () => {
      const id = alerts[0]!;
      assert.equal(await card(id), 'active');
      const res = await investigatorAction(t, BANK, id, 'confirm-fraud', { day: '2026-11-30' });
      assert.equal(res.status, 303);
      assert.equal(
        res.headers.get('location'),
        `/banks/${BANK}/investigator?day=2026-11-30&done=confirm_fraud#alert-${id}`,
      );
      assert.equal((await alert(id))!.status, 'confirmed_fraud');
      assert.equal(await card(id), 'frozen');
      const kinds = (await staffEntries(id)).map((e) => e.kind).sort();
      assert.deepEqual(kinds, ['alert.confirmed', 'card.action']);
      // The public log holds the entry, with the bank as the actor and no name or id in clear.
      const logged = (await staffEntries(id)).find((e) => e.kind === 'alert.confirmed')!;
      const bytes = await t.gw.logs.get(BANK)!.entry(logged.index);
      const text = new TextDecoder().decode(bytes);
      const entry = JSON.parse(text) as Record<string, unknown>;
      assert.equal(entry['kind'], 'alert.confirmed');
      assert.equal(entry['platform'], BANK);
      assert.equal(entry['purpose'], 'fraud_alerts');
      assert.ok(!text.includes((await alert(id))!.customerId), 'no customer id in the log');
      const html = await page();
      assert.match(
        html,
        new RegExp(`id="alert-${id}"[\\s\\S]*?Confirmed fraud[\\s\\S]*?log entry ${logged.index}`),
      );
      assert.match(html, new RegExp(`alerts/${id}/unfreeze-card"`), 'a frozen card can be unfrozen');
      // Once closed, it cannot be confirmed or cleared again.
      const again = await investigatorAction(t, BANK, id, 'clear');
      assert.equal(again.status, 409);
      assert.equal(((await again.json()) as { type: string }).type, 'urn:proviso:problem:alert-state');
    });

    test('unfreeze: the card works again, logged; a card that is not frozen is refused', async () => {
      const id = alerts[0]!;
      const before = (await staffEntries(id)).length;
      const res = await investigatorAction(t, BANK, id, 'unfreeze-card');
      assert.equal(res.status, 303);
      assert.equal(await card(id), 'active');
      const entries = await staffEntries(id);
      assert.equal(entries.length, before + 1);
      assert.equal(entries[0]!.kind, 'card.action');
      const twice = await investigatorAction(t, BANK, id, 'unfreeze-card');
      assert.equal(twice.status, 409);
    });

    test('clear: the alert is cleared as genuine, the card untouched, logged', async () => {
      const id = alerts[1]!;
      const res = await investigatorAction(t, BANK, id, 'clear');
      assert.equal(res.status, 303);
      assert.equal((await alert(id))!.status, 'cleared');
      assert.equal(await card(id), 'active');
      assert.deepEqual(
        (await staffEntries(id)).map((e) => e.kind),
        ['alert.cleared'],
      );
    });

    test('contact: the attempt is logged and kept with its channel, outcome and note', async () => {
      const id = alerts[2]!;
      const res = await investigatorAction(t, BANK, id, 'contact', {
        channel: 'sms',
        outcome: 'left_message',
        note: 'Asked to call <back>',
      });
      assert.equal(res.status, 303);
      assert.equal((await alert(id))!.status, 'open', 'a contact attempt decides nothing');
      const [entry] = await staffEntries(id);
      assert.equal(entry?.kind, 'alert.contact');
      const html = await page();
      assert.match(html, /Text message: left a message — “Asked to call &lt;back&gt;”/);
      // The note stays at the bank: the gateway's logs never carry it.
      assert.ok(!t.logs.join('').includes('Asked to call'));
    });

    test('refusals: staff key first, then CSRF and same site, then the body, the alert and its state', async () => {
      const id = alerts[3]!;
      const url = `${t.gw.url}/banks/${BANK}/investigator/alerts/${id}/clear`;
      // No credentials and a malformed body: 401, not 400.
      const anonymous = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{not json',
      });
      assert.equal(anonymous.status, 401);
      assert.equal(
        ((await anonymous.json()) as { type: string }).type,
        'urn:proviso:problem:investigator-unauthorized',
      );
      const wrongBank = await fetch(url, {
        method: 'POST',
        headers: { authorization: staffAuthorization(t, 'fjord').header, 'content-type': 'application/json' },
        body: JSON.stringify({ csrf: 'x' }),
      });
      assert.equal(wrongBank.status, 401);

      const csrf = await investigatorCsrf(t, BANK);
      const fjordAlert = (await raiseDemoAlerts(t, 'fjord', 1))[0]!;
      const missing = await fetch(url, {
        method: 'POST',
        headers: { authorization: staffAuthorization(t, BANK).header, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(missing.status, 400);
      const wrong = await investigatorAction(t, BANK, id, 'clear', {}, { csrf: `${csrf.slice(0, -2)}xx` });
      assert.equal(wrong.status, 403);
      assert.equal(((await wrong.json()) as { type: string }).type, 'urn:proviso:problem:csrf');
      // Fjordbank's page token is not Northwind's.
      const otherBank = await investigatorAction(
        t,
        BANK,
        id,
        'clear',
        {},
        { csrf: await investigatorCsrf(t, 'fjord') },
      );
      assert.equal(otherBank.status, 403);
      const crossSite = await investigatorAction(
        t,
        BANK,
        id,
        'clear',
        {},
        { csrf, headers: { 'sec-fetch-site': 'cross-site' } },
      );
      assert.equal(crossSite.status, 403);
      assert.equal(
        ((await crossSite.json()) as { type: string }).type,
        'urn:proviso:problem:investigator-cross-site',
      );
      const foreignOrigin = await investigatorAction(
        t,
        BANK,
        id,
        'clear',
        {},
        { csrf, headers: { origin: 'https://evil.example' } },
      );
      assert.equal(foreignOrigin.status, 403);

      const badChannel = await investigatorAction(
        t,
        BANK,
        id,
        'contact',
        { channel: 'pigeon', outcome: 'reached' },
        { csrf },
      );
      assert.equal(badChannel.status, 400);
      const extra = await investigatorAction(t, BANK, id, 'clear', { status: 'cleared' }, { csrf });
      assert.equal(extra.status, 400);
      const unknown = await investigatorAction(t, BANK, 'no-such-alert', 'clear', {}, { csrf });
      assert.equal(unknown.status, 404);
      // Another bank's alert is not found at this one.
      const elsewhere = await investigatorAction(t, BANK, fjordAlert, 'clear', {}, { csrf });
      assert.equal(elsewhere.status, 404);
      assert.equal((await alert(fjordAlert))!.status, 'open');

      // None of the refused requests changed or logged anything.
      assert.equal((await alert(id))!.status, 'open');
      assert.deepEqual(await staffEntries(id), []);
    });

    test("the customer's access history page names the bank's fraud team for its actions", async () => {
      const linked = await linkCustomer(t);
      const demo = (await t.gw.core(BANK).customerByUsername('demo'))!;
      const [id] = await raiseDemoAlerts(t, BANK, 1, demo.id);
      assert.equal((await investigatorAction(t, BANK, id!, 'clear')).status, 303);
      const res = await linked.jar.fetch(`${t.gw.url}/banks/${BANK}/access-history`);
      const html = await res.text();
      assert.match(
        html,
        /data-kind="alert.cleared" data-platform="northwind"[\s\S]*?<strong data-field="app">Northwind Bank fraud team<\/strong> marked a payment as genuine/,
      );
    });
  });
}
