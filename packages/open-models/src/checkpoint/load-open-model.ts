/**
 * A Hugging Face checkpoint of an open family (config.json + model.safetensors, or a sharded set under
 * model.safetensors.index.json) into a model; a checkpoint in the book's layout (book-layout.ts) is
 * read as the Hugging Face checkpoint it maps to. Every byte read is bounded and checked: the family from
 * config.json, the model's size against the backend before any weight is read, shard names, dtypes,
 * finiteness, and every expected weight with its shape.
 */
import { loadInPieces } from '@scratchgpt/embeddings';
import {
  buildInPrecision,
  checkWeightDtype,
  checkWeights,
  NoInitGenerator,
  openSafetensorsRanges,
  parseSafetensors,
  readsInPieces,
  type SafetensorsRanges,
  type SafetensorsTensor,
  StateDictError,
  type StoragePrecision,
} from '@scratchgpt/tensor';
import { countDecoderParameters } from '../blocks/counts.js';
import type { DecoderConfig } from '../blocks/decoder-config.js';
import { assertWeightsFit, type DecoderModel } from '../blocks/decoder-model.js';
import { bookFamilyOf, fromBookLayout, huggingFaceConfigOfBook } from './book-layout.js';
import { familyOf } from './families.js';
import type { CheckpointReader } from './reader.js';
import { INDEX_FILE, parseShardIndex, type ShardIndex } from './shard-index.js';

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
  /** model.safetensors' `__metadata__` (empty for a sharded checkpoint). */
  metadata: Record<string, string>;
}

export interface LoadOpenModelOptions {
  /**
   * Stores the Linear weights and the tables in this precision as they load (default f32): the model
   * is built in it (`buildInPrecision`), so it never exists whole in float32, and each weight is
   * rounded on its way in (a bf16 checkpoint loads into bf16 exactly). The memory check counts it.
   */
  weightPrecision?: StoragePrecision;
}

export async function loadOpenModelCheckpoint(
  files: CheckpointReader,
  options: LoadOpenModelOptions = {},
): Promise<OpenModelCheckpoint> {
  const precision = options.weightPrecision ?? 'f32';
  const stored = await readJson(files, CONFIG_FILE);
  const bookLayout = bookFamilyOf(stored) !== undefined;
  // A book-layout head is tied only if it equals the embedding, which the weights tell; until they are
  // read, the model is sized as untied, the larger of the two.
  let configJson = bookLayout ? huggingFaceConfigOfBook(stored, false) : stored;
  // Refused here, before gigabytes of shards are read into memory the model could never use.
  const decoder = assertOpenModelFits(configJson, precision);
  const source = (await files.has(INDEX_FILE)) ? INDEX_FILE : SINGLE_WEIGHTS_FILE;
  if (!bookLayout && files.ranges !== undefined) {
    return streamOpenModel(files, configJson, maxWeightBytes(decoder), source, precision);
  }
  let { tensors, metadata } = await readWeights(files, maxWeightBytes(decoder));
  if (bookLayout) {
    ({ config: configJson, tensors } = fromBookLayout(stored, tensors));
  }
  const model = openModelFromWeights(configJson, tensors, source, precision);
  return { model, configJson, metadata };
}

/**
 * The model config.json describes, with `tensors` (every weight under its Hugging Face name, read and
 * checked) loaded into it; `source` names the weights in errors. A tied model ignores `lm_head.weight`.
 */
export function openModelFromWeights(
  configJson: unknown,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  source: string = SINGLE_WEIGHTS_FILE,
  weightPrecision: StoragePrecision = 'f32',
): DecoderModel {
  const decoder = assertOpenModelFits(configJson, weightPrecision);
  // No initialisation drawn: the strict load below replaces every weight.
  const model = emptyOpenModel(configJson, weightPrecision);
  try {
    model.loadStateDict(
      new Map(
        [...tensors]
          .filter(([name]) => !(decoder.tieEmbeddings && name === 'lm_head.weight'))
          .map(([name, tensor]) => [name, { shape: tensor.shape, data: tensor.data as Float32Array }]),
      ),
    );
  } catch (error) {
    loadingFailed(model, source, error);
  }
  return model;
}

/**
 * Disposes a model whose weights did not load; a state dict that does not fit it becomes one error
 * naming the weights and the model config.json describes.
 */
function loadingFailed(model: DecoderModel, source: string, error: unknown): never {
  model.dispose();
  if (error instanceof StateDictError) {
    const { family, layerTypes, embDim } = model.config;
    throw new RangeError(
      `${source}: ${error.message}; the weights do not match config.json (a ${family} of ${layerTypes.length} layers, hidden size ${embDim})`,
    );
  }
  throw error;
}

/**
 * Refuses, from config.json alone, a model whose weights, stored in `weightPrecision`, the backend
 * cannot hold (before a download or a read of its weights); returns the decoder config it describes.
 */
export function assertOpenModelFits(
  configJson: unknown,
  weightPrecision: StoragePrecision = 'f32',
): DecoderConfig {
  const decoder = familyOf(configJson, CONFIG_FILE).decoder(configJson);
  assertWeightsFit(decoder, weightPrecision);
  return decoder;
}

/** The model of config.json, its weights allocated in `precision` and not yet set (every one is about to be read). */
function emptyOpenModel(configJson: unknown, precision: StoragePrecision): DecoderModel {
  return buildInPrecision(precision, () =>
    familyOf(configJson, CONFIG_FILE).build(configJson, { generator: new NoInitGenerator() }),
  );
}

/**
 * A Hugging Face checkpoint read tensor by tensor: every shard's header first (names, shapes and the
 * index checked against the model before any weight is read), then each tensor read, checked for
 * finiteness and copied into the model before the next, so the weights are never held twice.
 */
async function streamOpenModel(
  files: CheckpointReader,
  configJson: unknown,
  maxBytes: number,
  source: string,
  precision: StoragePrecision,
): Promise<OpenModelCheckpoint> {
  const open = files.ranges!.bind(files);
  const shards = new Map<string, SafetensorsRanges>();
  const closers: Array<() => Promise<void>> = [];
  try {
    const { shards: names, index } = await weightFiles(files);
    for (const name of names) {
      const ranges = await open(name, maxBytes);
      closers.push(() => ranges.close());
      shards.set(name, await openSafetensorsRanges(ranges, name));
    }
    if (index !== undefined) {
      checkShardsAgainstIndex(
        index,
        new Map([...shards].map(([name, file]) => [name, file.entries.map((entry) => entry.name)])),
      );
    }
    const tied = assertOpenModelFits(configJson, precision).tieEmbeddings;
    const wanted = (name: string) => !(tied && name === 'lm_head.weight');
    const model = emptyOpenModel(configJson, precision);
    try {
      const shapes = new Map<string, readonly number[]>();
      for (const [name, file] of shards) {
        for (const entry of file.entries) {
          if (!wanted(entry.name)) continue;
          checkWeightDtype(entry.name, entry.dtype, name, (message) => new RangeError(message));
          shapes.set(entry.name, entry.shape);
        }
      }
      model.checkStateShapes(shapes);
      for (const [name, file] of shards) {
        for (const entry of file.entries) {
          if (!wanted(entry.name)) continue;
          if (readsInPieces(entry.dtype)) {
            await loadInPieces(model, entry.name, file, entry, name, (message) => new RangeError(message));
            continue;
          }
          const tensor = await file.readTensor(entry);
          checkWeights([[entry.name, tensor]], name, (message) => new RangeError(message));
          const host = { shape: tensor.shape, data: tensor.data as Float32Array };
          model.loadStateDict(new Map([[entry.name, host]]), { strict: false });
        }
      }
    } catch (error) {
      loadingFailed(model, source, error);
    }
    const metadata = index === undefined ? (shards.get(SINGLE_WEIGHTS_FILE)?.metadata ?? {}) : {};
    return { model, configJson, metadata };
  } finally {
    for (const close of closers) await close();
  }
}

/** Every weight of the checkpoint, each shard read once, all as finite float32. */
async function readWeights(
  files: CheckpointReader,
  maxBytes: number,
): Promise<{ tensors: Map<string, SafetensorsTensor>; metadata: Record<string, string> }> {
  const { shards, index } = await weightFiles(files);
  const tensors = new Map<string, SafetensorsTensor>();
  const holdings = new Map<string, string[]>();
  let metadata: Record<string, string> = {};
  for (const shard of shards) {
    const file = parseSafetensors(await files.read(shard, maxBytes), shard);
    checkWeights(file.tensors, shard, (message) => new RangeError(message));
    if (index === undefined) metadata = file.metadata;
    holdings.set(shard, [...file.tensors.keys()]);
    for (const [name, tensor] of file.tensors) tensors.set(name, tensor);
  }
  if (index !== undefined) checkShardsAgainstIndex(index, holdings);
  return { tensors, metadata };
}

/** The weights files of the checkpoint: model.safetensors, or the shards its index names. */
async function weightFiles(files: CheckpointReader): Promise<{ shards: string[]; index?: ShardIndex }> {
  if (!(await files.has(INDEX_FILE))) {
    if (!(await files.has(SINGLE_WEIGHTS_FILE))) {
      throw new RangeError(
        `The checkpoint has neither ${SINGLE_WEIGHTS_FILE} nor ${INDEX_FILE}: download the model's weights beside its config.json`,
      );
    }
    return { shards: [SINGLE_WEIGHTS_FILE] };
  }
  const index = parseShardIndex(await readJson(files, INDEX_FILE));
  for (const shard of index.shards) {
    if (!(await files.has(shard))) {
      throw new RangeError(
        `${INDEX_FILE} names the shard ${shard}, which the checkpoint lacks: download it again`,
      );
    }
  }
  return { shards: index.shards, index };
}

/** Each shard holds exactly the weights the index places in it. */
function checkShardsAgainstIndex(index: ShardIndex, holdings: ReadonlyMap<string, string[]>): void {
  const held = new Set<string>();
  for (const [shard, names] of holdings) {
    for (const name of names) {
      if (index.weightMap.get(name) !== shard) {
        throw new RangeError(
          `${shard} holds ${name}, which ${INDEX_FILE} places ${index.weightMap.has(name) ? `in ${index.weightMap.get(name)}` : 'nowhere'}: the index and its shards do not belong together`,
        );
      }
      held.add(name);
    }
  }
  const absent = [...index.weightMap.keys()].filter((name) => !held.has(name));
  if (absent.length > 0) {
    throw new RangeError(`${INDEX_FILE} lists ${absent.join(', ')}, which no shard holds`);
  }
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
