/**
 * Checkpoint files in and out of the worker: config.json's text and model.safetensors, written as bytes
 * and read by range from the File picked.
 */
import {
  type GPTModel,
  type LoadedModel,
  loadModel,
  loadModelFromRanges,
  serializeCheckpoint,
} from '@scratchgpt/gpt-model';
import { blobAsRanges, openSafetensorsRanges, type StoragePrecision } from '@scratchgpt/tensor';
import type { Layout, MessageOf } from '../protocol.js';

export async function saveModel(model: GPTModel, layout: Layout): Promise<MessageOf<'checkpoint'>> {
  const checkpoint = await serializeCheckpoint(model, { layout });
  return {
    type: 'checkpoint',
    config: `${JSON.stringify(checkpoint.config, null, 2)}\n`,
    weights: ownBuffer(checkpoint.weights),
    layout: checkpoint.layout,
  };
}

/** The bytes in a buffer of their own, to hand over without a copy when they fill theirs already. */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}

/** A checkpoint picked from disk: config.json's text, and the weights read from their File by range. */
export async function openModel(request: {
  config: string;
  configName: string;
  weights: Blob;
  weightsName: string;
}): Promise<LoadedModel> {
  let configJson: unknown;
  try {
    configJson = JSON.parse(request.config);
  } catch (error) {
    throw new Error(`${request.configName} is not valid JSON (${(error as Error).message})`);
  }
  return loadModelFromRanges(
    configJson,
    await openSafetensorsRanges(blobAsRanges(request.weights), request.weightsName),
    { configSource: request.configName, weightsSource: request.weightsName },
  );
}

/**
 * A separate model with the same weights: what a run leaves as it was (a classifier's base, DPO's
 * reference); with `weightPrecision`, its Linear weights and tables stored so as they load.
 */
export async function copyOfModel(
  model: GPTModel,
  weightPrecision: StoragePrecision = 'f32',
): Promise<GPTModel> {
  const files = await serializeCheckpoint(model);
  return loadModel(files.config, files.weights, { weightPrecision }).model;
}
