/**
 * Where two id arrays first differ (−1: equal, as are their lengths). vitest's deep equality walks
 * typed arrays element by element and takes seconds on hundreds of thousands of ids.
 */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

/** Every batch's inputs, then every batch's targets, end to end. */
export function concatBatches(batches: Iterable<{ inputs: Int32Array; targets: Int32Array }>): Int32Array {
  const parts: Int32Array[] = [];
  const targets: Int32Array[] = [];
  for (const batch of batches) {
    parts.push(batch.inputs);
    targets.push(batch.targets);
  }
  const all = [...parts, ...targets];
  const out = new Int32Array(all.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of all) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
