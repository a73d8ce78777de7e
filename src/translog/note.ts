// C2SP signed-note v1.0.0: `text \n (— name base64(keyid||sig)\n)+`. Parsing is strict so
// that one note has exactly one reading; verification follows the spec's rules: lines from
// unknown keys are ignored, a known key's bad signature rejects the whole note, and a note
// with no verified known signature is rejected.
import { decodeBase64, encodeBase64 } from './encoding.ts';
import { FormatError, SignatureError } from './errors.ts';

const DASH = '\u2014 ';
const MAX_SIGNATURES = 100;

export interface NoteSignature {
  readonly name: string;
  /** Big-endian uint32 from the first four signature bytes. */
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
}

export interface Note {
  /** The signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Verifies one kind of signature for one (name, key ID). */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

export interface VerifiedNote extends Note {
  /** Signatures that matched a known verifier and verified, with that verifier. */
  readonly verified: readonly { signature: NoteSignature; verifier: NoteVerifier }[];
}

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

function checkCharacters(note: string): void {
  // Only newline may be a control character; no CR, no tab (signed-note §Format).
  for (let i = 0; i < note.length; i++) {
    const c = note.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) throw new FormatError('note contains a control character');
  }
  if (!note.isWellFormed()) throw new FormatError('note is not valid UTF-8');
}

/** Decodes note bytes as UTF-8, rejecting invalid sequences. */
export function decodeNoteBytes(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FormatError('note is not valid UTF-8');
  }
}

export function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(DASH))
    throw new FormatError('signature line does not start with an em dash and a space');
  const rest = line.slice(DASH.length);
  const space = rest.indexOf(' ');
  if (space < 0 || rest.indexOf(' ', space + 1) >= 0)
    throw new FormatError('signature line is not "— name signature"');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw new FormatError('signature key name is invalid');
  const bytes = decodeBase64(rest.slice(space + 1), 'signature');
  if (bytes.length < 5) throw new FormatError('signature is too short');
  const keyId = Buffer.from(bytes).readUInt32BE(0);
  return { name, keyId, signature: bytes.subarray(4) };
}

export function formatSignatureLine(sig: NoteSignature): string {
  const bytes = Buffer.alloc(4 + sig.signature.length);
  bytes.writeUInt32BE(sig.keyId, 0);
  bytes.set(sig.signature, 4);
  return `${DASH}${sig.name} ${bytes.toString('base64')}\n`;
}

export function parseNote(note: string): Note {
  checkCharacters(note);
  if (!note.endsWith('\n')) throw new FormatError('note does not end in a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new FormatError('note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (text.length === 0) throw new FormatError('note text is empty');
  if (lines.length > MAX_SIGNATURES) throw new FormatError(`note has more than ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

export function formatNote(note: Note): string {
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

export function checkNoteText(text: string): void {
  checkCharacters(text);
  // Empty lines are allowed inside a note's text (the last blank line is the separator).
  if (text.length === 0 || !text.endsWith('\n')) throw new FormatError('note text must end in a newline');
}

/**
 * Verifies a note against known keys (signed-note §Verifying). A line counts as known only when
 * both name and key ID match a verifier; unknown lines are ignored.
 */
export function openNote(note: string | Note, verifiers: readonly NoteVerifier[]): VerifiedNote {
  const parsed = typeof note === 'string' ? parseNote(note) : note;
  const text = new TextEncoder().encode(parsed.text);
  const verified: { signature: NoteSignature; verifier: NoteVerifier }[] = [];
  for (const signature of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === signature.name && v.keyId === signature.keyId);
    if (!verifier) continue;
    if (!verifier.verify(text, signature.signature)) {
      throw new SignatureError(`signature by known key ${signature.name} does not verify`);
    }
    verified.push({ signature, verifier });
  }
  if (verified.length === 0) throw new SignatureError('note has no verified signature from a known key');
  return { ...parsed, verified };
}

/** Adds signature lines to a note, dropping any earlier line by the same (name, key ID). */
export function addSignatures(note: Note, signatures: readonly NoteSignature[]): Note {
  const same = (a: NoteSignature, b: NoteSignature) => a.name === b.name && a.keyId === b.keyId;
  const kept = note.signatures.filter((s) => !signatures.some((n) => same(s, n)));
  return { text: note.text, signatures: [...kept, ...signatures] };
}

export const base64Signature = encodeBase64;
