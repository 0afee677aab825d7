/**
 * The two checkpoint layouts: the book's PyTorch state dict (Linear weights [out, in], separate query,
 * key and value) and Hugging Face GPT-2's (Conv1D weights [in, out], query/key/value fused in c_attn).
 */
import type { GPTConfig } from '../config.js';
import { concatLastAxis, type HostTensor, splitLastAxis, transpose2d } from './host-tensor.js';

export type Layout = 'book' | 'hf';
export type HostState = Map<string, HostTensor>;

/** Tensors each layout may carry that are buffers, not parameters: skipped when loading. */
const ignoredTensor = /(^|\.)att\.mask$|(^|\.)attn\.(bias|masked_bias)$/;

export function isIgnoredTensor(name: string): boolean {
  return ignoredTensor.test(name);
}

export function detectLayout(names: Iterable<string>): Layout | undefined {
  for (const name of names) {
    if (name === 'tok_emb.weight') return 'book';
    if (name === 'wte.weight' || name === 'transformer.wte.weight') return 'hf';
  }
  return undefined;
}

/** Every tensor the book layout holds for this config, with its shape. */
export function bookShapes(config: GPTConfig, options: { withHead: boolean }): Map<string, number[]> {
  const { vocabSize: v, contextLength: c, embDim: e } = config;
  const shapes = new Map<string, number[]>([['tok_emb.weight', [v, e]]]);
  if ((config.positionEmbedding ?? 'learned') === 'learned') shapes.set('pos_emb.weight', [c, e]);
  for (let i = 0; i < config.nLayers; i++) {
    const block = `trf_blocks.${i}`;
    for (const projection of ['W_query', 'W_key', 'W_value']) {
      shapes.set(`${block}.att.${projection}.weight`, [e, e]);
      if (config.qkvBias) shapes.set(`${block}.att.${projection}.bias`, [e]);
    }
    shapes.set(`${block}.att.out_proj.weight`, [e, e]);
    shapes.set(`${block}.att.out_proj.bias`, [e]);
    shapes.set(`${block}.ff.layers.0.weight`, [4 * e, e]);
    shapes.set(`${block}.ff.layers.0.bias`, [4 * e]);
    shapes.set(`${block}.ff.layers.2.weight`, [e, 4 * e]);
    shapes.set(`${block}.ff.layers.2.bias`, [e]);
    for (const norm of ['norm1', 'norm2']) {
      shapes.set(`${block}.${norm}.scale`, [e]);
      shapes.set(`${block}.${norm}.shift`, [e]);
    }
  }
  shapes.set('final_norm.scale', [e]);
  shapes.set('final_norm.shift', [e]);
  if (options.withHead) shapes.set('out_head.weight', [v, e]);
  return shapes;
}

/** Every tensor the Hugging Face layout holds for this config, with its shape. */
export function hfShapes(config: GPTConfig, options: { withHead: boolean }): Map<string, number[]> {
  const { vocabSize: v, contextLength: c, embDim: e } = config;
  const shapes = new Map<string, number[]>([['wte.weight', [v, e]]]);
  if ((config.positionEmbedding ?? 'learned') === 'learned') shapes.set('wpe.weight', [c, e]);
  for (let i = 0; i < config.nLayers; i++) {
    const block = `h.${i}`;
    shapes.set(`${block}.ln_1.weight`, [e]);
    shapes.set(`${block}.ln_1.bias`, [e]);
    shapes.set(`${block}.attn.c_attn.weight`, [e, 3 * e]);
    shapes.set(`${block}.attn.c_attn.bias`, [3 * e]);
    shapes.set(`${block}.attn.c_proj.weight`, [e, e]);
    shapes.set(`${block}.attn.c_proj.bias`, [e]);
    shapes.set(`${block}.ln_2.weight`, [e]);
    shapes.set(`${block}.ln_2.bias`, [e]);
    shapes.set(`${block}.mlp.c_fc.weight`, [e, 4 * e]);
    shapes.set(`${block}.mlp.c_fc.bias`, [4 * e]);
    shapes.set(`${block}.mlp.c_proj.weight`, [4 * e, e]);
    shapes.set(`${block}.mlp.c_proj.bias`, [e]);
  }
  shapes.set('ln_f.weight', [e]);
  shapes.set('ln_f.bias', [e]);
  if (options.withHead) shapes.set('lm_head.weight', [v, e]);
  return shapes;
}

function take(state: HostState, name: string): HostTensor {
  const tensor = state.get(name);
  if (tensor == null) throw new Error(`internal: ${name} was validated but is missing`);
  return tensor;
}

/** Book names → Hugging Face names. A model without query/key/value biases gets zero c_attn biases. */
export function bookToHf(state: HostState, config: GPTConfig, options: { withHead: boolean }): HostState {
  const e = config.embDim;
  const out: HostState = new Map([['wte.weight', take(state, 'tok_emb.weight')]]);
  if (state.has('pos_emb.weight')) out.set('wpe.weight', take(state, 'pos_emb.weight'));
  for (let i = 0; i < config.nLayers; i++) {
    const b = `trf_blocks.${i}`;
    const h = `h.${i}`;
    out.set(`${h}.ln_1.weight`, take(state, `${b}.norm1.scale`));
    out.set(`${h}.ln_1.bias`, take(state, `${b}.norm1.shift`));
    const projections = ['W_query', 'W_key', 'W_value'];
    out.set(
      `${h}.attn.c_attn.weight`,
      concatLastAxis(projections.map((p) => transpose2d(take(state, `${b}.att.${p}.weight`)))),
    );
    out.set(
      `${h}.attn.c_attn.bias`,
      config.qkvBias
        ? concatLastAxis(projections.map((p) => take(state, `${b}.att.${p}.bias`)))
        : { shape: [3 * e], data: new Float32Array(3 * e) },
    );
    out.set(`${h}.attn.c_proj.weight`, transpose2d(take(state, `${b}.att.out_proj.weight`)));
    out.set(`${h}.attn.c_proj.bias`, take(state, `${b}.att.out_proj.bias`));
    out.set(`${h}.ln_2.weight`, take(state, `${b}.norm2.scale`));
    out.set(`${h}.ln_2.bias`, take(state, `${b}.norm2.shift`));
    out.set(`${h}.mlp.c_fc.weight`, transpose2d(take(state, `${b}.ff.layers.0.weight`)));
    out.set(`${h}.mlp.c_fc.bias`, take(state, `${b}.ff.layers.0.bias`));
    out.set(`${h}.mlp.c_proj.weight`, transpose2d(take(state, `${b}.ff.layers.2.weight`)));
    out.set(`${h}.mlp.c_proj.bias`, take(state, `${b}.ff.layers.2.bias`));
  }
  out.set('ln_f.weight', take(state, 'final_norm.scale'));
  out.set('ln_f.bias', take(state, 'final_norm.shift'));
  if (options.withHead) out.set('lm_head.weight', take(state, 'out_head.weight'));
  return out;
}

/** Hugging Face names → book names; c_attn biases are kept only when the config has qkv biases. */
export function hfToBook(state: HostState, config: GPTConfig, options: { withHead: boolean }): HostState {
  const out: HostState = new Map([['tok_emb.weight', take(state, 'wte.weight')]]);
  if (state.has('wpe.weight')) out.set('pos_emb.weight', take(state, 'wpe.weight'));
  for (let i = 0; i < config.nLayers; i++) {
    const b = `trf_blocks.${i}`;
    const h = `h.${i}`;
    out.set(`${b}.norm1.scale`, take(state, `${h}.ln_1.weight`));
    out.set(`${b}.norm1.shift`, take(state, `${h}.ln_1.bias`));
    const weights = splitLastAxis(take(state, `${h}.attn.c_attn.weight`), 3);
    const biases = splitLastAxis(take(state, `${h}.attn.c_attn.bias`), 3);
    ['W_query', 'W_key', 'W_value'].forEach((p, j) => {
      out.set(`${b}.att.${p}.weight`, transpose2d(weights[j]!));
      if (config.qkvBias) out.set(`${b}.att.${p}.bias`, biases[j]!);
    });
    out.set(`${b}.att.out_proj.weight`, transpose2d(take(state, `${h}.attn.c_proj.weight`)));
    out.set(`${b}.att.out_proj.bias`, take(state, `${h}.attn.c_proj.bias`));
    out.set(`${b}.norm2.scale`, take(state, `${h}.ln_2.weight`));
    out.set(`${b}.norm2.shift`, take(state, `${h}.ln_2.bias`));
    out.set(`${b}.ff.layers.0.weight`, transpose2d(take(state, `${h}.mlp.c_fc.weight`)));
    out.set(`${b}.ff.layers.0.bias`, take(state, `${h}.mlp.c_fc.bias`));
    out.set(`${b}.ff.layers.2.weight`, transpose2d(take(state, `${h}.mlp.c_proj.weight`)));
    out.set(`${b}.ff.layers.2.bias`, take(state, `${h}.mlp.c_proj.bias`));
  }
  out.set('final_norm.scale', take(state, 'ln_f.weight'));
  out.set('final_norm.shift', take(state, 'ln_f.bias'));
  if (options.withHead) out.set('out_head.weight', take(state, 'lm_head.weight'));
  return out;
}
