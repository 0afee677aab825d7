/**
 * For the CLI's and the page's tests: a Hub on loopback holding `gpt2` (the GPT-2-format model the PyTorch reference
 * made, packages/hub/fixtures/tiny-gpt2) and `gpt2-xl` (GPT-2 XL's config.json; its weights are never
 * meant to be fetched), with PyTorch's greedy continuation of the fixture's prompt.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeHub, startFakeHub } from '@scratchgpt/hub/testing';
import { parseSafetensors } from '@scratchgpt/tensor';

export const tinyGpt2Dir = fileURLToPath(
  new URL('../../../packages/hub/fixtures/tiny-gpt2/', import.meta.url),
);

const fixture = (name: string) => new Uint8Array(readFileSync(join(tinyGpt2Dir, name)));
const io = parseSafetensors(fixture('io.safetensors')).tensors;

/** "Every effort moves you" in GPT-2's BPE. */
export const promptIds = [...io.get('prompt_ids')!.data];
/** PyTorch's greedy continuation: the new tokens only. */
export const greedyIds = [...io.get('greedy_ids')!.data].slice(promptIds.length);

const gpt2XlConfig = {
  model_type: 'gpt2',
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 1600,
  n_head: 25,
  n_layer: 48,
};

export function startTinyGpt2Hub(): Promise<FakeHub> {
  const weights = fixture('model.safetensors');
  return startFakeHub({
    repos: {
      'openai-community/gpt2': {
        files: { 'config.json': fixture('config.json'), 'model.safetensors': weights },
      },
      'openai-community/gpt2-xl': {
        files: {
          'config.json': new TextEncoder().encode(JSON.stringify(gpt2XlConfig)),
          'model.safetensors': weights,
        },
      },
    },
  });
}
