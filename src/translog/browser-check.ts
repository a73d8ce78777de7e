// Checks one entry of a bank's transparency log from a browser, with WebCrypto only: the
// checkpoint's Ed25519 signature (C2SP signed-note, against the bank's log verifier key), the
// entry from the public entry bundle (C2SP tlog-tiles), and its RFC 9162 inclusion proof up
// to the signed root. Self-contained (no imports, no outside names) so a page can be served
// its source as a plain script; the chat client imports it through Vite.
export function logEntryChecker(prefix: string, logKey: string) {
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
    // The base64 part may itself contain '+': split at the first two only.
    const [name, keyIdHex, ...rest] = logKey.split('+');
    const keyB64 = rest.join('+');
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

  /** The entry at `index`, proven included in the checkpoint `cp`; returns its parsed JSON. */
  async function verifyEntry(index: number, cp: Checkpoint): Promise<Record<string, unknown>> {
    const bytes = await entryAt(index, cp.size);
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
    } catch {
      throw new Refusal('the logged entry is not readable');
    }
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
    return entry;
  }

  return { checkpoint, verifyEntry, Refusal, sleep };
}

export type LogEntryChecker = ReturnType<typeof logEntryChecker>;
