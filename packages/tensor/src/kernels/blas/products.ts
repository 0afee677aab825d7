/**
 * The wasm backend's matrix products computed by the machine's BLAS, on the backend's own heap.
 *
 * Every tensor of TF.js's wasm backend lies in its WebAssembly memory, which JavaScript can view as a
 * Float32Array; the FFI passes such a view to `cblas_sgemm` as a plain pointer, so operands are read
 * and the result written in place, without copies. Transposed operands are passed as flags, never
 * materialised, and batch axes (attention's batch × heads, broadcast weights) become one call per
 * matrix, or a single call when a shared right operand lets the batch be stacked into rows.
 *
 * The kernels wrap `BatchMatMul` (`batch-mat-mul.ts`) and `_FusedMatMul` (`fused-mat-mul.ts`, with a
 * bias, no activation) once; they hand every call to the original wasm kernel while no BLAS is in use,
 * so plain `wasm` stays itself.
 */
import type { Sgemm } from '../../backend/blas/library.js';
import { tf } from '../../tf.js';
import type { WasmBackendLike } from '../wasm/backend.js';

let sgemm: Sgemm | undefined;

/** The BLAS products are routed to, or undefined while wasm computes its own. */
export function blasProducts(): Sgemm | undefined {
  return sgemm;
}

/** Routes the wasm backend's products to `product`, or back to wasm's own kernels with `undefined`. */
export function useBlasProducts(product: Sgemm | undefined): void {
  sgemm = product;
}

/** Whether products on the wasm backend currently run in BLAS (transposes are then free). */
export function blasProductsActive(): boolean {
  return sgemm != null;
}

/** The index into an operand's batch axes that batch entry `index` of the broadcast result reads. */
function broadcastIndex(index: number, outBatch: number[], inBatch: number[]): number {
  let remaining = index;
  let at = 0;
  let stride = 1;
  const offset = outBatch.length - inBatch.length;
  for (let axis = outBatch.length - 1; axis >= 0; axis--) {
    const size = outBatch[axis] as number;
    const position = remaining % size;
    remaining = Math.floor(remaining / size);
    const inAxis = axis - offset;
    if (inAxis < 0) continue;
    const inSize = inBatch[inAxis] as number;
    if (inSize !== 1) at += position * stride;
    stride *= inSize;
  }
  return at;
}

/**
 * op(a)·op(b) (+ bias on the last axis) for a (..., m, k) and b (..., k, n) after the transposes,
 * with broadcast batch axes, into a new output tensor.
 */
export function multiply(
  backend: WasmBackendLike,
  product: Sgemm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.TensorInfo | undefined,
): tf.TensorInfo {
  const [aRows, aCols] = a.shape.slice(-2) as [number, number];
  const [bRows, bCols] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} ` +
        `and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  // Allocate first: growing the heap detaches every view taken before.
  const out = backend.makeOutput([...outBatch, m, n], 'float32');
  const c = backend.typedArrayFromHeap(out) as Float32Array;
  const batches = tf.util.sizeFromShape(outBatch);
  if (c.length === 0) return out;
  const beta = bias == null ? 0 : 1;
  if (bias != null) fillRows(c, backend.typedArrayFromHeap(bias) as Float32Array, n);
  if (k === 0) {
    if (bias == null) c.fill(0);
    return out;
  }
  const left = backend.typedArrayFromHeap(a) as Float32Array;
  const right = backend.typedArrayFromHeap(b) as Float32Array;
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  const aBatches = tf.util.sizeFromShape(aBatch);
  const bBatches = tf.util.sizeFromShape(bBatch);
  // One right operand for every batch entry, and left matrices stacked row after row: one call.
  if (bBatches === 1 && aBatches === batches && !transposeA) {
    product(false, transposeB, batches * m, n, k, 1, left, lda, right, ldb, beta, c, n);
    return out;
  }
  for (let i = 0; i < batches; i++) {
    const ai = broadcastIndex(i, outBatch, aBatch) * m * k;
    const bi = broadcastIndex(i, outBatch, bBatch) * k * n;
    product(
      transposeA,
      transposeB,
      m,
      n,
      k,
      1,
      left.subarray(ai, ai + m * k),
      lda,
      right.subarray(bi, bi + k * n),
      ldb,
      beta,
      c.subarray(i * m * n, (i + 1) * m * n),
      n,
    );
  }
  return out;
}

/** Writes the bias (n values, or one for all) into every row of `c`. */
function fillRows(c: Float32Array, bias: Float32Array, n: number): void {
  if (bias.length === 1) {
    c.fill(bias[0] as number);
    return;
  }
  for (let row = 0; row < c.length; row += n) c.set(bias, row);
}
