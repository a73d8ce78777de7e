// Bank side: open a device reply. Library path (@hpke/core, auth mode): replies are rare
// (answers to alerts), so there is no throughput reason for a fast path here.

import { decodeBody } from './body.ts';
import { fromBase64Url } from './encoding.ts';
import { EnvelopeError } from './errors.ts';
import type { EnvelopeHeader } from './header.ts';
import { exportX25519PublicKey, keyThumbprint, type PublicKeyInput } from './keys.ts';
import { checkExpectations, type Expectations, type Freshness, hpkeOpen } from './open-common.ts';
import { INFO_REPLY } from './suite.ts';

export interface OpenReplyOptions extends Freshness {
  /** The bank's HPKE key pair (WebCrypto X25519). */
  bankKey: CryptoKeyPair;
  /**
   * The device public keys registered under the expected consent. The reply's `sndr`
   * thumbprint must name one of them: that is what authenticates the customer's device.
   */
  deviceKeys:
    | PublicKeyInput[]
    | ((consentCommitment: string, sndr: string) => Promise<PublicKeyInput | undefined>);
  expect: Expectations & { inReplyTo?: string };
}

export interface OpenedReply<T = unknown> {
  header: EnvelopeHeader;
  payload: T;
}

async function senderKey(options: OpenReplyOptions, consent: string, sndr: string): Promise<PublicKeyInput> {
  if (typeof options.deviceKeys === 'function') {
    const k = await options.deviceKeys(consent, sndr);
    if (k !== undefined) return k;
  } else {
    for (const k of options.deviceKeys) if ((await keyThumbprint(k)) === sndr) return k;
  }
  throw new EnvelopeError(
    'wrong_recipient',
    'the reply comes from a device key not registered under this consent',
  );
}

export async function openReply<T = unknown>(
  reply: string,
  options: OpenReplyOptions,
): Promise<OpenedReply<T>> {
  let json: Uint8Array;
  try {
    json = fromBase64Url(reply);
  } catch {
    throw new EnvelopeError('malformed', 'reply is not base64url');
  }
  const decoded = decodeBody(json);
  const h = decoded.body.hdr;
  if (h.sndr === undefined || h.re === undefined)
    throw new EnvelopeError('malformed', 'a reply names its sender and the message answered');
  checkExpectations(h, options.expect, options);
  if (options.expect.inReplyTo !== undefined && h.re !== options.expect.inReplyTo) {
    throw new EnvelopeError('wrong_message', 'the reply answers another message than the one expected');
  }
  if ((await keyThumbprint(await exportX25519PublicKey(options.bankKey.publicKey))) !== h.rcpt) {
    throw new EnvelopeError('wrong_recipient', 'sealed to another bank key');
  }
  const device = await senderKey(options, h.consent, h.sndr);
  const payload = await hpkeOpen(decoded, options.bankKey, INFO_REPLY, device);
  return { header: h, payload: payload as T };
}
