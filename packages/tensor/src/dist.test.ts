import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

// The published build must work in a plain Node ESM process: tfjs-core's own Node entry registers no
// gradients, so this is the check that the bundled registrations ship.
it('the built package trains an embedding from plain Node ESM', async () => {
  expect(existsSync(`${packageRoot}/dist/index.js`), 'dist/ is missing: run `pnpm build` first').toBe(true);
  const script = `
    import { tf, initBackend } from '@scratchgpt/tensor';
    const choice = await initBackend({ prefer: 'wasm' });
    const table = tf.variable(tf.ones([5, 3]));
    const grad = tf.grad((t) => tf.sum(tf.gather(t, tf.tensor1d([1, 1, 4], 'int32'))))(table);
    console.log(JSON.stringify({ backend: choice.backend, grad: await grad.array(), chained: typeof tf.ones([1]).add }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageRoot,
  });
  expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
    backend: 'wasm',
    grad: [
      [0, 0, 0],
      [2, 2, 2],
      [0, 0, 0],
      [0, 0, 0],
      [1, 1, 1],
    ],
    chained: 'function',
  });
});

// `auto` looks at every backend, Dawn's included, and says what it chose; neither TF.js's advice nor
// Dawn's driver warnings reach the console, unless asked for with `debug`.
it('chooses a backend without console noise, and shows the backends’ own messages with debug', async () => {
  const run = async (debug: boolean) => {
    const script = `
      import { tf, initBackend } from '@scratchgpt/tensor';
      await initBackend({ debug: ${debug} });
      await initBackend({ prefer: 'cpu', debug: ${debug} });
      tf.ones([2]).dataSync();
      console.log('done');
    `;
    return promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: packageRoot });
  };
  const quiet = await run(false);
  expect([quiet.stdout.trim(), quiet.stderr]).toEqual(['done', '']);
  const loud = await run(true);
  expect(loud.stderr).toMatch(/looks like you are running TensorFlow\.js in Node\.js/);
});
