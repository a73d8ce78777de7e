// Reads the transparency-log test vectors in test/fixtures/testvectors (provenance: its SOURCE.txt).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fixturePath } from '../../support/shared.ts';

export const VECTORS_DIR = `${fixturePath('testvectors')}/`;

/** JSON.parse that keeps integers above 2^53 exact as bigint (the merkle vectors use 2^64-1). */
export function parseJsonExact(text: string): unknown {
  const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^\d+$/.test(context.source)
      ? BigInt(context.source)
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

export async function readVector<T>(path: string): Promise<T> {
  return parseJsonExact(await readFile(join(VECTORS_DIR, path), 'utf8')) as T;
}

export async function listJsonFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(VECTORS_DIR, dir), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.json')) {
      out.push(join(entry.parentPath, entry.name).slice(VECTORS_DIR.length));
    }
  }
  return out.sort();
}

export const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
