/**
 * A Hugging Face checkpoint of an open family (config.json + model.safetensors, or a sharded set under
 * model.safetensors.index.json) into a model; a checkpoint in the book's layout (book-layout.ts) is
 * read as the Hugging Face checkpoint it maps to. Every byte read is bounded and checked: the family from
 * config.json, the model's size against the backend before any weight is read, shard names, dtypes,
 * finiteness, and every expected weight with its shape.
 */
import { checkWeights, parseSafetensors, type SafetensorsTensor, StateDictError } from '@scratchgpt/tensor';
import { countDecoderParameters } from '../blocks/counts.js';
import type { DecoderConfig } from '../blocks/decoder-config.js';
import { assertWeightsFit, type DecoderModel } from '../blocks/decoder-model.js';
import { bookFamilyOf, fromBookLayout, huggingFaceConfigOfBook } from './book-layout.js';
import { familyOf } from './families.js';
import type { CheckpointReader } from './reader.js';
import { INDEX_FILE, parseShardIndex } from './shard-index.js';

export const CONFIG_FILE = 'config.json';
export const SINGLE_WEIGHTS_FILE = 'model.safetensors';

/** A config.json or index.json is kilobytes; a larger one is not what it claims to be. */
const MAX_JSON_BYTES = 16 * 2 ** 20;
/** Room for a safetensors header beside the weights (the format's own ceiling). */
const MAX_HEADER_BYTES = 100_000_000;

export interface OpenModelCheckpoint {
  model: DecoderModel;
  /** The config.json as read, for generation settings a caller may want. */
  configJson: unknown;
}

export async function loadOpenModelCheckpoint(files: CheckpointReader): Promise<OpenModelCheckpoint> {
  const stored = await readJson(files, CONFIG_FILE);
  const bookLayout = bookFamilyOf(stored) !== undefined;
  // A book-layout head is tied only if it equals the embedding, which the weights tell; until they are
  // read, the model is sized as untied, the larger of the two.
  let configJson = bookLayout ? huggingFaceConfigOfBook(stored, false) : stored;
  // Refused here, before gigabytes of shards are read into memory the model could never use.
  const decoder = assertOpenModelFits(configJson);
  let tensors = await readWeights(files, maxWeightBytes(decoder));
  if (bookLayout) {
    ({ config: configJson, tensors } = fromBookLayout(stored, tensors));
  }
  const source = (await files.has(INDEX_FILE)) ? INDEX_FILE : SINGLE_WEIGHTS_FILE;
  return { model: openModelFromWeights(configJson, tensors, source), configJson };
}

/**
 * The model config.json describes, with `tensors` (every weight under its Hugging Face name, read and
 * checked) loaded into it; `source` names the weights in errors. A tied model ignores `lm_head.weight`.
 */
export function openModelFromWeights(
  configJson: unknown,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  source: string = SINGLE_WEIGHTS_FILE,
): DecoderModel {
  const decoder = assertOpenModelFits(configJson);
  const model = familyOf(configJson, CONFIG_FILE).build(configJson);
  try {
    model.loadStateDict(
      new Map(
        [...tensors]
          .filter(([name]) => !(decoder.tieEmbeddings && name === 'lm_head.weight'))
          .map(([name, tensor]) => [name, { shape: tensor.shape, data: tensor.data as Float32Array }]),
      ),
    );
  } catch (error) {
    model.dispose();
    if (error instanceof StateDictError) {
      throw new RangeError(
        `${source}: ${error.message}; the weights do not match config.json (a ${decoder.family} of ${decoder.layerTypes.length} layers, hidden size ${decoder.embDim})`,
      );
    }
    throw error;
  }
  return model;
}

/**
 * Refuses, from config.json alone, a model whose float32 weights the backend cannot hold (before a
 * download or a read of its weights); returns the decoder config it describes.
 */
export function assertOpenModelFits(configJson: unknown): DecoderConfig {
  const decoder = familyOf(configJson, CONFIG_FILE).decoder(configJson);
  assertWeightsFit(decoder);
  return decoder;
}

/** Every weight of the checkpoint, each shard read once, all as finite float32. */
async function readWeights(
  files: CheckpointReader,
  maxBytes: number,
): Promise<Map<string, SafetensorsTensor>> {
  if (!(await files.has(INDEX_FILE))) {
    if (!(await files.has(SINGLE_WEIGHTS_FILE))) {
      throw new RangeError(
        `The checkpoint has neither ${SINGLE_WEIGHTS_FILE} nor ${INDEX_FILE}: download the model's weights beside its config.json`,
      );
    }
    return readShard(files, SINGLE_WEIGHTS_FILE, maxBytes);
  }
  const index = parseShardIndex(await readJson(files, INDEX_FILE));
  const all = new Map<string, SafetensorsTensor>();
  for (const shard of index.shards) {
    if (!(await files.has(shard))) {
      throw new RangeError(
        `${INDEX_FILE} names the shard ${shard}, which the checkpoint lacks: download it again`,
      );
    }
    for (const [name, tensor] of await readShard(files, shard, maxBytes)) {
      if (index.weightMap.get(name) !== shard) {
        throw new RangeError(
          `${shard} holds ${name}, which ${INDEX_FILE} places ${index.weightMap.has(name) ? `in ${index.weightMap.get(name)}` : 'nowhere'}: the index and its shards do not belong together`,
        );
      }
      all.set(name, tensor);
    }
  }
  const absent = [...index.weightMap.keys()].filter((name) => !all.has(name));
  if (absent.length > 0) {
    throw new RangeError(`${INDEX_FILE} lists ${absent.join(', ')}, which no shard holds`);
  }
  return all;
}

async function readShard(
  files: CheckpointReader,
  name: string,
  maxBytes: number,
): Promise<Map<string, SafetensorsTensor>> {
  const { tensors } = parseSafetensors(await files.read(name, maxBytes), name);
  checkWeights(tensors, name, (message) => new RangeError(message));
  return tensors;
}

/** No file of the checkpoint can hold more than the whole model in float32 (a tied head stored twice). */
function maxWeightBytes(config: DecoderConfig): number {
  return 4 * (countDecoderParameters(config) + config.vocabSize * config.embDim) + MAX_HEADER_BYTES;
}

async function readJson(files: CheckpointReader, name: string): Promise<unknown> {
  if (!(await files.has(name))) throw new RangeError(`The checkpoint has no ${name}`);
  const text = new TextDecoder().decode(await files.read(name, MAX_JSON_BYTES));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RangeError(`${name} is not valid JSON (${(error as Error).message})`);
  }
}
