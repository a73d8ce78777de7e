// Proof generation over any store of complete-subtree hashes (tiles in the database, tiles
// fetched over HTTP). RFC 9162 PATH and SUBPROOF are computed as lists of leaf ranges; each
// range is a left-full subtree that decomposes into at most log2(n) stored nodes, so a proof
// costs O(log n) node reads, fetched in one batch.
import { ProofError } from './errors.ts';
import { EMPTY_ROOT, hashChildren, largestPowerOfTwoBelow } from './merkle.ts';

/** A complete subtree: hash of leaves [index·2^level, (index+1)·2^level). */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Reads node hashes in the order asked. Every node asked for is complete within the tree being proven. */
export type NodeReader = (ids: readonly NodeId[]) => Promise<Uint8Array[]>;

interface Range {
  lo: number;
  hi: number;
}

function checkSize(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new ProofError(`${what} must be a non-negative integer`);
}

/** Complete subtrees whose left-to-right fold is MTH(D[lo:hi]); lo must be aligned as in RFC 9162 recursion. */
export function rangeNodes(lo: number, hi: number): NodeId[] {
  const nodes: NodeId[] = [];
  while (lo < hi) {
    let level = 0;
    while (2 ** (level + 1) <= hi - lo) level++;
    const width = 2 ** level;
    if (lo % width !== 0) throw new ProofError(`range [${lo}, ${hi}) is not left-full`);
    nodes.push({ level, index: lo / width });
    lo += width;
  }
  return nodes;
}

function foldRange(hashes: readonly Uint8Array[]): Uint8Array {
  let h = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) h = hashChildren(hashes[i]!, h);
  return h;
}

async function hashRanges(ranges: readonly Range[], read: NodeReader): Promise<Uint8Array[]> {
  const perRange = ranges.map((r) => rangeNodes(r.lo, r.hi));
  const hashes = await read(perRange.flat());
  let at = 0;
  return perRange.map((nodes) => {
    const slice = hashes.slice(at, at + nodes.length);
    at += nodes.length;
    return foldRange(slice);
  });
}

function pathRanges(index: number, lo: number, hi: number, out: Range[]): void {
  if (hi - lo <= 1) return;
  const k = largestPowerOfTwoBelow(hi - lo);
  if (index < lo + k) {
    pathRanges(index, lo, lo + k, out);
    out.push({ lo: lo + k, hi });
  } else {
    pathRanges(index, lo + k, hi, out);
    out.push({ lo, hi: lo + k });
  }
}

function subproofRanges(m: number, lo: number, hi: number, complete: boolean, out: Range[]): void {
  const n = hi - lo;
  if (m === n) {
    if (!complete) out.push({ lo, hi });
    return;
  }
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) {
    subproofRanges(m, lo, lo + k, complete, out);
    out.push({ lo: lo + k, hi });
  } else {
    subproofRanges(m - k, lo + k, hi, false, out);
    out.push({ lo, hi: lo + k });
  }
}

export async function treeRoot(size: number, read: NodeReader): Promise<Uint8Array> {
  checkSize(size, 'size');
  if (size === 0) return EMPTY_ROOT;
  const [root] = await hashRanges([{ lo: 0, hi: size }], read);
  return root!;
}

/** RFC 9162 §2.1.3.1 inclusion proof for leaf `index` in the tree of `size` leaves. */
export async function inclusionProof(index: number, size: number, read: NodeReader): Promise<Uint8Array[]> {
  checkSize(index, 'index');
  checkSize(size, 'size');
  if (index >= size) throw new ProofError(`index ${index} is not below size ${size}`);
  const ranges: Range[] = [];
  pathRanges(index, 0, size, ranges);
  return hashRanges(ranges, read);
}

/** RFC 9162 §2.1.4.1 consistency proof between sizes 0 < size1 <= size2. */
export async function consistencyProof(
  size1: number,
  size2: number,
  read: NodeReader,
): Promise<Uint8Array[]> {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 < 1 || size1 > size2) throw new ProofError(`no consistency proof from ${size1} to ${size2}`);
  if (size1 === size2) return [];
  const ranges: Range[] = [];
  subproofRanges(size1, 0, size2, true, ranges);
  return hashRanges(ranges, read);
}

/** A NodeReader over an in-memory list of leaf hashes (tests, small trees, clients holding all leaves). */
export function memoryNodeReader(leafHashes: readonly Uint8Array[]): NodeReader {
  const levels: Uint8Array[][] = [leafHashes.slice()];
  return async (ids) =>
    ids.map(({ level, index }) => {
      while (levels.length <= level) {
        const below = levels[levels.length - 1]!;
        const next: Uint8Array[] = [];
        for (let i = 0; i + 1 < below.length; i += 2) next.push(hashChildren(below[i]!, below[i + 1]!));
        levels.push(next);
      }
      const hash = levels[level]![index];
      if (!hash) throw new ProofError(`node ${level}/${index} is not complete`);
      return hash;
    });
}
