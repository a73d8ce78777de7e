// Device side: a reply (e.g. "that wasn't me" to a fraud alert) sealed to the bank's HPKE key.
//
// Sender authentication: HPKE auth mode with the device's own X25519 key, the key the consent
// binds. Base mode would let anyone holding the bank's *public* key — the relay included —
// forge "yes, that was me" to a fraud alert; auth mode proves the reply comes from the holder
// of the consented device key without a second (signing) key on the device. It is deniable
// towards third parties (the bank could have computed the same tag), which is enough here:
// the bank is the only party that acts on the reply, and it logs what it acted on.

import { encodeBody, payloadBytes } from './body.ts';
import { toBase64Url, utf8 } from './encoding.ts';
import { ENVELOPE_VERSION, type EnvelopeHeader, headerAad } from './header.ts';
import { exportX25519PublicKey, importX25519PublicKey, keyThumbprint, type PublicKeyInput } from './keys.ts';
import { DEFAULT_SUITE, INFO_REPLY, librarySuite, type SuiteName } from './suite.ts';

export interface SealReplyInput {
  /** This device's HPKE key pair (the private half may be non-extractable). */
  deviceKey: CryptoKeyPair;
  /** The bank's HPKE public key (from the consent receipt / bank metadata). */
  bankPublicKey: PublicKeyInput;
  bankId: string;
  consentCommitment: string;
  purpose: string;
  /** Transparency-log index of the message answered. */
  log: number;
  /** Id of the message answered (the alert id). */
  inReplyTo: string;
  type?: string;
  id?: string;
  payload: unknown;
  now?: Date | number;
  suite?: SuiteName;
}

export async function sealReply(r: SealReplyInput): Promise<string> {
  const suiteName = r.suite ?? DEFAULT_SUITE;
  const suite = librarySuite(suiteName);
  const nowMs = r.now === undefined ? Date.now() : typeof r.now === 'number' ? r.now : r.now.getTime();
  const devicePublic = await exportX25519PublicKey(r.deviceKey.publicKey);
  const hdr: EnvelopeHeader = {
    v: ENVELOPE_VERSION,
    bank: r.bankId,
    consent: r.consentCommitment,
    purpose: r.purpose,
    type: r.type ?? 'reply',
    log: r.log,
    iat: Math.floor(nowMs / 1000),
    id: r.id ?? crypto.randomUUID(),
    rcpt: await keyThumbprint(r.bankPublicKey),
    sndr: await keyThumbprint(devicePublic),
    re: r.inReplyTo,
  };
  const aad = headerAad(hdr).slice().buffer;
  const sender = await suite.createSenderContext({
    recipientPublicKey: await importX25519PublicKey(r.bankPublicKey),
    senderKey: r.deviceKey,
    info: INFO_REPLY.slice().buffer,
  });
  const bind = new Uint8Array(await sender.seal(new ArrayBuffer(0), aad));
  const ct = new Uint8Array(await sender.seal(payloadBytes(r.payload).slice().buffer, aad));
  const body = encodeBody({
    v: ENVELOPE_VERSION,
    suite: suiteName,
    hdr,
    enc: toBase64Url(new Uint8Array(sender.enc)),
    bind: toBase64Url(bind),
    ct: toBase64Url(ct),
  });
  // The wire form is base64url(JSON): one opaque token for the relay to carry.
  return toBase64Url(utf8(body));
}
