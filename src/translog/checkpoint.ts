// C2SP tlog-checkpoint v1.0.0: the note text `origin\nsize\nbase64(root)\n[extension\n]*`.
import { bytesEqual, decodeBase64, encodeBase64, parseSafeDecimal } from './encoding.ts';
import { FormatError } from './errors.ts';
import { EMPTY_ROOT, HASH_SIZE } from './merkle.ts';
import { checkNoteText } from './note.ts';

/** Well-formed, but a size-0 checkpoint claiming a non-empty root (the witness answers 422, not 400). */
export class EmptyTreeRootError extends FormatError {
  override name = 'EmptyTreeRootError';
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly extensions: readonly string[];
}

export function parseCheckpoint(text: string): Checkpoint {
  checkNoteText(text);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new FormatError('checkpoint needs origin, size and root lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new FormatError('checkpoint origin is empty');
  const size = parseSafeDecimal(sizeText, 'checkpoint size');
  const root = decodeBase64(rootText, 'checkpoint root');
  if (root.length !== HASH_SIZE) throw new FormatError('checkpoint root is not 32 bytes');
  if (extensions.some((e) => e.length === 0)) throw new FormatError('checkpoint has an empty line');
  if (size === 0 && !bytesEqual(root, EMPTY_ROOT))
    throw new EmptyTreeRootError('empty checkpoint must carry the empty root');
  return { origin, size, root, extensions };
}

export function formatCheckpoint(c: Checkpoint): string {
  const text = [c.origin, String(c.size), encodeBase64(c.root), ...c.extensions].join('\n') + '\n';
  checkNoteText(text);
  return text;
}
