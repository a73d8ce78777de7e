// Delivery to connected devices. Messages live in the relay database until the device
// acknowledges them; every instance LISTENs on one channel and, when told devices have new
// messages, pushes to the sockets of theirs it holds. The instance that stored the messages
// does not wait for its own NOTIFY: the queue tells it directly. A fresh connection starts
// from the beginning of the device's unacknowledged queue, which is the redelivery after an
// outage, a reconnect or a relay restart. A slow fallback poll covers a lost NOTIFY.
//
// Messages stored by this process are pushed as the insert returns them, without reading them
// back, to each socket that is caught up (not waiting for a read). Reads serve everything else
// (a new socket's backlog, a NOTIFY from another process, the poll): the sockets to serve are
// gathered while a read is in flight and the next read fetches for all of them in one
// statement (DeliveryQueue.unackedFor). A socket's read position moves only by reads, so a
// message another process stored earlier is never skipped; a read skips what was pushed.
import type { Database } from '../storage/index.ts';
import {
  DELIVERY_CHANNEL,
  type QueuedMessage,
  readDeliveryNotice,
  type StoredMessage,
} from './delivery-queue.ts';
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
  /** Read position: every unacknowledged message up to here was sent. */
  lastSeq: number;
  /** Sent as stored, past the read position (id → seq); forgotten when acked or read past. */
  pushed: Map<string, number>;
  /** In the read now in flight. */
  reading: boolean;
}

const OPEN = 1;
/** Rows per shared read; when a read comes back full, its sockets are served again. */
const READ_LIMIT = 1000;
/** Past this many pushed-but-unacknowledged messages, a socket is served by reads. */
const MAX_PUSHED = 2000;

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
    this.#unstored = this.store.deliveries.onStored((messages) => this.#push(messages));
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
    const conn: Connection = { deviceId, socket, lastSeq: 0, pushed: new Map(), reading: false };
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

  /** The device acknowledged these: nothing to remember about them. */
  acked(deviceId: string, ids: string[]): void {
    for (const c of this.#byDevice.get(deviceId) ?? []) for (const id of ids) c.pushed.delete(id);
  }

  /** Messages this process just stored (oldest first): straight to caught-up sockets. */
  #push(messages: QueuedMessage[]): void {
    const due: Connection[] = [];
    for (const m of messages) {
      for (const c of this.#byDevice.get(m.deviceId) ?? []) {
        if (c.reading || this.#due.has(c) || c.pushed.size >= MAX_PUSHED) {
          due.push(c);
          continue;
        }
        if (c.socket.readyState !== OPEN || m.seq <= c.lastSeq || c.pushed.has(m.id)) continue;
        c.socket.send(JSON.stringify(frameOf(m)));
        c.pushed.set(m.id, m.seq);
        this.delivered++;
      }
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
        for (const c of round) c.reading = true;
        try {
          await this.#fetchAndSend(round);
        } catch (e) {
          this.#onError(e);
        } finally {
          for (const c of round) c.reading = false;
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
    const byDevice = new Map<string, QueuedMessage[]>();
    for (const m of rows) {
      const list = byDevice.get(m.deviceId);
      if (list) list.push(m);
      else byDevice.set(m.deviceId, [m]);
    }
    for (const c of round) {
      for (const m of byDevice.get(c.deviceId) ?? []) {
        if (m.seq <= c.lastSeq) continue;
        if (c.socket.readyState !== OPEN) break;
        if (!c.pushed.has(m.id)) {
          c.socket.send(JSON.stringify(frameOf(m)));
          this.delivered++;
        }
        c.lastSeq = m.seq;
      }
      for (const [id, seq] of c.pushed) if (seq <= c.lastSeq) c.pushed.delete(id);
    }
    // A full read may have left rows behind: serve its sockets again.
    if (rows.length >= READ_LIMIT) for (const c of round) this.#due.add(c);
  }
}
