/**
 * The byte-pair merge loop, with tiktoken's rule: in a piece's list of parts (each a token), merge the
 * adjacent pair whose concatenation has the lowest rank, the leftmost one on ties, until no adjacent
 * pair is a token. Ranks are ids, so the parts' ranks are the output.
 *
 * Short pieces (nearly all words) scan a small array for the minimum and recompute only the two pairs
 * a merge touches. Long pieces (runs of whitespace, long numbers) use a heap over a linked list, so
 * the work grows as n log n instead of n².
 */

import { MinHeap } from './heap.js';

export type Ranks = ReadonlyMap<string, number>;

const NONE = 0x7fffffff;
const HEAP_THRESHOLD = 128;

/** Appends the ids of one pre-token (a byte string) to `out`. */
export function bytePairEncode(
  piece: string,
  ranks: Ranks,
  out: number[],
  heapThreshold = HEAP_THRESHOLD,
): void {
  const whole = ranks.get(piece);
  if (whole !== undefined) {
    out.push(whole);
    return;
  }
  const starts = piece.length > heapThreshold ? mergeWithHeap(piece, ranks) : mergeByScan(piece, ranks);
  for (let i = 0; i < starts.length - 1; i++) {
    const id = ranks.get(piece.slice(starts[i], starts[i + 1]));
    if (id === undefined)
      throw new Error(`BPE: the byte ${piece.charCodeAt(starts[i] as number)} has no token`);
    out.push(id);
  }
}

function rankOf(piece: string, start: number, end: number, ranks: Ranks): number {
  return ranks.get(piece.slice(start, end)) ?? NONE;
}

/** Returns the parts' start offsets followed by the piece's length. */
function mergeByScan(piece: string, ranks: Ranks): Int32Array {
  const n = piece.length;
  const starts = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) starts[i] = i;
  // pairRanks[i]: the rank of part i joined with part i + 1.
  const pairRanks = new Int32Array(Math.max(n - 1, 0));
  for (let i = 0; i < n - 1; i++) pairRanks[i] = rankOf(piece, i, i + 2, ranks);
  let parts = n;
  while (parts > 1) {
    let best = NONE;
    let at = -1;
    for (let i = 0; i < parts - 1; i++) {
      const rank = pairRanks[i] as number;
      if (rank < best) {
        best = rank;
        at = i;
      }
    }
    if (at < 0) break;
    starts.copyWithin(at + 1, at + 2, parts + 1);
    pairRanks.copyWithin(at, at + 1, parts - 1);
    parts--;
    if (at < parts - 1) pairRanks[at] = rankOf(piece, starts[at] as number, starts[at + 2] as number, ranks);
    if (at > 0) pairRanks[at - 1] = rankOf(piece, starts[at - 1] as number, starts[at + 1] as number, ranks);
  }
  return starts.subarray(0, parts + 1);
}

const TWO_POW_32 = 2 ** 32;

function mergeWithHeap(piece: string, ranks: Ranks): Int32Array {
  const n = piece.length;
  // A linked list of parts, by start offset; next[start] is where the part ends.
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const pairRank = new Int32Array(n).fill(NONE);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
  }
  // Heap keys: rank · 2³² + start, so the smallest key is the lowest rank, leftmost.
  const heap = new MinHeap();
  const setPair = (start: number): void => {
    const end = next[start] as number;
    const rank = end < n ? rankOf(piece, start, next[end] as number, ranks) : NONE;
    pairRank[start] = rank;
    if (rank !== NONE) heap.push(rank * TWO_POW_32 + start);
  };
  for (let i = 0; i < n - 1; i++) setPair(i);
  while (heap.size > 0) {
    const key = heap.pop();
    const start = key % TWO_POW_32;
    // Stale: the part was merged away or its pair changed since this entry was pushed.
    if (pairRank[start] !== Math.floor(key / TWO_POW_32)) continue;
    const removed = next[start] as number;
    const end = next[removed] as number;
    next[start] = end;
    if (end < n) prev[end] = start;
    pairRank[removed] = NONE;
    setPair(start);
    if (start > 0) setPair(prev[start] as number);
  }
  const starts: number[] = [];
  for (let start = 0; start < n; start = next[start] as number) starts.push(start);
  starts.push(n);
  return Int32Array.from(starts);
}
