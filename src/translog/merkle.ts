// RFC 9162 §2.1 Merkle tree hashing and proof verification. Verification works on bigint
// so that uint64 sizes from the wire (up to 2^64-1) are judged exactly, never rounded.
import { createHash } from 'node:crypto';
import { bytesEqual } from './encoding.ts';
import { ProofError } from './errors.ts';

export const HASH_SIZE = 32;

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF_PREFIX = new Uint8Array([0]);
const NODE_PREFIX = new Uint8Array([1]);

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256();

export function hashLeaf(entry: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, entry);
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** MTH over a list of leaf hashes (RFC 9162 §2.1.1), split at the largest power of two below n. */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_ROOT;
  if (hashes.length === 1) return hashes[0]!;
  const k = largestPowerOfTwoBelow(hashes.length);
  return hashChildren(rootFromLeafHashes(hashes.slice(0, k)), rootFromLeafHashes(hashes.slice(k)));
}

/** Largest power of two strictly less than n (n >= 2). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

type Size = number | bigint;

function toBig(value: Size, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) throw new ProofError(`${what} is not an exact integer`);
  return BigInt(value);
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) throw new ProofError(`${what} is ${hash.length} bytes, not ${HASH_SIZE}`);
}

/** Root implied by an inclusion proof (RFC 9162 §2.1.3.2); throws ProofError when the proof has the wrong shape. */
export function rootFromInclusionProof(
  index: Size,
  size: Size,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
) {
  let fn = toBig(index, 'index');
  let sn = toBig(size, 'size');
  if (fn < 0n || fn >= sn) throw new ProofError(`index ${fn} is outside a tree of size ${sn}`);
  checkHash(leafHash, 'leaf hash');
  sn -= 1n;
  let r = leafHash;
  for (const p of proof) {
    checkHash(p, 'proof hash');
    if (sn === 0n) throw new ProofError('inclusion proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = hashChildren(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError('inclusion proof is too short');
  return r;
}

export function verifyInclusion(
  index: Size,
  size: Size,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(root, 'root');
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  if (!bytesEqual(computed, root)) throw new ProofError('inclusion proof does not lead to the root');
}

/** RFC 9162 §2.1.4.2. Size 0 is rejected: a proof from the empty tree proves nothing. */
export function verifyConsistency(
  size1: Size,
  size2: Size,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  const m = toBig(size1, 'size1');
  const n = toBig(size2, 'size2');
  checkHash(root1, 'root1');
  checkHash(root2, 'root2');
  for (const p of proof) checkHash(p, 'proof hash');
  if (m < 1n) throw new ProofError('consistency from an empty tree is meaningless');
  if (m > n) throw new ProofError(`size1 ${m} is larger than size2 ${n}`);
  if (m === n) {
    if (proof.length !== 0) throw new ProofError('proof between equal sizes must be empty');
    if (!bytesEqual(root1, root2)) throw new ProofError('equal sizes with different roots');
    return;
  }
  if (proof.length === 0) throw new ProofError('consistency proof is empty');
  const path = (m & (m - 1n)) === 0n ? [root1, ...proof] : [...proof];
  let fn = m - 1n;
  let sn = n - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new ProofError('consistency proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError('consistency proof is too short');
  if (!bytesEqual(fr, root1)) throw new ProofError('consistency proof does not lead to the old root');
  if (!bytesEqual(sr, root2)) throw new ProofError('consistency proof does not lead to the new root');
}
