// The access-history page's script. It runs in the customer's browser, not on the server:
// the gateway serves this function's source as /assets/access-history.js, so it must be
// self-contained (no imports, no outside names). For every row of the page it
//   1. fetches the bank log's checkpoint and checks the bank's Ed25519 signature on it
//      (C2SP signed-note, key from the page) with WebCrypto;
//   2. fetches the entry from the public entry bundle (C2SP tlog-tiles) and checks that it
//      says what the row says (kind, platform, purpose, data clusters, time);
//   3. fetches the RFC 9162 inclusion proof for the entry and recomputes the root with
//      WebCrypto SHA-256, comparing it with the signed checkpoint's root;
// and marks the row ✓ (`data-verified="ok"`) or ✗ (`data-verified="fail"`, with why).
export function accessHistoryClient(): void {
  const table = document.querySelector<HTMLElement>('table[data-log-prefix]');
  if (!table) return;
  const prefix = table.dataset['logPrefix'] ?? '';
  const logKey = table.dataset['logKey'] ?? '';
  const summary = document.getElementById('verify-summary');
  const rows = [...table.querySelectorAll<HTMLElement>('tr[data-index]')];
  const enc = new TextEncoder();

  const concat = (parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const fromB64 = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
  const sha256 = async (...parts: Uint8Array[]) =>
    new Uint8Array(await crypto.subtle.digest('SHA-256', concat(parts)));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  class Refusal extends Error {}

  async function get(url: string): Promise<Response> {
    const res = await fetch(url, { credentials: 'omit', cache: 'no-store' });
    if (!res.ok) throw new Refusal(`the log answered ${res.status} for ${url.replace(prefix, '')}`);
    return res;
  }

  // ---- checkpoint: a signed note "origin\nsize\nroot\n\n— name sig\n" -------------------
  interface Checkpoint {
    size: number;
    root: Uint8Array;
  }
  async function checkpoint(): Promise<Checkpoint> {
    const note = await (await get(`${prefix}/checkpoint`)).text();
    const split = note.indexOf('\n\n');
    if (split < 0) throw new Refusal('the checkpoint is not a signed note');
    const text = note.slice(0, split + 1);
    const lines = text.split('\n');
    const size = Number(lines[1]);
    if (!Number.isSafeInteger(size) || size < 0) throw new Refusal('the checkpoint size is malformed');
    const root = fromB64(lines[2] ?? '');
    if (root.length !== 32) throw new Refusal('the checkpoint root is malformed');
    await checkSignature(text, note.slice(split + 2));
    return { size, root };
  }

  async function checkSignature(text: string, signatures: string): Promise<void> {
    // Verifier key: name+hex(key id)+base64(0x01 || Ed25519 public key).
    const [name, keyIdHex, keyB64] = logKey.split('+');
    const keyBytes = fromB64(keyB64 ?? '');
    if (!name || keyBytes.length !== 33 || keyBytes[0] !== 1)
      throw new Refusal("the bank's log key on this page is malformed");
    let key: CryptoKey;
    try {
      key = await crypto.subtle.importKey('raw', keyBytes.slice(1), { name: 'Ed25519' }, false, ['verify']);
    } catch {
      throw new Refusal('this browser cannot check Ed25519 signatures');
    }
    for (const line of signatures.split('\n')) {
      if (!line.startsWith(`\u2014 ${name} `)) continue;
      const sig = fromB64(line.slice(name.length + 3));
      const keyId = [...sig.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
      if (keyId !== keyIdHex || sig.length !== 68) continue;
      if (await crypto.subtle.verify({ name: 'Ed25519' }, key, sig.slice(4), enc.encode(text))) return;
      throw new Refusal("the checkpoint's signature does not verify with the bank's log key");
    }
    throw new Refusal("the checkpoint is not signed by the bank's log key");
  }

  // ---- entries: tile/entries/<N>[.p/<W>], uint16-length-prefixed --------------------------
  const bundles = new Map<string, Promise<Uint8Array[]>>();
  function tileIndexPath(n: number): string {
    const groups = [String(n % 1000).padStart(3, '0')];
    for (let m = Math.floor(n / 1000); m > 0; m = Math.floor(m / 1000))
      groups.unshift(`x${String(m % 1000).padStart(3, '0')}`);
    return groups.join('/');
  }
  async function entryAt(index: number, size: number): Promise<Uint8Array> {
    const n = Math.floor(index / 256);
    const width = Math.min(256, size - n * 256);
    const path = `${prefix}/tile/entries/${tileIndexPath(n)}${width === 256 ? '' : `.p/${width}`}`;
    let bundle = bundles.get(path);
    if (!bundle) {
      bundle = get(path).then(async (res) => {
        const bytes = new Uint8Array(await res.arrayBuffer());
        const entries: Uint8Array[] = [];
        for (let at = 0; at < bytes.length; ) {
          if (at + 2 > bytes.length) throw new Refusal('an entry bundle is truncated');
          const len = (bytes[at]! << 8) | bytes[at + 1]!;
          if (at + 2 + len > bytes.length) throw new Refusal('an entry bundle is truncated');
          entries.push(bytes.slice(at + 2, at + 2 + len));
          at += 2 + len;
        }
        return entries;
      });
      bundles.set(path, bundle);
    }
    const entry = (await bundle)[index % 256];
    if (!entry) throw new Refusal('the entry is missing from the public log');
    return entry;
  }

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

  // ---- RFC 9162 §2.1.3.2 inclusion proof verification ----------------------------------------
  async function rootFromProof(index: number, size: number, leaf: Uint8Array, proof: Uint8Array[]) {
    if (index >= size) throw new Refusal('the entry is beyond the checkpoint');
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    const node = new Uint8Array([1]);
    for (const p of proof) {
      if (p.length !== 32) throw new Refusal('the proof holds a malformed hash');
      if (sn === 0) throw new Refusal('the proof is longer than the tree is deep');
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(node, p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = await sha256(node, r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Refusal('the proof is shorter than the tree is deep');
    return r;
  }

  async function verifyRow(row: HTMLElement, cp: Checkpoint): Promise<void> {
    const index = Number(row.dataset['index']);
    const bytes = await entryAt(index, cp.size);
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
    } catch {
      throw new Refusal('the logged entry is not readable');
    }
    const differs = sameAsRow(row, entry);
    if (differs) throw new Refusal(differs);
    const leaf = await sha256(new Uint8Array([0]), bytes);
    const res = await get(`${prefix}/proof/inclusion?index=${index}&size=${cp.size}`);
    const body = (await res.json()) as { proof?: unknown };
    if (!Array.isArray(body.proof)) throw new Refusal('the inclusion proof is malformed');
    const root = await rootFromProof(
      index,
      cp.size,
      leaf,
      body.proof.map((h) => fromB64(String(h))),
    );
    if (!equal(root, cp.root)) throw new Refusal("the proof does not lead to the signed checkpoint's root");
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
      cp = await checkpoint();
      // Entries just written reach a signed checkpoint within about a second (longer when
      // the witnesses are slow to cosign): wait up to 20 s before calling a row pending.
      const newest = Math.max(-1, ...rows.map((r) => Number(r.dataset['index'])));
      for (let i = 0; i < 20 && newest >= cp.size; i++) {
        if (summary) summary.textContent = 'Waiting for the newest entries to reach a signed checkpoint…';
        await sleep(1000);
        cp = await checkpoint();
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
    table!.dataset['checked'] = 'true';
  }

  void run();
}

/** The script as served: the function's own source, called once. */
export const ACCESS_HISTORY_SCRIPT = `"use strict";(${accessHistoryClient.toString()})();\n`;
