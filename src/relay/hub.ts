// Delivery to connected devices. Messages live in the relay database until the device
// acknowledges them; every instance LISTENs on one channel and, when told devices have new
// messages, pushes to the sockets of theirs it holds. The instance that stored the messages
// does not wait for its own NOTIFY: the queue tells it directly. A fresh connection starts
// from the beginning of the device's unacknowledged queue, which is the redelivery after an
// outage, a reconnect or a relay restart. A slow fallback poll covers a lost NOTIFY.
//
// Under load, the sockets to serve are gathered while a read is in flight and the next read
// fetches for all of them in one statement (DeliveryQueue.unackedFor); each socket then gets
// its frames in order, each as its own WebSocket message (the protocol is unchanged).
import type { Database } from '../storage/index.ts';
import { DELIVERY_CHANNEL, readDeliveryNotice, type StoredMessage } from './delivery-queue.ts';
import type { RelayStore } from './store.ts';

/** What the hub needs of a socket (a `ws` WebSocket satisfies it). */
export interface DeviceSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Server → device frame for one stored message. */
export interface DeliveryFrame {
  type: 'message';
  id: string;
  bank: string;
  kind: 'envelope' | 'text' | 'notice';
  envelope?: string;
  text?: string;
  created_at: string;
}

interface Connection {
  deviceId: string;
  socket: DeviceSocket;
  lastSeq: number;
}

const OPEN = 1;
/** Rows per shared read; when a read comes back full, its sockets are served again. */
const READ_LIMIT = 1000;

export function frameOf(m: StoredMessage): DeliveryFrame {
  return {
    type: 'message',
    id: m.id,
    bank: m.bankId,
    kind: m.kind,
    ...(m.envelope !== null ? { envelope: m.envelope } : {}),
    ...(m.text !== null ? { text: m.text } : {}),
    created_at: m.createdAt.toISOString(),
  };
}

export class DeliveryHub {
  readonly #byDevice = new Map<string, Set<Connection>>();
  /** Sockets with something to fetch, served by the next read. */
  #due = new Set<Connection>();
  #reading = false;
  #unlisten: (() => Promise<void>) | undefined;
  #unstored: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly store: RelayStore;
  readonly #onError: (e: unknown) => void;
  /** Frames pushed (metrics, benchmark). */
  delivered = 0;

  constructor(store: RelayStore, onError: (e: unknown) => void = () => {}) {
    this.store = store;
    this.#onError = onError;
  }

  async start(database: Database, pollMs: number): Promise<void> {
    const own = this.store.deliveries.instance;
    this.#unstored = this.store.deliveries.onStored((deviceIds) => this.kickAll(deviceIds));
    this.#unlisten = await database.listen(DELIVERY_CHANNEL, (payload) => {
      const notice = readDeliveryNotice(payload);
      if (notice.instance !== own) this.kickAll(notice.deviceIds);
    });
    if (pollMs > 0) {
      this.#timer = setInterval(() => this.kickAll([...this.#byDevice.keys()]), pollMs);
      this.#timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#unstored?.();
    await this.#unlisten?.();
    for (const set of this.#byDevice.values()) for (const c of set) c.socket.close(1001, 'relay stopping');
    this.#byDevice.clear();
    this.#due.clear();
  }

  get connections(): number {
    let n = 0;
    for (const s of this.#byDevice.values()) n += s.size;
    return n;
  }

  /** Registers an authenticated socket and sends it everything unacknowledged. */
  attach(deviceId: string, socket: DeviceSocket): () => void {
    const conn: Connection = { deviceId, socket, lastSeq: 0 };
    let set = this.#byDevice.get(deviceId);
    if (!set) {
      set = new Set();
      this.#byDevice.set(deviceId, set);
    }
    set.add(conn);
    this.#serve([conn]);
    return () => {
      set.delete(conn);
      this.#due.delete(conn);
      if (set.size === 0 && this.#byDevice.get(deviceId) === set) this.#byDevice.delete(deviceId);
    };
  }

  /** Something new for a device: push to each of its local connections. */
  kick(deviceId: string): void {
    this.kickAll([deviceId]);
  }

  kickAll(deviceIds: Iterable<string>): void {
    const due: Connection[] = [];
    for (const id of deviceIds) {
      const set = this.#byDevice.get(id);
      if (set) due.push(...set);
    }
    if (due.length > 0) this.#serve(due);
  }

  #serve(connections: Connection[]): void {
    for (const c of connections) this.#due.add(c);
    if (!this.#reading) void this.#read();
  }

  async #read(): Promise<void> {
    this.#reading = true;
    try {
      while (this.#due.size > 0) {
        const round = [...this.#due].filter((c) => c.socket.readyState === OPEN);
        this.#due = new Set();
        if (round.length === 0) break;
        try {
          await this.#fetchAndSend(round);
        } catch (e) {
          this.#onError(e);
        }
      }
    } finally {
      this.#reading = false;
    }
  }

  async #fetchAndSend(round: Connection[]): Promise<void> {
    // One position per device: the least advanced of its sockets here.
    const after = new Map<string, number>();
    for (const c of round) after.set(c.deviceId, Math.min(after.get(c.deviceId) ?? c.lastSeq, c.lastSeq));
    const rows = await this.store.deliveries.unackedFor(
      [...after].map(([deviceId, afterSeq]) => ({ deviceId, afterSeq })),
      READ_LIMIT,
    );
    const byDevice = new Map<string, (StoredMessage & { deviceId: string })[]>();
    for (const m of rows) {
      const list = byDevice.get(m.deviceId);
      if (list) list.push(m);
      else byDevice.set(m.deviceId, [m]);
    }
    for (const c of round) {
      for (const m of byDevice.get(c.deviceId) ?? []) {
        if (m.seq <= c.lastSeq) continue;
        if (c.socket.readyState !== OPEN) break;
        c.socket.send(JSON.stringify(frameOf(m)));
        c.lastSeq = m.seq;
        this.delivered++;
      }
    }
    // A full read may have left rows behind: serve its sockets again.
    if (rows.length >= READ_LIMIT) for (const c of round) this.#due.add(c);
  }
}
