// The device stream (WebSocket, GET /api/stream).
//
//   device → relay  {"type":"hello","token":"dev_…"}          first frame, within 10 s
//   relay → device  {"type":"ready","device_id":"d_…"}
//   relay → device  {"type":"message","id":"m_…","bank":"…","kind":"envelope"|"text"|"notice",
//                    "envelope"?:"<compact JWS>","text"?:"…","created_at":"…"}
//   device → relay  {"type":"ack","ids":["m_…",…]}             delivery receipts
//   relay → device  {"type":"acked","ids":[…]}
//   relay → device  {"type":"error","detail":"…"}
//
// Unacknowledged messages are sent again on every new connection (redelivery).
import type { FastifyInstance } from 'fastify';
import { noQuery } from '../http/index.ts';
import type { DeliveryHub } from './hub.ts';
import type { RelayStore } from './store.ts';

const HELLO_TIMEOUT_MS = 10_000;
const MAX_ACK_IDS = 500;

export async function streamRoutes(
  app: FastifyInstance,
  delivery: { store: RelayStore; hub: DeliveryHub },
): Promise<void> {
  app.get(
    '/api/stream',
    {
      websocket: true,
      schema: {
        tags: ['device'],
        summary: 'WebSocket: sealed messages to the device, delivery receipts from it (see docs/relay.md)',
        querystring: noQuery,
      },
    },
    (socket, request) => {
      let deviceId: string | undefined;
      let detach: (() => void) | undefined;
      const send = (frame: unknown) => socket.send(JSON.stringify(frame));
      const timer = setTimeout(() => socket.close(4408, 'hello timeout'), HELLO_TIMEOUT_MS);
      socket.on('close', () => {
        clearTimeout(timer);
        detach?.();
      });
      socket.on('message', async (data: Buffer) => {
        let frame: { type?: unknown; token?: unknown; ids?: unknown };
        try {
          frame = JSON.parse(data.toString('utf8'));
        } catch {
          send({ type: 'error', detail: 'frames are JSON objects' });
          return;
        }
        if (frame?.type === 'hello' && deviceId === undefined) {
          if (typeof frame.token !== 'string') return socket.close(4401, 'token required');
          const device = await delivery.store.deviceByToken(frame.token);
          if (!device) return socket.close(4401, 'unknown device token');
          clearTimeout(timer);
          deviceId = device.id;
          send({ type: 'ready', device_id: device.id });
          void delivery.store.touchDevice(device.id).catch(() => {});
          detach = delivery.hub.attach(device.id, socket);
          return;
        }
        if (deviceId === undefined) return socket.close(4401, 'say hello first');
        if (frame?.type === 'ack') {
          const ids = frame.ids;
          if (
            !Array.isArray(ids) ||
            ids.length > MAX_ACK_IDS ||
            ids.some((id) => typeof id !== 'string' || id.length > 64)
          ) {
            send({ type: 'error', detail: `ack.ids must be at most ${MAX_ACK_IDS} message ids` });
            return;
          }
          try {
            send({ type: 'acked', ids: await delivery.store.ack(deviceId, ids as string[]) });
          } catch (e) {
            request.log.error({ err: e }, 'ack failed');
            send({ type: 'error', detail: 'ack failed; send it again' });
          }
          return;
        }
        send({ type: 'error', detail: "unknown frame type; expected 'hello' or 'ack'" });
      });
    },
  );
}
