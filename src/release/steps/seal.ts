// Step 7 — seal. Enforces: what goes to a device goes as an envelope only that device opens
// (HPKE to the device key the consent bound) and signed by the bank (JWS, the bank's key in
// its JWKS), naming the consent, the purpose and the log index of its entry — so the device
// can check that what it reads was logged. Skipped when nothing is released or the answer
// goes back to the caller (Open Banking reads).
import type { ReleaseStep } from '../types.ts';

export const seal: ReleaseStep = {
  name: 'seal',
  async run(state) {
    const { request, deps } = state;
    if (!request.seal || !state.payload) return;
    const consent = state.authenticated!.consent!;
    const sealer = await deps.sealers(request.bankId);
    state.envelope = sealer.seal({
      recipientPublicKey: consent.deviceKey,
      // The envelope names the consent by the id the platform already holds; the public log
      // carries only the keyed commitment to it.
      consentCommitment: consent.id,
      purpose: state.purpose!,
      type: request.seal.type,
      ...(request.seal.id !== undefined ? { id: request.seal.id } : {}),
      log: state.logIndex!,
      payload: state.payload,
    });
  },
};
