// Step 7 — seal (or sign). Enforces: what goes to a device goes as an envelope only that
// device opens (HPKE to the device key the consent bound) and signed by the bank (JWS, the
// bank's key in its JWKS), naming the consent, the purpose and the log index of its entry — so
// the device can check that what it reads was logged. Skipped when nothing is released or the
// answer goes back to the caller (Open Banking reads).
// Variant sign (request.sign, a merchant's payment or refund confirmation): nothing is
// encrypted — the merchant is the addressee and holds no device key — but the payload that was
// logged, plus the log index of its entry and the signing time, is signed as a JWT (ES256, the
// bank's key in its JWKS, `typ` as asked) so the merchant can verify it offline. One step, two
// variants: either way the last thing done before the answer binds it to the bank and the log.
// A release that asks for `seal.batch` (the outbox seals many at once) is sealed with others on
// the sealing pool's worker threads; same envelope, same checks.
import { SignJWT } from 'jose';
import type { SealInput } from '../../seal/index.ts';
import type { ReleaseState, ReleaseStep } from '../types.ts';

async function sign(state: ReleaseState, typ: string): Promise<void> {
  const { request, deps } = state;
  if (!deps.signers) throw new Error('the release path was built without a signing key');
  const signer = await deps.signers(request.bankId);
  state.signed = await new SignJWT({ ...state.payload, log_index: state.logIndex! })
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ })
    .setIssuedAt()
    .sign(signer.key);
}

export const seal: ReleaseStep = {
  name: 'seal',
  async run(state) {
    const { request, deps } = state;
    if (!state.payload) return;
    if (request.sign) return sign(state, request.sign.typ);
    if (!request.seal) return;
    const consent = state.authenticated!.consent!;
    const sealer = await deps.sealers(request.bankId);
    const input: SealInput = {
      recipientPublicKey: consent.deviceKey,
      // The envelope names the consent by the id the platform already holds; the public log
      // carries only the keyed commitment to it.
      consentCommitment: consent.id,
      purpose: state.purpose!,
      type: request.seal.type,
      ...(request.seal.id !== undefined ? { id: request.seal.id } : {}),
      log: state.logIndex!,
      payload: state.payload,
    };
    // Many at once (the outbox): sealed in batches on the sealing pool; one alone: here.
    state.envelope = request.seal.batch ? await sealer.sealSoon(input) : sealer.seal(input);
  },
};
