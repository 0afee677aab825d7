/**
 * Interop the other way round: checkpoints saved by scratchgpt load in the PyTorch reference
 * (tools/reference/check_checkpoint.py) and give the logits scratchgpt computed. Needs Debian's
 * python3-torch, so it runs where PyTorch is installed and is skipped (with the reason) elsewhere.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { initBackend, parseSafetensors, serializeSafetensors, tf } from '@scratchgpt/tensor';
import { describe, expect, it } from 'vitest';
import { loadModel } from './checkpoint/load.js';
import { saveCheckpoint } from './node.js';

const python = '/usr/bin/python3';
const checker = fileURLToPath(new URL('../../../tools/reference/check_checkpoint.py', import.meta.url));
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const checkerTests = fileURLToPath(
  new URL('../../../tools/reference/test_check_checkpoint.py', import.meta.url),
);

// CI installs python3-torch and sets SCRATCHGPT_REQUIRE_PYTORCH=1: there, a missing PyTorch is a failure.
describe.runIf(!hasTorch && process.env.SCRATCHGPT_REQUIRE_PYTORCH === '1')('PyTorch interop', () => {
  it('needs PyTorch, because SCRATCHGPT_REQUIRE_PYTORCH=1', () => {
    throw new Error(`SCRATCHGPT_REQUIRE_PYTORCH=1 but ${python} cannot import torch: install python3-torch`);
  });
});

describe.skipIf(!hasTorch)(
  'checkpoints saved by scratchgpt, loaded by PyTorch (skipped without python3-torch)',
  () => {
    it("the reference's checker loads every fixture layout and dtype, and refuses broken checkpoints", async () => {
      // About 40 s of CPU: a PyTorch process per checkpoint it assembles.
      const { stdout } = await promisify(execFile)(python, [checkerTests], { encoding: 'utf8' });
      expect(stdout.trimEnd().split('\n').at(-1)).toBe('0 failure(s)');
    }, 600_000);

    it.each([
      ['tiny-qkvbias-untied', 'hf'],
      ['tiny-noqkvbias-tied', 'hf'],
      ['tiny-qkvbias-untied', 'book'],
      ['tiny-noqkvbias-tied', 'book'],
    ] as const)('%s saved in the %s layout gives the same logits in PyTorch', async (name, layout) => {
      await initBackend({ prefer: 'cpu' });
      const fixture = (file: string) => readFile(new URL(`../fixtures/${name}/${file}`, import.meta.url));
      const { model } = loadModel(
        JSON.parse((await fixture('config.hf.json')).toString()),
        new Uint8Array(await fixture('hf.safetensors')),
      );
      // Move every weight so the checkpoint is scratchgpt's own, not the fixture read back.
      const state = await model.hostStateDict();
      for (const { data } of state.values()) {
        for (let i = 0; i < data.length; i++) data[i] = data[i]! * 0.9 + 0.01 * Math.sin(i);
      }
      model.loadStateDict(state);
      const inputIds = parseSafetensors(new Uint8Array(await fixture('io.safetensors'))).tensors.get(
        'input_ids',
      )!;
      const logits = (await model
        .eval()
        .forward(tf.tensor(inputIds.data, inputIds.shape, 'int32'))
        .data()) as Float32Array;

      const directory = await mkdtemp(join(tmpdir(), `scratchgpt-interop-${layout}-`));
      await saveCheckpoint(model, directory, { layout });
      await writeFile(
        join(directory, 'expected.safetensors'),
        serializeSafetensors({
          input_ids: { shape: inputIds.shape, data: inputIds.data as Int32Array },
          logits: { shape: [...inputIds.shape, model.config.vocabSize], data: logits },
        }),
      );
      const output = execFileSync(python, [checker, directory], { encoding: 'utf8' });
      expect(output).toMatch(new RegExp(`"layout": "${layout}"`));
      expect(output).toMatch(/logits \[2, 16, 320\]: max abs diff \S+ \(ok, tolerance 0\.0001\)/);
      model.dispose();
    });
  },
);
