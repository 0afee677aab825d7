import { gelu as geluOp, Module, type tf } from '@scratchgpt/tensor';

/**
 * GELU in GPT-2's tanh approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): `@scratchgpt/tensor`'s
 * `gelu`, one operation with its own gradient (fused into one pass on WebGPU).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

export class GELU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }
}
