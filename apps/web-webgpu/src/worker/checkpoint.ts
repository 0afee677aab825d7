/** Checkpoint files in and out of the worker: config.json text and model.safetensors bytes. */
import { type GPTModel, type LoadedModel, loadModel, serializeCheckpoint } from '@scratchgpt/gpt-model';
import type { FromWorker, Layout } from '../protocol.js';

export async function saveModel(
  model: GPTModel,
  layout: Layout,
): Promise<FromWorker & { type: 'checkpoint' }> {
  const checkpoint = await serializeCheckpoint(model, { layout });
  const { weights } = checkpoint;
  // Hand over the bytes without a copy when they fill their buffer.
  const buffer =
    weights.byteOffset === 0 && weights.byteLength === weights.buffer.byteLength
      ? (weights.buffer as ArrayBuffer)
      : (weights.slice().buffer as ArrayBuffer);
  return {
    type: 'checkpoint',
    config: `${JSON.stringify(checkpoint.config, null, 2)}\n`,
    weights: buffer,
    layout: checkpoint.layout,
  };
}

export function openModel(request: {
  config: string;
  configName: string;
  weights: ArrayBuffer;
  weightsName: string;
}): LoadedModel {
  let configJson: unknown;
  try {
    configJson = JSON.parse(request.config);
  } catch (error) {
    throw new Error(`${request.configName} is not valid JSON (${(error as Error).message})`);
  }
  return loadModel(configJson, new Uint8Array(request.weights), {
    configSource: request.configName,
    weightsSource: request.weightsName,
  });
}
