import { describe, expect, it } from 'vitest';
import { initBackend, preferredShardBytes } from '../backend/init-backend.js';
import { heapView, writableHeapView } from '../ops/heap-view.js';
import { tf } from '../tf.js';

describe('on wasm', () => {
  it('a clone shares its source’s memory (TF.js saves tensors for gradients as clones)', async () => {
    await initBackend({ prefer: 'wasm' });
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    y.dispose();
  });

  it('exposes tensor memory without copying, and a variable to update only while nothing shares it', async () => {
    await initBackend({ prefer: 'wasm' });
    const initial = tf.tensor1d([1, 2, 3]);
    const variable = tf.variable(initial);
    // The variable shares its initial value's memory until that is disposed.
    expect(writableHeapView(variable)).toBeUndefined();
    initial.dispose();
    const view = writableHeapView(variable)!;
    expect(Array.from(view)).toEqual([1, 2, 3]);
    view[1] = 20;
    expect(Array.from(await variable.data())).toEqual([1, 20, 3]);
    const snapshot = tf.clone(variable);
    expect(writableHeapView(variable)).toBeUndefined();
    expect(Array.from(heapView(snapshot)!)).toEqual([1, 20, 3]);
    snapshot.dispose();
    expect(writableHeapView(variable)).toBeDefined();
    expect(heapView(tf.tensor1d([1], 'int32'))).toBeUndefined();
  });

  it('prefers 32 MiB pieces for vocabulary-sized parameters', async () => {
    await initBackend({ prefer: 'wasm' });
    expect(preferredShardBytes()).toBe(32 * 2 ** 20);
    await initBackend({ prefer: 'cpu' });
    expect(preferredShardBytes()).toBeNull();
    expect(writableHeapView(tf.variable(tf.zeros([2])))).toBeUndefined();
  });
});
