// The relay's device API, as the web client uses it.
export interface Registration {
  deviceId: string;
  token: string;
  thumbprint: string;
}

export interface BankEntry {
  id: string;
  name: string;
  issuer: string;
  jwks_uri: string;
}

export interface LinkEntry {
  bank: string;
  status: 'active' | 'ended';
  consent?: string;
  linked_at?: string;
  ended_at?: string;
  ended_reason?: string;
}

export interface Frame {
  type: 'message';
  id: string;
  bank: string;
  kind: 'envelope' | 'text' | 'notice';
  envelope?: string;
  text?: string;
  created_at: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, detail: string) {
    super(detail);
    this.status = status;
    this.type = type;
  }
}

async function call<T>(path: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body) headers['content-type'] = 'application/json';
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  const res = await fetch(path, { ...init, headers });
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!res.ok)
    throw new ApiError(res.status, String(body?.type ?? ''), String(body?.detail ?? res.statusText));
  return body as T;
}

export const api = {
  register: (publicKey: string) =>
    call<{ device_id: string; token: string; key_thumbprint: string }>('/api/devices', {
      method: 'POST',
      body: JSON.stringify({ public_key: publicKey }),
    }),
  rotateKey: (token: string, publicKey: string, requests: { bank: string; request: string }[]) =>
    call<{ key_thumbprint: string; banks: string[] }>('/api/devices/key', {
      method: 'POST',
      token,
      body: JSON.stringify({ public_key: publicKey, requests }),
    }),
  banks: () => call<{ banks: BankEntry[] }>('/api/banks'),
  links: (token: string) => call<{ device_id: string; links: LinkEntry[] }>('/api/links', { token }),
  startLink: (token: string, bank: string) =>
    call<{ link_id: string; authorization_url: string }>('/api/links', {
      method: 'POST',
      token,
      body: JSON.stringify({ bank }),
    }),
  unlink: (token: string, bank: string) =>
    call<{ bank: string; status: string; revoked: boolean }>(`/api/links/${encodeURIComponent(bank)}`, {
      method: 'DELETE',
      token,
    }),
  send: (token: string, body: { bank: string; text?: string; postback?: string; reply?: string }) =>
    call<{ status: string; messages: string[] }>('/api/messages', {
      method: 'POST',
      token,
      body: JSON.stringify(body),
    }),
};

/** WebSocket stream with hello, acks and reconnect (back-off up to 10 s). */
export function connectStream(
  token: string,
  handlers: { onFrame(f: Frame): Promise<void>; onState(s: 'connecting' | 'online' | 'offline'): void },
): { ack(ids: string[]): void; close(): void } {
  let ws: WebSocket | undefined;
  let closed = false;
  let delay = 500;
  let queue = Promise.resolve();
  const open = () => {
    handlers.onState('connecting');
    const url = new URL('/api/stream', location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(url);
    ws.onopen = () => ws?.send(JSON.stringify({ type: 'hello', token }));
    ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data));
      if (f.type === 'ready') {
        delay = 500;
        handlers.onState('online');
      } else if (f.type === 'message') {
        // Frames are handled one at a time, in order.
        queue = queue.then(() => handlers.onFrame(f)).catch(() => {});
      }
    };
    ws.onclose = () => {
      handlers.onState('offline');
      delay = Math.min(delay * 2, 10_000);
      if (!closed) setTimeout(open, delay);
    };
  };
  open();
  return {
    ack(ids) {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', ids }));
    },
    close() {
      closed = true;
      ws?.close();
    },
  };
}
