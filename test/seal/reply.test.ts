// Device replies ("that wasn't me") sealed to the bank's HPKE key in auth mode.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EnvelopeError,
  type EnvelopeErrorCode,
  exportX25519PublicKey,
  generateHpkeKeyPair,
  keyThumbprint,
  openReply,
  sealReply,
} from '../../src/seal/index.ts';
import { BANK_ID, CONSENT, type Fixture, fixture, NOW } from './helpers.ts';

async function rejects(p: Promise<unknown>, code: EnvelopeErrorCode) {
  await assert.rejects(p, (e: unknown) => e instanceof EnvelopeError && e.code === code);
}

function replyInput(f: Fixture, over: Record<string, unknown> = {}) {
  return {
    deviceKey: f.device,
    bankPublicKey: f.bankHpkePublic,
    bankId: BANK_ID,
    consentCommitment: CONSENT,
    purpose: 'fraud_alert',
    log: 9001,
    inReplyTo: 'alert-42',
    payload: { answer: 'not_me' },
    now: NOW,
    ...over,
  };
}

function openOpts(f: Fixture, over: Record<string, unknown> = {}) {
  return {
    bankKey: f.bankHpke,
    deviceKeys: [f.devicePublic],
    expect: {
      bankId: BANK_ID,
      consentCommitment: CONSENT,
      purpose: 'fraud_alert',
      type: 'reply',
      inReplyTo: 'alert-42',
    },
    now: NOW,
    ...over,
  };
}

describe('device replies', async () => {
  const f = await fixture();

  it('a reply opens at the bank, bound to the consent, the alert and the sending device', async () => {
    const reply = await sealReply(replyInput(f));
    const opened = await openReply(reply, openOpts(f));
    assert.deepEqual(opened.payload, { answer: 'not_me' });
    assert.equal(opened.header.re, 'alert-42');
    assert.equal(opened.header.sndr, await keyThumbprint(f.devicePublic));
    assert.equal(opened.header.rcpt, await keyThumbprint(f.bankHpkePublic));
  });

  it('a reply from a device key not registered under the consent → wrong_recipient', async () => {
    const stranger = await generateHpkeKeyPair();
    await rejects(
      openReply(await sealReply(replyInput(f, { deviceKey: stranger })), openOpts(f)),
      'wrong_recipient',
    );
  });

  it('a forged reply claiming the registered device (relay holds only public keys) → aad_mismatch', async () => {
    // The forger seals with its own key but names the real device as sender; auth mode fails.
    const forger = await generateHpkeKeyPair();
    const forgedKeyPair = { privateKey: forger.privateKey, publicKey: f.device.publicKey };
    await rejects(
      openReply(await sealReply(replyInput(f, { deviceKey: forgedKeyPair })), openOpts(f)),
      'aad_mismatch',
    );
  });

  it('a reply to another alert or under another consent is refused', async () => {
    const reply = await sealReply(replyInput(f));
    await rejects(
      openReply(reply, openOpts(f, { expect: { ...openOpts(f).expect, inReplyTo: 'alert-43' } })),
      'wrong_message',
    );
    await rejects(
      openReply(reply, openOpts(f, { expect: { ...openOpts(f).expect, consentCommitment: 'other' } })),
      'wrong_consent',
    );
  });

  it('a reply sealed to another bank key → wrong_recipient; tampered → decrypt/aad errors', async () => {
    const other = await generateHpkeKeyPair();
    const toOther = await sealReply(
      replyInput(f, { bankPublicKey: await exportX25519PublicKey(other.publicKey) }),
    );
    await rejects(openReply(toOther, openOpts(f)), 'wrong_recipient');
    const reply = await sealReply(replyInput(f));
    const body = JSON.parse(Buffer.from(reply, 'base64url').toString());
    body.hdr.log = 9002;
    await rejects(
      openReply(Buffer.from(JSON.stringify(body)).toString('base64url'), openOpts(f)),
      'aad_mismatch',
    );
    body.hdr.log = 9001;
    const ct = Buffer.from(body.ct, 'base64url');
    ct[0] = (ct[0] ?? 0) ^ 1;
    body.ct = ct.toString('base64url');
    await rejects(
      openReply(Buffer.from(JSON.stringify(body)).toString('base64url'), openOpts(f)),
      'decrypt_failed',
    );
  });
});
