/**
 * Reading the PyTorch fixtures under ../../fixtures/<family>-tiny/ (written by
 * tools/reference/fixtures_open_models.py; tools/reference/README.md describes each file).
 */
import { readFileSync } from 'node:fs';
import { parseSafetensors, type SafetensorsTensor, tf } from '@scratchgpt/tensor';
import type { DecoderModel } from '../blocks/decoder-model.js';
import { loadWeights } from '../blocks/weights.js';

export const fixtureFile = (fixture: string, file: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/${fixture}/${file}`, import.meta.url)));

export const fixtureJson = <T>(fixture: string, file: string): T =>
  JSON.parse(new TextDecoder().decode(fixtureFile(fixture, file))) as T;

/** The tensors of one safetensors fixture, by name; a missing name is an error. */
export function fixtureTensors(fixture: string, file: string): (name: string) => SafetensorsTensor {
  const { tensors } = parseSafetensors(fixtureFile(fixture, file), file);
  return (name) => {
    const tensor = tensors.get(name);
    if (tensor == null) throw new Error(`${fixture}/${file} has no tensor '${name}'`);
    return tensor;
  };
}

export const intTensor = (t: SafetensorsTensor): tf.Tensor => tf.tensor(t.data, t.shape, 'int32');

/** A model of the fixture's family built from its config.json, with `file`'s weights loaded. */
export function fixtureModel<C>(
  fixture: string,
  build: (config: C) => DecoderModel,
  file = 'weights.safetensors',
): DecoderModel {
  const model = build(fixtureJson<C>(fixture, 'config.json'));
  loadWeights(model, fixtureFile(fixture, file), file);
  return model;
}
