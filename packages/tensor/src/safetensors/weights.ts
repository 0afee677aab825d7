import type { SafetensorsDtype, SafetensorsTensor } from './format.js';

const FLOAT_DTYPES: ReadonlySet<SafetensorsDtype> = new Set(['F32', 'F16', 'BF16', 'F64']);

/**
 * The dtype half of {@link checkWeights}, from a file's header alone: weights are floats. Lets a reader
 * refuse integer weights before it reads any tensor.
 */
export function checkWeightDtype(
  name: string,
  dtype: SafetensorsDtype,
  source: string,
  fail: (message: string) => Error,
): void {
  if (!FLOAT_DTYPES.has(dtype)) {
    throw fail(`${source}: tensor '${name}' is ${dtype}; weights must be F32, F16 or BF16`);
  }
}

/**
 * One check for every weights file (a model, a class head, an adapter): weights are floats (F32, F16,
 * BF16 or F64, read as float32), and every value is finite, since a NaN or an infinity makes every
 * output NaN without any other sign of what is wrong. The first bad tensor becomes the error `fail`
 * makes from a one-line message.
 */
export function checkWeights(
  tensors: Iterable<[string, SafetensorsTensor]>,
  source: string,
  fail: (message: string) => Error,
): void {
  for (const [name, tensor] of tensors) {
    checkWeightDtype(name, tensor.dtype, source, fail);
    checkWeightPiece(name, tensor.data, 0, source, fail);
  }
}

/**
 * {@link checkWeights}'s finiteness check for a piece of one tensor, whose first value is the tensor's
 * element `offset`: for weights read in pieces.
 */
export function checkWeightPiece(
  name: string,
  data: ArrayLike<number>,
  offset: number,
  source: string,
  fail: (message: string) => Error,
): void {
  for (let i = 0; i < data.length; i++) {
    const value = data[i] as number;
    // x − x is 0 for every finite x, and NaN for NaN and ±Infinity: one test for both.
    if (value - value !== 0) {
      throw fail(
        `${source}: tensor '${name}' holds ${value} at index ${offset + i}: the checkpoint is damaged, or was saved after training diverged`,
      );
    }
  }
}
