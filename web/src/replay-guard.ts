// The device's replay guard: the ids of envelopes it has opened, kept for as long as an
// envelope can be opened at all (its expiry, or issue time + the accepted age), in IndexedDB
// like the device keystore. A relay that resends an envelope it already delivered — under a
// new message id — gets it refused: the chat shows each bank message once. The id is inside
// the bank's signed header, so the relay cannot change it without breaking the signature.
import { DEFAULT_MAX_AGE_SECONDS } from '../../src/seal/device.ts';

const STORE = 'opened';
const SKEW_SECONDS = 120;

export interface ReplayGuard {
  /** Records the envelope as opened; false when it was opened before (a replay). */
  admit(header: { bank: string; id: string; iat: number; exp?: number }): Promise<boolean>;
  close(): void;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = (event) => {
      // Handled here: a refused add must not abort the transaction as an unhandled error.
      event.preventDefault();
      reject(r.error);
    };
  });
}

export async function openReplayGuard(dbName = 'proviso-device-replay'): Promise<ReplayGuard> {
  const open = indexedDB.open(dbName, 1);
  open.onupgradeneeded = () => {
    const s = open.result.createObjectStore(STORE, { keyPath: 'key' });
    s.createIndex('until', 'until');
  };
  const db = await request(open);
  // Forget what can no longer be opened anyway.
  {
    const tx = db.transaction(STORE, 'readwrite');
    const range = IDBKeyRange.upperBound(Date.now());
    const keys = await request(tx.objectStore(STORE).index('until').getAllKeys(range));
    for (const k of keys) tx.objectStore(STORE).delete(k);
  }
  return {
    async admit(h) {
      const key = `${h.bank}\n${h.id}`;
      const until = (h.exp ?? h.iat + DEFAULT_MAX_AGE_SECONDS + SKEW_SECONDS) * 1000;
      const tx = db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      // add() fails on an existing key inside the same transaction: check-and-record is atomic.
      try {
        await request(store.add({ key, until }));
        return true;
      } catch (e) {
        if (e instanceof DOMException && e.name === 'ConstraintError') return false;
        throw e;
      }
    },
    close: () => db.close(),
  };
}
