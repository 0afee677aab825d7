/**
 * Adapters saved alone: a small safetensors file with every update's A and B by name
 * (`trf_blocks.0.att.W_query.lora.A`) and the settings in its `__metadata__`, to keep next to the base
 * model it was trained on. Loading attaches updates to exactly the layers the file names.
 */
import {
  checkWeights,
  type Linear,
  type Module,
  parseSafetensors,
  type SafetensorsTensor,
  serializeSafetensors,
  type TensorToWrite,
} from '@scratchgpt/tensor';
import { applyLoRA, LORA_CHILD, linearLayers, loraLayers, maxLoRARank } from './apply.js';
import type { LoRALayer, LoRAScaling } from './lora-layer.js';

export const ADAPTER_FORMAT = 'scratchgpt-lora';
/** The adapter file's name beside its base checkpoint (`config.json` + `model.safetensors`). */
export const ADAPTER_FILE = 'adapter.safetensors';

export interface LoRASettings {
  rank: number;
  alpha: number;
  scaling: LoRAScaling;
}

export class AdapterError extends Error {
  override name = 'AdapterError';
}

/** The settings the model's updates share (an error where there are none, or they differ). */
export function loraSettingsOf(model: Module): LoRASettings {
  const layers = [...loraLayers(model).values()];
  const first = layers[0];
  if (first == null) throw new AdapterError('The model carries no LoRA updates');
  const settings = { rank: first.rank, alpha: first.alpha, scaling: first.scaling };
  if (
    layers.some(
      (layer) => layer.rank !== first.rank || layer.alpha !== first.alpha || layer.scaling !== first.scaling,
    )
  ) {
    throw new AdapterError(
      'The LoRA updates of this model differ in rank, alpha or scaling: save them one setting at a time',
    );
  }
  return settings;
}

/** The model's LoRA updates as safetensors bytes (weights read back asynchronously, as WebGPU needs). */
export async function serializeAdapters(model: Module): Promise<Uint8Array> {
  const settings = loraSettingsOf(model);
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, layer] of loraLayers(model)) {
    for (const [part, variable] of [
      ['A', layer.A],
      ['B', layer.B],
    ] as const) {
      tensors.set(`${name}.${LORA_CHILD}.${part}`, {
        shape: variable.shape,
        data: (await variable.data()) as Float32Array,
      });
    }
  }
  return serializeSafetensors(tensors, {
    format: ADAPTER_FORMAT,
    rank: String(settings.rank),
    alpha: String(settings.alpha),
    scaling: settings.scaling,
  });
}

/**
 * Reads an adapter file and attaches its updates to `model` (freezing the rest, as `applyLoRA` does).
 * Every layer it names must be a `Linear` of the model with the shapes the file holds.
 */
export function loadAdapters(
  model: Module,
  bytes: Uint8Array,
  source: string = ADAPTER_FILE,
): Map<string, LoRALayer> {
  const file = parseSafetensors(bytes, source);
  const settings = readSettings(file.metadata, source);
  checkWeights(file.tensors, source, (message) => new AdapterError(message));
  const updates = updatesByLayer(file.tensors, linearLayers(model), settings.rank, source);
  const limit = maxLoRARank(model, (name) => updates.has(name));
  if (settings.rank > limit) {
    throw new AdapterError(
      `${source}: rank ${settings.rank} is above what this model takes (at most ${limit})`,
    );
  }
  const layers = applyLoRA(model, { ...settings, include: (name) => updates.has(name) });
  for (const [name, layer] of layers) {
    const { A, B } = updates.get(name) as Update;
    layer.loadStateDict(
      new Map([
        ['A', { shape: A.shape, data: A.data as Float32Array }],
        ['B', { shape: B.shape, data: B.data as Float32Array }],
      ]),
    );
  }
  return layers;
}

type Update = { A: SafetensorsTensor; B: SafetensorsTensor };

/**
 * The file's A and B by layer, each checked against its layer and the rank the metadata states,
 * before anything is allocated: the metadata alone must not decide how much memory a load takes.
 */
function updatesByLayer(
  tensors: Map<string, SafetensorsTensor>,
  linears: Map<string, Linear>,
  rank: number,
  source: string,
): Map<string, Update> {
  const suffix = new RegExp(`^(.+)\\.${LORA_CHILD}\\.(A|B)$`);
  const updates = new Map<string, Update>();
  for (const key of tensors.keys()) {
    const match = suffix.exec(key);
    if (match == null)
      throw new AdapterError(`${source} has tensor '${key}', which is not a LoRA update's A or B`);
    const name = match[1] as string;
    const layer = linears.get(name);
    if (layer == null)
      throw new AdapterError(
        `${source} has an update for '${name}', which is not a Linear layer of this model`,
      );
    const A = tensors.get(`${name}.${LORA_CHILD}.A`);
    const B = tensors.get(`${name}.${LORA_CHILD}.B`);
    if (A == null || B == null)
      throw new AdapterError(`${source} is missing '${name}.${LORA_CHILD}.${A == null ? 'A' : 'B'}'`);
    const where = { source, rank };
    expectShape(A, [layer.inFeatures, rank], `${name}.${LORA_CHILD}.A`, where);
    expectShape(B, [rank, layer.outFeatures], `${name}.${LORA_CHILD}.B`, where);
    updates.set(name, { A, B });
  }
  if (updates.size === 0) throw new AdapterError(`${source} holds no LoRA updates`);
  return updates;
}

function expectShape(
  tensor: SafetensorsTensor,
  expected: number[],
  key: string,
  where: { source: string; rank: number },
): void {
  if (tensor.shape.length === 2 && tensor.shape.every((size, i) => size === expected[i])) return;
  throw new AdapterError(
    `${where.source}: Tensor '${key}' has shape [${tensor.shape.join(', ')}] but the model expects [${expected.join(', ')}] (rank ${where.rank} in the file's metadata)`,
  );
}

function readSettings(metadata: Record<string, string>, source: string): LoRASettings {
  if (metadata.format !== ADAPTER_FORMAT) {
    throw new AdapterError(
      `${source} is not a LoRA adapter file: its __metadata__ format is ${JSON.stringify(metadata.format)}, expected "${ADAPTER_FORMAT}"`,
    );
  }
  const rank = Number(metadata.rank);
  const alpha = Number(metadata.alpha);
  const scaling = metadata.scaling;
  if (!Number.isInteger(rank) || rank < 1)
    throw new AdapterError(`${source}: rank ${JSON.stringify(metadata.rank)} is not an integer ≥ 1`);
  if (!(Number.isFinite(alpha) && alpha > 0))
    throw new AdapterError(`${source}: alpha ${JSON.stringify(metadata.alpha)} is not a number > 0`);
  if (scaling !== 'rank' && scaling !== 'alpha')
    throw new AdapterError(`${source}: scaling ${JSON.stringify(scaling)} is neither "rank" nor "alpha"`);
  return { rank, alpha, scaling };
}
