import { Generator } from '@scratchgpt/tensor';

/**
 * A generator that draws only zeros: building a model whose weights are about to be overwritten by a
 * checkpoint then skips drawing millions of random numbers.
 */
export class NoInitGenerator extends Generator {
  override uniformArray(size: number): Float32Array {
    return new Float32Array(size);
  }

  override normalArray(size: number): Float32Array {
    return new Float32Array(size);
  }
}
