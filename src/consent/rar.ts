// The `proviso_account_access` authorization_details type (RFC 9396): purposes from a closed
// vocabulary, data clusters, a duration of at most 365 days and the customer's device HPKE
// public key. Validated at PAR and at the authorization endpoint; anything else is refused
// with a message that says exactly what is wrong.
import { createHash } from 'node:crypto';
import {
  DATA_CLUSTERS,
  type DataCluster,
  isForbiddenPurpose,
  isPurpose,
  type Purpose,
} from '../access/index.ts';

export const ACCOUNT_ACCESS_TYPE = 'proviso_account_access';
export const MAX_DURATION_DAYS = 365;

export interface AccountAccessDetail {
  type: typeof ACCOUNT_ACCESS_TYPE;
  purposes: Purpose[];
  clusters: DataCluster[];
  duration_days: number;
  /** X25519 public key, base64url of 32 bytes. */
  device_key: string;
  /** Set by the bank in token responses: the consent this access belongs to. */
  consent_id?: string;
}

export class InvalidDetailError extends Error {
  override name = 'InvalidDetailError';
}

const ALLOWED = new Set(['type', 'purposes', 'clusters', 'duration_days', 'device_key']);

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string'))
    throw new InvalidDetailError(`${field} must be a non-empty array of strings`);
  if (new Set(value).size !== value.length) throw new InvalidDetailError(`${field} must not repeat a value`);
  return value as string[];
}

/** Validates one requested detail; throws InvalidDetailError with a precise reason. */
export function parseAccountAccess(detail: Record<string, unknown>): AccountAccessDetail {
  if (detail['type'] !== ACCOUNT_ACCESS_TYPE)
    throw new InvalidDetailError(`type must be '${ACCOUNT_ACCESS_TYPE}'`);
  for (const key of Object.keys(detail))
    if (!ALLOWED.has(key)) throw new InvalidDetailError(`unknown field '${key}' in ${ACCOUNT_ACCESS_TYPE}`);
  const purposes = stringList(detail['purposes'], 'purposes');
  for (const p of purposes) {
    if (isForbiddenPurpose(p))
      throw new InvalidDetailError(
        `purpose '${p}' is forbidden: no consent can ever cover advertising, marketing, profiling, resale or credit decisioning`,
      );
    if (!isPurpose(p)) throw new InvalidDetailError(`purpose '${p}' is not in the vocabulary`);
  }
  const clusters = stringList(detail['clusters'], 'clusters');
  for (const c of clusters)
    if (!(DATA_CLUSTERS as readonly string[]).includes(c))
      throw new InvalidDetailError(
        `data cluster '${c}' is not in the vocabulary (${DATA_CLUSTERS.join(', ')})`,
      );
  const duration = detail['duration_days'];
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1)
    throw new InvalidDetailError('duration_days must be a whole number of days from 1 to 365');
  if (duration > MAX_DURATION_DAYS)
    throw new InvalidDetailError(
      `duration_days ${duration} is over the maximum of ${MAX_DURATION_DAYS} days`,
    );
  const deviceKey = detail['device_key'];
  if (
    typeof deviceKey !== 'string' ||
    !/^[A-Za-z0-9_-]{43}$/.test(deviceKey) ||
    Buffer.from(deviceKey, 'base64url').length !== 32
  )
    throw new InvalidDetailError('device_key must be an X25519 public key: base64url of exactly 32 bytes');
  return {
    type: ACCOUNT_ACCESS_TYPE,
    purposes: purposes as Purpose[],
    clusters: clusters as DataCluster[],
    duration_days: duration,
    device_key: deviceKey,
  };
}

/** Short, human-comparable fingerprint of a device key: first 8 bytes of SHA-256, as 4 groups. */
export function deviceKeyFingerprint(deviceKey: string): string {
  const hex = createHash('sha256')
    .update(Buffer.from(deviceKey, 'base64url'))
    .digest('hex')
    .slice(0, 16)
    .toUpperCase();
  return hex.match(/.{4}/g)!.join(' ');
}
