import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend.js';
import { Generator, getDefaultGenerator } from '../random.js';
import { tf } from '../tf.js';
import { buildInPrecision, buildPrecision } from './build-precision.js';
import { Dropout, dropoutGenerator, setDropoutGenerator } from './dropout.js';
import { Linear } from './linear.js';
import { Module, StateDictError } from './module.js';
import { ModuleList } from './module-list.js';

class TwoLayer extends Module {
  readonly first: Linear;
  readonly drop: Dropout;
  readonly second: Linear;
  constructor(generator: Generator) {
    super();
    this.first = this.registerModule('first', new Linear(4, 8, { generator }));
    this.drop = this.registerModule('drop', new Dropout(0.5, { generator }));
    this.second = this.registerModule('second', new Linear(8, 3, { bias: false, generator }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.second.forward(this.drop.forward(this.first.forward(x)));
  }
}

beforeAll(() => initBackend({ prefer: 'cpu' }));

/** Adds a learned offset per output: the smallest adapter. */
class Shift extends Module {
  readonly offset: tf.Variable;
  enabled = true;
  constructor(outFeatures: number) {
    super();
    this.offset = this.registerParameter(
      'offset',
      tf.tensor1d(Array.from({ length: outFeatures }, (_, i) => i + 1)),
    );
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(tf.zeros([x.shape[0] as number, this.offset.size]), this.offset));
  }
}

describe('Module', () => {
  it('names parameters depth first in registration order, PyTorch style', () => {
    const model = new TwoLayer(new Generator(0));
    expect(model.namedParameters().map(([name, p]) => [name, p.shape])).toEqual([
      ['first.weight', [8, 4]],
      ['first.bias', [8]],
      ['second.weight', [3, 8]],
    ]);
    expect(model.numParameters()).toBe(8 * 4 + 8 + 3 * 8);
    model.dispose();
  });

  it('freezes and unfreezes every parameter below a module', () => {
    const model = new TwoLayer(new Generator(1));
    model.first.setTrainable(false);
    const trainable = () => model.namedParameters().map(([name, variable]) => [name, variable.trainable]);
    expect(trainable()).toEqual([
      ['first.weight', false],
      ['first.bias', false],
      ['second.weight', true],
    ]);
    expect(model.numParameters({ trainable: true })).toBe(24);
    expect(model.numParameters()).toBe(4 * 8 + 8 + 24);
    model.setTrainable(true);
    expect(trainable().every(([, flag]) => flag)).toBe(true);
    model.dispose();
  });

  it('switches every submodule between train and eval', () => {
    const model = new TwoLayer(new Generator(0));
    expect(model.drop.training).toBe(true);
    model.eval();
    expect(model.drop.training).toBe(false);
    expect(model.first.training).toBe(false);
    model.train();
    expect(model.drop.training).toBe(true);
    model.dispose();
  });

  it('round-trips a state dict into a differently initialised model', async () => {
    const a = new TwoLayer(new Generator(1)).eval();
    const b = new TwoLayer(new Generator(2)).eval();
    const x = tf.tensor2d([[1, -2, 3, 0.5]]);
    expect(await b.forward(x).data()).not.toEqual(await a.forward(x).data());
    const state = a.stateDict();
    b.loadStateDict(state);
    tf.dispose([...state.values()]);
    expect(await b.forward(x).data()).toEqual(await a.forward(x).data());
    a.dispose();
    b.dispose();
  });

  it('hands out state dict tensors the caller owns, without leaking', () => {
    const model = new TwoLayer(new Generator(3));
    const before = tf.memory().numTensors;
    const state = model.stateDict();
    tf.dispose([...state.values()]);
    expect(tf.memory().numTensors).toBe(before);
    expect(model.first.weight.isDisposed).toBe(false);
    model.dispose();
  });

  it('names the tensor and both shapes when a state dict does not fit', () => {
    const model = new TwoLayer(new Generator(4));
    const state = model.stateDict();
    state.set('first.weight', tf.zeros([4, 8]));
    expect(() => model.loadStateDict(state)).toThrow(
      new StateDictError("Tensor 'first.weight' has shape [4, 8] but the model expects [8, 4]"),
    );
    state.delete('first.weight');
    expect(() => model.loadStateDict(state)).toThrow(/Missing tensor 'first.weight'/);
    state.set('first.weight', tf.zeros([8, 4]));
    state.set('extra.bias', tf.zeros([2]));
    expect(() => model.loadStateDict(state)).toThrow(/Unexpected tensor\(s\) in state dict: extra.bias/);
    expect(() => model.loadStateDict(state, { strict: false })).not.toThrow();
    model.dispose();
  });
});

describe('Linear', () => {
  it('computes x Wᵀ + b with W stored [out, in]', async () => {
    const linear = new Linear(3, 2);
    linear.loadStateDict({
      weight: tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      bias: tf.tensor1d([0.5, -1]),
    });
    const y = linear.forward(tf.tensor3d([[[1, 0, -1]], [[2, 1, 0]]]));
    expect(y.shape).toEqual([2, 1, 2]);
    expect(Array.from(await y.data())).toEqual([1 - 3 + 0.5, 4 - 6 - 1, 2 + 2 + 0.5, 8 + 5 - 1]);
    linear.dispose();
  });

  it('initialises like nn.Linear: uniform within ±1/√in', async () => {
    const linear = new Linear(64, 256, { generator: new Generator(0) });
    const weights = (await linear.weight.data()) as Float32Array;
    const bound = 1 / 8;
    expect(Math.max(...weights)).toBeLessThanOrEqual(bound);
    expect(Math.min(...weights)).toBeGreaterThanOrEqual(-bound);
    // A uniform on ±b has standard deviation b/√3: 0.0722 here.
    const std = Math.sqrt(weights.reduce((a, w) => a + w * w, 0) / weights.length);
    expect(std).toBeCloseTo(bound / Math.sqrt(3), 2);
    linear.dispose();
  });

  it('adds an attached adapter to its output unless disabled, trains and names its parameters, and detaches it', async () => {
    const layer = new Linear(3, 2, { generator: new Generator(4) });
    const x = tf.tensor3d([[[1, -2, 0.5]], [[0, 1, 2]]]); // (2, 1, 3)
    const plain = await layer.forward(x).data();
    const adapter = new Shift(2);
    layer.attachAdapter('shift', adapter);
    expect(layer.adapter).toBe(adapter);
    expect(layer.namedParameters().map(([name]) => name)).toEqual(['weight', 'bias', 'shift.offset']);
    const shifted = await layer.forward(x).data();
    expect([...shifted]).toEqual([...plain].map((value, i) => Math.fround(value + (i % 2 === 0 ? 1 : 2))));
    const { grads } = tf.variableGrads(() => tf.sum(layer.forward(x)));
    expect(await grads[adapter.offset.name]!.data()).toEqual(new Float32Array([2, 2]));
    adapter.enabled = false;
    expect(await layer.forward(x).data()).toEqual(plain);
    adapter.enabled = true;
    expect(await layer.forward(x).data()).toEqual(shifted);
    expect(() => layer.attachAdapter('again', new Shift(2))).toThrow(/already has the adapter 'shift'/);
    expect(layer.detachAdapter()).toBe(adapter);
    expect(layer.namedParameters().map(([name]) => name)).toEqual(['weight', 'bias']);
    expect(await layer.forward(x).data()).toEqual(plain);
    tf.dispose([x, ...Object.values(grads)]);
    adapter.dispose();
    layer.dispose();
  });

  it('rejects invalid sizes', () => {
    expect(() => new Linear(0, 3)).toThrow(/positive integer/);
  });
});

describe('Dropout', () => {
  it('is the identity in eval mode', () => {
    const dropout = new Dropout(0.5).eval();
    const x = tf.ones([10]);
    expect(dropout.forward(x)).toBe(x);
  });

  it('zeroes about p of the elements and scales the rest by 1/(1-p)', async () => {
    const dropout = new Dropout(0.25, { generator: new Generator(0) });
    const values = await dropout.forward(tf.ones([100_000])).data();
    const kept = values.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    expect(kept.length / values.length).toBeCloseTo(0.75, 2);
  });

  it('repeats its mask for the same seed', async () => {
    const a = await new Dropout(0.5, { generator: new Generator(11) }).forward(tf.ones([64])).data();
    const b = await new Dropout(0.5, { generator: new Generator(11) }).forward(tf.ones([64])).data();
    expect(a).toEqual(b);
  });

  it('passes gradients only through kept elements', async () => {
    const dropout = new Dropout(0.5, { generator: new Generator(2) });
    const x = tf.ones([32]);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(dropout.forward(input)))(x);
    const values = await grad.data();
    expect(new Set(values)).toEqual(new Set([0, 2]));
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() => new Dropout(1.5)).toThrow(/\[0, 1\]/);
  });

  it("names the one generator a module's dropout layers share, and replaces it", () => {
    const generator = new Generator(3);
    const model = new TwoLayer(generator);
    expect(dropoutGenerator(model)).toBe(generator);
    setDropoutGenerator(model, undefined);
    expect(dropoutGenerator(model)).toBe(getDefaultGenerator());
    const other = new Generator(4);
    setDropoutGenerator(model, other);
    expect(model.drop.generator).toBe(other);
    expect(dropoutGenerator(new Linear(2, 2))).toBe(getDefaultGenerator());
  });

  it('refuses to name one generator when the layers draw from several', () => {
    const model = new ModuleList([new Dropout(0.1, { generator: new Generator(1) }), new Dropout(0.1)]);
    expect(() => dropoutGenerator(model)).toThrow(
      'The dropout layers of this model draw from 2 different generators; give them one (setDropoutGenerator)',
    );
  });
});

describe('ModuleList', () => {
  it('registers its items as 0, 1, … in order', () => {
    const list = new ModuleList([new Linear(2, 3), new Dropout(0.1), new Linear(3, 1, { bias: false })]);
    expect(list.length).toBe(3);
    expect(list.at(2)).toBeInstanceOf(Linear);
    expect(() => list.at(3)).toThrow(/index 3 is out of range \(length 3\)/);
    expect(list.namedParameters().map(([name]) => name)).toEqual(['0.weight', '0.bias', '2.weight']);
    expect([...list].length).toBe(3);
    list.dispose();
  });
});

describe('host state', () => {
  it('reads every parameter back to the host and loads host tensors', async () => {
    const a = new TwoLayer(new Generator(8));
    const b = new TwoLayer(new Generator(9));
    const host = await a.hostStateDict();
    expect([...host.keys()]).toEqual(['first.weight', 'first.bias', 'second.weight']);
    expect(host.get('first.bias')).toEqual({ shape: [8], data: await a.first.bias!.data() });
    b.loadStateDict(host);
    expect(await b.first.weight.data()).toEqual(await a.first.weight.data());
    expect(() =>
      b.loadStateDict({
        ...Object.fromEntries(host),
        'second.weight': { shape: [8, 3], data: new Float32Array(24) },
      }),
    ).toThrow("Tensor 'second.weight' has shape [8, 3] but the model expects [3, 8]");
    a.dispose();
    b.dispose();
  });
});

describe('building in 16 bits', () => {
  it('a Linear built in bf16 holds what one built in f32 and then stored holds, and trains only its bias', async () => {
    const stored = new Linear(7, 5, { generator: new Generator(2) });
    await stored.storeWeight('bf16');
    const built = new Linear(7, 5, { generator: new Generator(2), weightPrecision: 'bf16' });
    expect(built.weightPrecision).toBe('bf16');
    expect(built.parameters().map((p) => p.shape)).toEqual([[5]]);
    expect([...(await built.halfWeight!.words.data())]).toEqual([...(await stored.halfWeight!.words.data())]);
    expect([...(await built.bias!.data())]).toEqual([...(await stored.bias!.data())]);
    built.dispose();
    stored.dispose();
  });

  it('buildInPrecision sets the default for what it builds alone, even when building throws', () => {
    const inside = buildInPrecision('f16', () => new Linear(2, 2));
    const outside = new Linear(2, 2);
    expect([inside.weightPrecision, outside.weightPrecision]).toEqual(['f16', 'f32']);
    expect(() =>
      buildInPrecision('bf16', () => {
        throw new Error('no model');
      }),
    ).toThrow('no model');
    expect(buildPrecision()).toBe('f32');
    // An explicit precision wins over the build's.
    expect(buildInPrecision('bf16', () => new Linear(2, 2, { weightPrecision: 'f32' })).weightPrecision).toBe(
      'f32',
    );
    inside.dispose();
  });
});
