// PUT /banks/{bankId}/consents/{consentId}/device-key — a device replaces the key its
// consent seals to. The platform relays the request with its DPoP-bound token, but only the
// device can have made it: the new key travels in a reply sealed in HPKE auth mode with the
// OLD key (the one the consent bound), to the bank's HPKE key. A lost device is not rotated
// but removed, on the bank's connected-apps page.
import type { FastifyInstance } from 'fastify';
import type { ConsentService } from '../../consent/index.ts';
import { forbidden, noQuery, Problem, problemResponses } from '../../http/index.ts';
import type { KeyStore } from '../../keys/index.ts';
import { fromBase64Url, openReply } from '../../seal/index.ts';
import { bankReplyKey } from '../sealers.ts';
import { bankIdParam } from './params.ts';

export interface DeviceKeyRoutesOptions {
  consent: ConsentService;
  keyStore: KeyStore;
}

export const DEVICE_KEY_REQUEST_TYPE = 'device-key';

function isX25519Key(value: string): boolean {
  try {
    return fromBase64Url(value).length === 32;
  } catch {
    return false;
  }
}

export async function deviceKeyRoutes(app: FastifyInstance, options: DeviceKeyRoutesOptions): Promise<void> {
  app.put<{ Params: { bankId: string; consentId: string }; Body: { request: string } }>(
    '/banks/:bankId/consents/:consentId/device-key',
    {
      schema: {
        tags: ['consent'],
        security: [{ dpop: [] }],
        summary: "Replace the device key a consent seals to (request sealed with the device's current key)",
        params: {
          type: 'object',
          required: ['bankId', 'consentId'],
          additionalProperties: false,
          properties: {
            bankId: bankIdParam,
            consentId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
          },
        },
        querystring: noQuery,
        body: {
          type: 'object',
          required: ['request'],
          additionalProperties: false,
          properties: {
            request: {
              type: 'string',
              minLength: 1,
              maxLength: 16384,
              description: `A reply sealed by the device with its current key (HPKE auth mode), type "${DEVICE_KEY_REQUEST_TYPE}", payload {"new_device_key": "<base64url X25519>"}`,
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['consent_id', 'status'],
            additionalProperties: false,
            properties: { consent_id: { type: 'string' }, status: { type: 'string', const: 'rotated' } },
          },
          ...problemResponses(400, 401, 403, 404, 409, 422),
        },
      },
    },
    async (request) => {
      const { bankId, consentId } = request.params;
      const grant = await options.consent.access.authenticate({
        bankId,
        method: request.method,
        url: request.url,
        headers: request.headers,
      });
      if (grant.grantId !== consentId)
        throw forbidden('wrong-consent', 'this token belongs to another consent');
      const consent = await options.consent.store.get(consentId);
      if (consent?.status !== 'authorised')
        throw forbidden('consent-not-authorised', `the consent is ${consent?.status ?? 'unknown'}`);
      if (consent.deviceKeyRemovedAt)
        throw forbidden('device-removed', 'the customer removed this device at the bank');
      const refused = (detail: string) =>
        new Problem(422, 'device-key-request-refused', 'Device key request refused', detail);
      const opened = await openReply<{ new_device_key?: unknown }>(request.body.request, {
        bankKey: await bankReplyKey(options.keyStore, bankId),
        deviceKeys: [consent.deviceKey],
        expect: { bankId, consentCommitment: consent.id, type: DEVICE_KEY_REQUEST_TYPE },
        maxAgeSeconds: 300,
      }).catch((error: unknown) => {
        throw refused(
          `the request is not sealed by this consent's current device key (${error instanceof Error ? error.message : String(error)})`,
        );
      });
      const newKey = opened.payload.new_device_key;
      if (typeof newKey !== 'string' || !isX25519Key(newKey))
        throw refused('new_device_key must be a base64url X25519 public key (32 bytes)');
      if (newKey === consent.deviceKey) return { consent_id: consent.id, status: 'rotated' as const };
      if (!(await options.consent.store.rotateDeviceKey(consent.id, consent.deviceKey, newKey)))
        throw new Problem(
          409,
          'device-key-changed',
          'Device key changed',
          'the key was replaced meanwhile; retry',
        );
      return { consent_id: consent.id, status: 'rotated' as const };
    },
  );
}
