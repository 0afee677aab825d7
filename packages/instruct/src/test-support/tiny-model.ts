/** A GPT small enough to generate in a test, on GPT-2's vocabulary so it reads real prompts. */
import { GPTModel } from '@scratchgpt/gpt-model';
import { initBackend, manualSeed } from '@scratchgpt/tensor';

export async function tinyModel(seed: number, contextLength: number): Promise<GPTModel> {
  await initBackend({ prefer: 'wasm' });
  manualSeed(seed);
  return new GPTModel({
    vocabSize: 50257,
    contextLength,
    embDim: 8,
    nHeads: 2,
    nLayers: 1,
    dropRate: 0,
    qkvBias: false,
  });
}
