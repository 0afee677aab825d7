import { copyFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { BackendUnavailableError, initBackend } from './init-backend.js';

// A bundler serves each .wasm file under its own hashed URL: the map form of `wasmPaths` names them.
const binaries = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];
const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

describe('initBackend with a map of wasm files', () => {
  it('names the binaries a map leaves out', async () => {
    const partial = { 'tfjs-backend-wasm.wasm': '/assets/a.wasm' };
    const attempt = initBackend({ prefer: 'wasm', wasmPaths: partial });
    await expect(attempt).rejects.toThrow(BackendUnavailableError);
    await expect(initBackend({ prefer: 'wasm', wasmPaths: partial })).rejects.toThrow(
      /^The wasm backend is not available: There were no entries found for the following binaries: tfjs-backend-wasm-simd\.wasm,tfjs-backend-wasm-threaded-simd\.wasm\./,
    );
  });

  it('loads the binaries from where the map says, under other names', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'scratchgpt-wasm-'));
    const map: Record<string, string> = {};
    for (const name of binaries) {
      const renamed = join(folder, `hashed-${name.replace('tfjs-backend-', '')}`);
      copyFileSync(join(wasmDist, name), renamed);
      map[name] = renamed;
    }
    const choice = await initBackend({ prefer: 'wasm', wasmPaths: map });
    expect(choice.backend).toBe('wasm');
    const product = tf.matMul(tf.ones([8, 4]), tf.ones([4, 2]));
    expect(Array.from(await product.data())).toEqual(new Array(16).fill(4));
  });
});
