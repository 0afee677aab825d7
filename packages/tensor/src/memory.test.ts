import { describe, expect, it } from 'vitest';
import { initBackend } from './backend/init-backend.js';
import { Linear } from './nn/linear.js';
import { Module } from './nn/module.js';
import { Generator, randNormal } from './random.js';
import { findTestBackends } from './testing.js';
import { tf } from './tf.js';

/** Embedding → Linear → logits: the shape of a GPT training step, small. */
class TinyLanguageModel extends Module {
  readonly embedding: tf.Variable;
  readonly head: Linear;
  constructor(vocab: number, dim: number, generator: Generator) {
    super();
    this.embedding = this.registerParameter('embedding', randNormal([vocab, dim], 0, 1, generator));
    this.head = this.registerModule('head', new Linear(dim, vocab, { generator }));
  }
  forward(ids: tf.Tensor): tf.Tensor {
    return this.head.forward(tf.tanh(tf.gather(this.embedding, ids)));
  }
}

const backends = await findTestBackends();

describe.each(backends)('a 50-step training loop on $backend', ({ backend, available }) => {
  it.skipIf(!available)('keeps the tensor count constant and the loss falling', async () => {
    await initBackend({ prefer: backend });
    const generator = new Generator(0);
    const model = new TinyLanguageModel(64, 32, generator);
    const ids = tf.tensor1d(
      Array.from({ length: 48 }, () => generator.randint(0, 64)),
      'int32',
    );
    const targets = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 48 }, (_, i) => (i * 7) % 64),
        'int32',
      ),
      64,
    );
    const step = (): tf.Scalar =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() =>
          tf.losses.softmaxCrossEntropy(targets, model.forward(ids)),
        );
        for (const [name, parameter] of model.namedParameters()) {
          const grad = grads[parameter.name];
          if (grad == null) throw new Error(`no gradient for ${name}`);
          parameter.assign(tf.sub(parameter, tf.mul(grad, 0.5)));
        }
        return value;
      });

    const counts: number[] = [];
    const losses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const loss = step();
      losses.push((await loss.data())[0] as number);
      loss.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts)).toEqual(new Set([counts[0]]));
    expect(losses[49]).toBeLessThan((losses[0] as number) * 0.5);
    model.dispose();
    tf.dispose([ids, targets]);
  });
});
