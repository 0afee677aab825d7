import { Generator, initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { preset } from './config.js';
import { GELU } from './gelu.js';
import { GPTModel } from './gpt-model.js';
import { LayerNorm } from './layer-norm.js';

beforeAll(() => initBackend({ prefer: 'cpu' }));

describe('LayerNorm', () => {
  it('has the book’s parameter names and applies scale and shift per feature', async () => {
    const norm = new LayerNorm(2);
    expect(norm.namedParameters().map(([name]) => name)).toEqual(['scale', 'shift']);
    norm.loadStateDict({ scale: tf.tensor1d([2, 3]), shift: tf.tensor1d([1, -1]) });
    // [0, 2] normalises to [-1, 1] (up to ε).
    const y = await norm.forward(tf.tensor2d([[0, 2]])).data();
    expect(y[0]).toBeCloseTo(-1, 4);
    expect(y[1]).toBeCloseTo(2, 4);
  });
});

describe('GELU', () => {
  it('is the tanh approximation, with no parameters', async () => {
    const gelu = new GELU();
    expect(gelu.namedParameters()).toEqual([]);
    expect((await gelu.forward(tf.tensor1d([1])).data())[0]).toBeCloseTo(0.841192, 5);
  });
});

describe('GPTModel', () => {
  it('maps (batch, tokens) ids to (batch, tokens, vocab) logits with the book’s parameter names', () => {
    const model = new GPTModel(preset('gpt-nano', { vocabSize: 50, contextLength: 8 }), {
      generator: new Generator(0),
    });
    const logits = model.forward(
      tf.tensor2d(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [2, 3],
        'int32',
      ),
    );
    expect(logits.shape).toEqual([2, 3, 50]);
    const names = model.namedParameters().map(([name]) => name);
    expect(names.slice(0, 4)).toEqual([
      'tok_emb.weight',
      'pos_emb.weight',
      'trf_blocks.0.att.W_query.weight',
      'trf_blocks.0.att.W_key.weight',
    ]);
    expect(names).toContain('trf_blocks.2.ff.layers.2.bias');
    expect(names.slice(-3)).toEqual(['final_norm.scale', 'final_norm.shift', 'out_head.weight']);
    model.dispose();
  });

  it('is deterministic in eval mode and stochastic with dropout in train mode', async () => {
    const model = new GPTModel(preset('gpt-nano', { vocabSize: 50, contextLength: 8, dropRate: 0.5 }), {
      generator: new Generator(0),
    });
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    model.eval();
    expect(await model.forward(ids).data()).toEqual(await model.forward(ids).data());
    model.train();
    expect(await model.forward(ids).data()).not.toEqual(await model.forward(ids).data());
    model.dispose();
  });

  it('returns attention weights of every block that are causal and sum to 1', async () => {
    const model = new GPTModel(preset('gpt-nano', { vocabSize: 50, contextLength: 8 }), {
      generator: new Generator(2),
    }).eval();
    const { logits, attention } = model.forwardWithAttention(tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32'));
    expect(logits.shape).toEqual([1, 4, 50]);
    expect(attention.map((a) => a.shape)).toEqual([
      [1, 3, 4, 4],
      [1, 3, 4, 4],
      [1, 3, 4, 4],
    ]);
    const weights = (await attention[1]!.array()) as number[][][][];
    for (const value of weights[0]!.flat(2)) expect(value).toBeGreaterThanOrEqual(0);
    // Head 2 of the first sequence: the first token sees only itself, the second two tokens.
    expect(weights[0]![2]![0]!.slice(1)).toEqual([0, 0, 0]);
    expect(weights[0]![2]![1]!.slice(2)).toEqual([0, 0]);
    const sums = await tf.sum(attention[2]!, -1).data();
    for (const sum of sums) expect(sum).toBeCloseTo(1, 6);
    model.dispose();
  });

  it('refuses inputs longer than the context, and non-integer ids', () => {
    const model = new GPTModel(preset('gpt-nano', { vocabSize: 50, contextLength: 4 }));
    expect(() => model.forward(tf.zeros([1, 5], 'int32'))).toThrow(
      "5 tokens exceed the model's context length 4: crop the input to the last contextLength tokens",
    );
    expect(() => model.forward(tf.zeros([1, 2]))).toThrow('GPTModel expects int32 token ids, got float32');
    model.dispose();
  });

  it('does not leak tensors over forward passes', () => {
    const model = new GPTModel(preset('gpt-nano', { vocabSize: 50, contextLength: 8, tieWeights: true }));
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    tf.dispose(model.forward(ids)); // each attention layer builds its causal mask at first use
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      tf.dispose(model.forward(ids));
      const { logits, attention } = model.forwardWithAttention(ids);
      tf.dispose([logits, ...attention]);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
