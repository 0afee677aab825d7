import { type Generator, gelu, Linear, Module, tf } from '@scratchgpt/tensor';

/** The gate's nonlinearity: SiLU (Qwen3, Llama: SwiGLU) or GELU's tanh approximation (Gemma: GeGLU). */
export type GateActivation = 'silu' | 'gelu-tanh';

/**
 * down(act(gate(x)) · up(x)), three bias-free projections: the gate decides, feature by feature, how
 * much of the up-projection passes. Names follow Hugging Face: `gate_proj`, `up_proj`, `down_proj`.
 */
export class GatedFeedForward extends Module {
  readonly gateProj: Linear;
  readonly upProj: Linear;
  readonly downProj: Linear;

  constructor(
    embDim: number,
    hiddenDim: number,
    readonly activation: GateActivation,
    options: { generator?: Generator } = {},
  ) {
    super();
    const linear = { bias: false, ...options };
    this.gateProj = this.registerModule('gate_proj', new Linear(embDim, hiddenDim, linear));
    this.upProj = this.registerModule('up_proj', new Linear(embDim, hiddenDim, linear));
    this.downProj = this.registerModule('down_proj', new Linear(hiddenDim, embDim, linear));
  }

  /** (..., embDim) → (..., embDim) */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const gate = this.gateProj.forward(x);
      const opened = this.activation === 'silu' ? tf.mul(gate, tf.sigmoid(gate)) : gelu(gate);
      return this.downProj.forward(tf.mul(opened, this.upProj.forward(x)));
    });
  }
}
