import { gelu, Module, type tf } from '@scratchgpt/tensor';

/** GPT-2's activation, the tanh approximation of GELU (`@scratchgpt/tensor`'s `gelu`). */
export class GELU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }
}
