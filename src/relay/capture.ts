// Byte capture for canary tests: every byte a server received and sent on its inbound
// connections (HTTP and WebSocket, captured at the socket, below any parser), and every
// request/response an in-process `fetch` made (outbound calls, e.g. relay → gateway).
// Reusable for any Node HTTP server: `const cap = captureServer(app.server)` before traffic.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ByteCapture {
  /** Everything captured so far, in order, one buffer. */
  bytes(): Buffer;
  /** Number of bytes captured in each direction. */
  readonly received: number;
  readonly sent: number;
  /** True when `needle` occurs in the captured bytes (as UTF-8, and also base64/base64url-free: raw match). */
  contains(needle: string): boolean;
  stop(): void;
}

interface Sink {
  chunks: Buffer[];
  received: number;
  sent: number;
  active: boolean;
}

function toBuffer(chunk: unknown, encoding?: BufferEncoding): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), encoding ?? 'utf8');
}

function view(sink: Sink, stop: () => void): ByteCapture {
  return {
    bytes: () => Buffer.concat(sink.chunks),
    get received() {
      return sink.received;
    },
    get sent() {
      return sink.sent;
    },
    contains: (needle) => Buffer.concat(sink.chunks).includes(Buffer.from(needle, 'utf8')),
    stop,
  };
}

type Writev = (
  chunks: { chunk: unknown; encoding: BufferEncoding }[],
  cb: (e?: Error | null) => void,
) => void;
type Write = (chunk: unknown, encoding: BufferEncoding, cb: (e?: Error | null) => void) => void;

function tapSocket(socket: Socket, sink: Sink): void {
  const s = socket as Socket & { _write: Write; _writev?: Writev };
  const write = s._write.bind(s);
  s._write = (chunk, encoding, cb) => {
    if (sink.active) {
      const b = toBuffer(chunk, encoding);
      sink.chunks.push(b);
      sink.sent += b.length;
    }
    write(chunk, encoding, cb);
  };
  if (s._writev) {
    const writev = s._writev.bind(s);
    s._writev = (chunks, cb) => {
      if (sink.active)
        for (const c of chunks) {
          const b = toBuffer(c.chunk, c.encoding);
          sink.chunks.push(b);
          sink.sent += b.length;
        }
      writev(chunks, cb);
    };
  }
  // A 'data' listener makes the HTTP server hand the socket back from its native consumer,
  // so every received byte passes here too (and still reaches the parser).
  socket.on('data', (chunk: Buffer) => {
    if (!sink.active) return;
    sink.chunks.push(Buffer.from(chunk));
    sink.received += chunk.length;
  });
}

/** Captures both directions of every connection the server accepts from now on. */
export function captureServer(server: Server): ByteCapture {
  const sink: Sink = { chunks: [], received: 0, sent: 0, active: true };
  const onConnection = (socket: Socket) => tapSocket(socket, sink);
  server.on('connection', onConnection);
  return view(sink, () => {
    sink.active = false;
    server.off('connection', onConnection);
  });
}

/**
 * Captures requests and responses made through `globalThis.fetch` whose URL matches `filter`
 * (method, URL, headers and bodies as sent and received). Restores fetch on stop.
 */
export function captureFetch(filter: (url: URL) => boolean = () => true): ByteCapture {
  const sink: Sink = { chunks: [], received: 0, sent: 0, active: true };
  const original = globalThis.fetch;
  const record = (dir: 'sent' | 'received', b: Buffer) => {
    if (!sink.active) return;
    sink.chunks.push(b);
    sink[dir] += b.length;
  };
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (!sink.active || !filter(url)) return original(request);
    const head = [
      `${request.method} ${url.pathname}${url.search}`,
      ...[...request.headers].map(([k, v]) => `${k}: ${v}`),
    ];
    const body = request.body ? Buffer.from(await request.clone().arrayBuffer()) : Buffer.alloc(0);
    record('sent', Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]));
    const response = await original(request);
    const rbody = Buffer.from(await response.clone().arrayBuffer());
    const rhead = [`${response.status}`, ...[...response.headers].map(([k, v]) => `${k}: ${v}`)];
    record('received', Buffer.concat([Buffer.from(`${rhead.join('\r\n')}\r\n\r\n`), rbody]));
    return response;
  };
  return view(sink, () => {
    sink.active = false;
    globalThis.fetch = original;
  });
}

/** Everything in the relay's tables as text (for "is the marker in the database?" checks). */
export async function dumpTables(
  query: (sql: string) => Promise<{ rows: unknown[] }>,
  tables: string[] = ['relay_device', 'relay_link', 'relay_message'],
): Promise<string> {
  const parts: string[] = [];
  for (const t of tables) parts.push(`-- ${t}\n${JSON.stringify((await query(`select * from ${t}`)).rows)}`);
  return parts.join('\n');
}

/**
 * The forms a marker takes in transit and at rest: as is, and inside base64 or base64url
 * text at each of the three byte alignments (JWS payloads, sealed bodies). A canary must find
 * the marker in any of them, or "sealing off" would hide behind an encoding.
 */
export function markerForms(marker: string): string[] {
  const forms = new Set<string>([marker]);
  for (let pad = 0; pad < 3; pad++) {
    const prefix = Buffer.alloc(pad, 0x41);
    const b64 = Buffer.concat([prefix, Buffer.from(marker)]).toString('base64');
    // Drop the characters that depend on the neighbouring bytes.
    const start = Math.ceil((pad * 4) / 3) + (pad ? 1 : 0);
    const end = Math.floor(((pad + Buffer.byteLength(marker)) * 4) / 3) - 1;
    const core = b64.slice(start, end);
    if (core.length >= 8) {
      forms.add(core);
      forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
    }
  }
  return [...forms];
}

/**
 * Whether the marker occurs in the text or bytes in any form of markerForms, or inside any
 * base64/base64url run once decoded (nested encodings, e.g. a payload encoded into a JWS body
 * that is itself encoded, up to `depth` levels).
 */
export function containsMarker(haystack: string | Buffer, marker: string, depth = 3): boolean {
  const buf = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  if (markerForms(marker).some((f) => buf.includes(Buffer.from(f)))) return true;
  if (depth === 0) return false;
  const text = buf.toString('latin1');
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{24,}/g)) {
    const run = m[0];
    const decoded = Buffer.from(run.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    if (decoded.length >= Buffer.byteLength(marker) && containsMarker(decoded, marker, depth - 1))
      return true;
  }
  return false;
}
