// Delivery to connected devices. Messages live in the relay database until the device
// acknowledges them; every instance LISTENs on one channel and, when told a device has new
// messages, pushes to that device's sockets it holds. A fresh connection starts from the
// beginning of the device's unacknowledged queue, which is the redelivery after an outage,
// a reconnect or a relay restart. A slow fallback poll covers a lost NOTIFY.
import type { Database } from '../storage/index.ts';
import { DELIVERY_CHANNEL, type RelayStore, type StoredMessage } from './store.ts';

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
  running: boolean;
  again: boolean;
}

const OPEN = 1;

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
  private readonly byDevice = new Map<string, Set<Connection>>();
  private unlisten: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly store: RelayStore;
  private readonly onError: (e: unknown) => void;
  /** Frames pushed (metrics, benchmark). */
  delivered = 0;

  constructor(store: RelayStore, onError: (e: unknown) => void = () => {}) {
    this.store = store;
    this.onError = onError;
  }

  async start(database: Database, pollMs: number): Promise<void> {
    this.unlisten = await database.listen(DELIVERY_CHANNEL, (deviceId) => this.kick(deviceId));
    if (pollMs > 0) {
      this.timer = setInterval(() => {
        for (const id of this.byDevice.keys()) this.kick(id);
      }, pollMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unlisten?.();
    for (const set of this.byDevice.values()) for (const c of set) c.socket.close(1001, 'relay stopping');
    this.byDevice.clear();
  }

  get connections(): number {
    let n = 0;
    for (const s of this.byDevice.values()) n += s.size;
    return n;
  }

  /** Registers an authenticated socket and sends it everything unacknowledged. */
  attach(deviceId: string, socket: DeviceSocket): () => void {
    const conn: Connection = { deviceId, socket, lastSeq: 0, running: false, again: false };
    let set = this.byDevice.get(deviceId);
    if (!set) {
      set = new Set();
      this.byDevice.set(deviceId, set);
    }
    set.add(conn);
    void this.flush(conn);
    return () => {
      set.delete(conn);
      if (set.size === 0 && this.byDevice.get(deviceId) === set) this.byDevice.delete(deviceId);
    };
  }

  /** Something new for a device: push to each of its local connections. */
  kick(deviceId: string): void {
    const set = this.byDevice.get(deviceId);
    if (set) for (const c of set) void this.flush(c);
  }

  private async flush(c: Connection): Promise<void> {
    if (c.running) {
      c.again = true;
      return;
    }
    c.running = true;
    try {
      do {
        c.again = false;
        for (;;) {
          if (c.socket.readyState !== OPEN) return;
          const batch = await this.store.unacked(c.deviceId, c.lastSeq);
          if (batch.length === 0) break;
          for (const m of batch) {
            if (c.socket.readyState !== OPEN) return;
            c.socket.send(JSON.stringify(frameOf(m)));
            c.lastSeq = m.seq;
            this.delivered++;
          }
        }
      } while (c.again);
    } catch (e) {
      this.onError(e);
    } finally {
      c.running = false;
    }
  }
}
