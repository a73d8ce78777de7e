// Producing signature lines: a plain Ed25519 note signature (0x01) or a cosignature/v1 (0x04).
import { FormatError } from './errors.ts';
import {
  cosignatureMessage,
  type NoteSigner,
  parseVerifierKey,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
} from './keys.ts';
import { checkNoteText, type Note, type NoteSignature } from './note.ts';

const encoder = new TextEncoder();

/** Signs note text with a type 0x01 key. */
export async function signText(text: string, signer: NoteSigner): Promise<NoteSignature> {
  checkNoteText(text);
  const key = parseVerifierKey(signer.verifierKey);
  if (key.type !== SIG_ED25519 || key.name !== signer.name)
    throw new FormatError('signer is not a type 0x01 note key');
  const signature = await signer.sign(encoder.encode(text));
  if (signature.length !== 64) throw new FormatError('Ed25519 signature must be 64 bytes');
  return { name: key.name, keyId: key.keyId, signature };
}

export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<Note> {
  return { text, signatures: await Promise.all(signers.map((s) => signText(text, s))) };
}

/** A cosignature/v1 over checkpoint text at `timestamp` (POSIX seconds). */
export async function cosignText(
  text: string,
  cosigner: NoteSigner,
  timestamp: bigint,
): Promise<NoteSignature> {
  checkNoteText(text);
  const key = parseVerifierKey(cosigner.verifierKey);
  if (key.type !== SIG_COSIGNATURE_V1 || key.name !== cosigner.name) {
    throw new FormatError('cosigner is not a type 0x04 key');
  }
  if (timestamp < 0n || timestamp > 0x7fff_ffff_ffff_ffffn) throw new FormatError('timestamp out of range');
  const sig = await cosigner.sign(cosignatureMessage(encoder.encode(text), timestamp));
  if (sig.length !== 64) throw new FormatError('Ed25519 signature must be 64 bytes');
  const signature = Buffer.alloc(72);
  signature.writeBigUInt64BE(timestamp, 0);
  signature.set(sig, 8);
  return { name: key.name, keyId: key.keyId, signature: new Uint8Array(signature) };
}
