// The only part of an envelope the relay looks at: its header (bank, recipient key
// thumbprint, message id, type), which by design holds no financial data and is there for
// routing. The HPKE ciphertext stays opaque; the relay has no key that could open it.
import { parseHeader } from '../seal/index.ts';

export interface EnvelopeRouting {
  bank: string;
  rcpt: string;
  id: string;
  type: string;
}

export const MAX_ENVELOPE_BYTES = 64 * 1024;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export class EnvelopeShapeError extends Error {
  override name = 'EnvelopeShapeError';
}

export function envelopeRouting(envelope: string): EnvelopeRouting {
  if (envelope.length > MAX_ENVELOPE_BYTES) throw new EnvelopeShapeError('envelope is larger than 64 KiB');
  if (!JWS.test(envelope)) throw new EnvelopeShapeError('envelope is not a compact JWS');
  let body: { hdr?: unknown };
  try {
    body = JSON.parse(Buffer.from(envelope.split('.')[1]!, 'base64url').toString('utf8'));
  } catch {
    throw new EnvelopeShapeError('envelope body is not base64url JSON');
  }
  try {
    const h = parseHeader(body?.hdr);
    return { bank: h.bank, rcpt: h.rcpt, id: h.id, type: h.type };
  } catch (e) {
    throw new EnvelopeShapeError(`envelope header: ${e instanceof Error ? e.message : String(e)}`);
  }
}
