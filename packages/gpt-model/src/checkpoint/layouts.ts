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

/** Tensors outside the blocks, under both names, in the Hugging Face file's order. */
const headTensors = [
  ['wte.weight', 'tok_emb.weight'],
  ['wpe.weight', 'pos_emb.weight'],
] as const;
const tailTensors = [
  ['ln_f.weight', 'final_norm.scale'],
  ['ln_f.bias', 'final_norm.shift'],
  ['lm_head.weight', 'out_head.weight'],
] as const;
/**
 * A block's tensors in the Hugging Face file's order, each with its book name and whether it is
 * transposed (Conv1D [in, out] against Linear [out, in]); `qkv` marks c_attn, fused from three.
 */
const blockTensors = [
  { hf: 'ln_1.weight', book: 'norm1.scale' },
  { hf: 'ln_1.bias', book: 'norm1.shift' },
  { hf: 'attn.c_attn.weight', qkv: 'weight' },
  { hf: 'attn.c_attn.bias', qkv: 'bias' },
  { hf: 'attn.c_proj.weight', book: 'att.out_proj.weight', transposed: true },
  { hf: 'attn.c_proj.bias', book: 'att.out_proj.bias' },
  { hf: 'ln_2.weight', book: 'norm2.scale' },
  { hf: 'ln_2.bias', book: 'norm2.shift' },
  { hf: 'mlp.c_fc.weight', book: 'ff.layers.0.weight', transposed: true },
  { hf: 'mlp.c_fc.bias', book: 'ff.layers.0.bias' },
  { hf: 'mlp.c_proj.weight', book: 'ff.layers.2.weight', transposed: true },
  { hf: 'mlp.c_proj.bias', book: 'ff.layers.2.bias' },
] as const;
const projections = ['W_query', 'W_key', 'W_value'] as const;

/** Book names → Hugging Face names. A model without query/key/value biases gets zero c_attn biases. */
export function bookToHf(state: HostState, config: GPTConfig, options: { withHead: boolean }): HostState {
  const out = bookOuterToHf(state, headTensors);
  for (let i = 0; i < config.nLayers; i++) {
    for (const [name, tensor] of bookBlockToHf(state, i, config)) out.set(name, tensor);
  }
  const tail = options.withHead ? tailTensors : tailTensors.slice(0, 2);
  for (const [name, tensor] of bookOuterToHf(state, tail)) out.set(name, tensor);
  return out;
}

/**
 * {@link bookToHf} in three parts, so a writer reads one part of the model at a time: the embeddings
 * (`part: 'head'`), block `i`, or the final norm and the head (`part: 'tail'`).
 */
export function bookPartToHf(
  state: HostState,
  part: 'head' | 'tail' | number,
  config: GPTConfig,
  options: { withHead: boolean },
): HostState {
  if (typeof part === 'number') return bookBlockToHf(state, part, config);
  if (part === 'head') return bookOuterToHf(state, headTensors);
  return bookOuterToHf(state, options.withHead ? tailTensors : tailTensors.slice(0, 2));
}

function bookOuterToHf(state: HostState, names: ReadonlyArray<readonly [string, string]>): HostState {
  const out: HostState = new Map();
  for (const [hf, book] of names) {
    // Only the learned position embedding is a tensor: sinusoidal positions are computed.
    if (book === 'pos_emb.weight' && !state.has(book)) continue;
    out.set(hf, take(state, book));
  }
  return out;
}

function bookBlockToHf(state: HostState, i: number, config: GPTConfig): HostState {
  const e = config.embDim;
  const b = `trf_blocks.${i}`;
  const out: HostState = new Map();
  for (const tensor of blockTensors) {
    const name = `h.${i}.${tensor.hf}`;
    if ('book' in tensor) {
      const value = take(state, `${b}.${tensor.book}`);
      out.set(name, 'transposed' in tensor ? transpose2d(value) : value);
    } else if (tensor.qkv === 'weight') {
      out.set(name, concatLastAxis(projections.map((p) => transpose2d(take(state, `${b}.att.${p}.weight`)))));
    } else {
      out.set(
        name,
        config.qkvBias
          ? concatLastAxis(projections.map((p) => take(state, `${b}.att.${p}.bias`)))
          : { shape: [3 * e], data: new Float32Array(3 * e) },
      );
    }
  }
  return out;
}

/** Hugging Face names → book names; c_attn biases are kept only when the config has qkv biases. */
export function hfToBook(state: HostState, config: GPTConfig, options: { withHead: boolean }): HostState {
  const out: HostState = new Map();
  for (const [name, tensor] of state) {
    if (!options.withHead && name === 'lm_head.weight') continue;
    for (const [bookName, bookTensor] of hfTensorToBook(name, tensor, config)) out.set(bookName, bookTensor);
  }
  return out;
}

/**
 * The book's name of a Hugging Face tensor that is only renamed (the tables, the norms, the biases
 * outside c_attn), so that it can be read straight into the model; undefined for one that is
 * transposed or split.
 */
export function hfRenamedOnly(name: string): string | undefined {
  const outer = [...headTensors, ...tailTensors].find(([hf]) => hf === name);
  if (outer !== undefined) return outer[1];
  const match = /^h\.(\d+)\.(.+)$/.exec(name);
  const inBlock = blockTensors.find((candidate) => candidate.hf === match?.[2]);
  if (match == null || inBlock === undefined || !('book' in inBlock) || 'transposed' in inBlock)
    return undefined;
  return `trf_blocks.${match[1]}.${inBlock.book}`;
}

/**
 * One tensor of a Hugging Face file under the book's names: c_attn becomes the three projections, a
 * Conv1D weight is transposed, anything else is renamed. Loading streams a file through this one tensor
 * at a time.
 */
export function hfTensorToBook(name: string, tensor: HostTensor, config: GPTConfig): HostState {
  const outer = [...headTensors, ...tailTensors].find(([hf]) => hf === name);
  if (outer !== undefined) return new Map([[outer[1], tensor]]);
  const match = /^h\.(\d+)\.(.+)$/.exec(name);
  const inBlock = blockTensors.find((candidate) => candidate.hf === match?.[2]);
  if (match == null || inBlock === undefined)
    throw new Error(`internal: ${name} was validated but is unknown`);
  const b = `trf_blocks.${match[1]}`;
  if ('book' in inBlock) {
    return new Map([[`${b}.${inBlock.book}`, 'transposed' in inBlock ? transpose2d(tensor) : tensor]]);
  }
  const parts = splitLastAxis(tensor, 3);
  const out: HostState = new Map();
  if (inBlock.qkv === 'bias' && !config.qkvBias) return out;
  projections.forEach((p, j) => {
    out.set(`${b}.att.${p}.${inBlock.qkv}`, inBlock.qkv === 'weight' ? transpose2d(parts[j]!) : parts[j]!);
  });
  return out;
}
