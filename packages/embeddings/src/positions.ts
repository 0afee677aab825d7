import type { tf } from '@scratchgpt/tensor';

/** Shared checks for position encodings. */
export function checkPositionRange(offset: number, length: number, contextLength: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1) {
    throw new RangeError(
      `Positions need an integer offset ≥ 0 and length ≥ 1, got offset ${offset}, length ${length}`,
    );
  }
  if (offset + length > contextLength) {
    throw new RangeError(
      `Positions ${offset}..${offset + length - 1} exceed the context length ${contextLength}: ` +
        'crop the input to the last contextLength tokens',
    );
  }
}

/** What the GPT model adds to its token vectors: (length, dim) for positions offset..offset+length-1. */
export interface AdditivePositions {
  readonly contextLength: number;
  forward(length: number, offset?: number): tf.Tensor;
  dispose(): void;
}
