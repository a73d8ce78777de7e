// The access-history page's script. It runs in the customer's browser, not on the server:
// the gateway serves this function's source as /assets/access-history.js, preceded by the
// source of translog's logEntryChecker (its one outside name). For every entry of the page it
//   1. fetches the bank log's checkpoint and checks the bank's Ed25519 signature on it
//      (C2SP signed-note, key from the page) with WebCrypto;
//   2. fetches the entry from the public entry bundle (C2SP tlog-tiles) and checks that it
//      says what the row says (kind, platform, purpose, data clusters, time);
//   3. fetches the RFC 9162 inclusion proof for the entry and recomputes the root with
//      WebCrypto SHA-256, comparing it with the signed checkpoint's root;
// and marks the entry ✓ (`data-verified="ok"`) or ✗ (`data-verified="fail"`, with why) in its
// [data-check] line. The page groups entries by day; every element with data-index is one entry.
import { logEntryChecker } from '../translog/index.ts';

export function accessHistoryClient(): void {
  const found = document.querySelector<HTMLElement>('[data-log-prefix]');
  if (!found) return;
  const history: HTMLElement = found;
  const prefix = history.dataset['logPrefix'] ?? '';
  const logKey = history.dataset['logKey'] ?? '';
  const summary = document.getElementById('verify-summary');
  const rows = [...history.querySelectorAll<HTMLElement>('[data-index]')];
  const log = logEntryChecker(prefix, logKey);
  const { Refusal, sleep } = log;
  type Checkpoint = Awaited<ReturnType<typeof log.checkpoint>>;

  function sameAsRow(row: HTMLElement, entry: Record<string, unknown>): string | null {
    const d = row.dataset;
    const clusters = (v: unknown) => (Array.isArray(v) ? [...v].map(String).sort().join(',') : '');
    if (entry['kind'] !== d['kind']) return 'the logged entry is of another kind';
    if (entry['platform'] !== d['platform']) return 'the logged entry names another app';
    if ((entry['purpose'] ?? '') !== (d['purpose'] ?? '')) return 'the logged entry names another purpose';
    if (clusters(entry['clusters']) !== clusters((d['clusters'] ?? '').split(',').filter(Boolean)))
      return 'the logged entry names other data';
    if (entry['time'] !== d['time']) return 'the logged entry has another time';
    return null;
  }

  async function verifyRow(row: HTMLElement, cp: Checkpoint): Promise<void> {
    const entry = await log.verifyEntry(Number(row.dataset['index']), cp);
    const differs = sameAsRow(row, entry);
    if (differs) throw new Refusal(differs);
  }

  function mark(row: HTMLElement, state: 'ok' | 'fail' | 'pending', text: string): void {
    row.dataset['verified'] = state;
    const cell = row.querySelector<HTMLElement>('[data-check]');
    if (!cell) return;
    const sign = state === 'ok' ? '\u2713' : state === 'fail' ? '\u2717' : '\u2026';
    cell.textContent = '';
    const icon = document.createElement('span');
    icon.setAttribute('aria-hidden', 'true');
    icon.className = `mark ${state}`;
    icon.textContent = `${sign} `;
    cell.append(icon, text);
  }

  async function run(): Promise<void> {
    let cp: Checkpoint;
    try {
      cp = await log.checkpoint();
      // Entries just written reach a signed checkpoint within about a second (longer when
      // the witnesses are slow to cosign): wait up to 20 s before calling a row pending.
      const newest = Math.max(-1, ...rows.map((r) => Number(r.dataset['index'])));
      for (let i = 0; i < 20 && newest >= cp.size; i++) {
        if (summary) summary.textContent = 'Waiting for the newest entries to reach a signed checkpoint…';
        await sleep(1000);
        cp = await log.checkpoint();
      }
    } catch (error) {
      const why = error instanceof Refusal ? error.message : 'the log could not be reached';
      for (const row of rows) mark(row, 'fail', `Not verified: ${why}`);
      if (summary) summary.textContent = `Could not check your history: ${why}.`;
      return;
    }
    let ok = 0;
    let failed = 0;
    await Promise.all(
      rows.map(async (row) => {
        if (Number(row.dataset['index']) >= cp.size) {
          mark(row, 'pending', 'Not yet in a signed checkpoint; reload in a moment');
          return;
        }
        try {
          await verifyRow(row, cp);
          ok++;
          mark(row, 'ok', `Verified in the bank's public log (checkpoint of ${cp.size} entries)`);
        } catch (error) {
          failed++;
          const why = error instanceof Refusal ? error.message : 'the check could not be completed';
          mark(row, 'fail', `Not verified: ${why}`);
        }
      }),
    );
    if (summary)
      summary.textContent =
        `Your browser checked ${ok + failed} of ${rows.length} entries against the bank's signed log: ` +
        `${ok} verified${failed ? `, ${failed} NOT verified` : ''}.`;
    history.dataset['checked'] = 'true';
  }

  void run();
}

/** The script as served: the function's own source, called once. */
export const ACCESS_HISTORY_SCRIPT = `"use strict";const logEntryChecker = ${logEntryChecker.toString()};(${accessHistoryClient.toString()})();\n`;
