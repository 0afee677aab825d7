/**
 * LoRA on a tiny random model of an open family, in the worker: the family's published structure
 * (Qwen3's QK-norm, Llama 3's scaled rotary positions, Gemma 3's sliding and full layers and four
 * norms a block) at a few layers and a small width, every weight frozen and a LoRA update
 * attached to each projection, trained on the page's text with the trainer every card uses.
 */
import { applyLoRA } from '@scratchgpt/lora';
import {
  countDecoderParameters,
  type DecoderModel,
  GEMMA3_PRESETS,
  Gemma3Model,
  LLAMA3_PRESETS,
  Llama3Model,
  QWEN3_PRESETS,
  Qwen3Model,
} from '@scratchgpt/open-models';
import { manualSeed, tf } from '@scratchgpt/tensor';
import { GPT2_VOCAB_SIZE } from '@scratchgpt/tokenizer';
import type { OpenFamilyName, OpenLoraSettings } from '../open-model-protocol.js';
import type { FromWorker } from '../protocol.js';
import { prepareData } from './data.js';
import { describeBase, storeFrozenBase } from './half-base.js';
import { runTraining } from './training.js';

/** A few layers of a small width, the same for every family; the vocabulary is GPT-2's (the page's tokens). */
const TINY = { vocabSize: GPT2_VOCAB_SIZE, embDim: 64, nHeads: 4, nKvGroups: 2, headDim: 16, hiddenDim: 128 };

/**
 * The package's random tables are N(0, 1): tied to the head, their logits swamp two small layers
 * (Gemma's √embDim scale all the more) and leave LoRA nothing to learn in a few steps. At σ = 0.2 the
 * layers' updates, not the embedding, decide the loss.
 */
const EMBEDDING_STD = 0.2;

/** A tiny random model of the family, with the context asked for. */
export function tinyOpenModel(family: OpenFamilyName, contextLength: number): DecoderModel {
  const model = buildTiny(family, contextLength);
  tf.tidy(() => {
    for (const shard of model.model.embedTokens.shards) shard.assign(tf.mul(shard, EMBEDDING_STD));
  });
  return model;
}

function buildTiny(family: OpenFamilyName, contextLength: number): DecoderModel {
  const sizes = { ...TINY, contextLength };
  switch (family) {
    case 'qwen3':
      return new Qwen3Model({ ...QWEN3_PRESETS['0.6B'], ...sizes, nLayers: 2 });
    case 'llama3': {
      const preset = LLAMA3_PRESETS['3.2-1B'];
      return new Llama3Model({ ...preset, ...sizes, nLayers: 2, ropeScaling: { ...preset.ropeScaling } });
    }
    case 'gemma3':
      // One sliding layer (a window shorter than the context, so it matters) and one full layer.
      return new Gemma3Model({
        ...GEMMA3_PRESETS['270M'],
        ...sizes,
        nLayers: 2,
        layerTypes: ['sliding', 'full'],
        slidingWindow: Math.max(2, contextLength >> 2),
        queryPreAttnScalar: TINY.headDim,
      });
  }
}

export async function runOpenLora(
  settings: OpenLoraSettings,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<void> {
  const data = prepareData(settings.text, settings);
  manualSeed(settings.seed);
  const model = tinyOpenModel(settings.family, settings.contextLength);
  try {
    // Frozen under LoRA: stored in the run's 16-bit precision before the updates attach.
    const base = await storeFrozenBase([model], settings.precision);
    const updates = applyLoRA(model, { rank: settings.rank, alpha: 2 * settings.rank });
    const { config } = model;
    post({
      type: 'open-lora-model',
      family: settings.family,
      description: `${config.family}: ${config.layerTypes.length} layers (${config.layerTypes.join(', ')}), ${config.nHeads} query heads sharing ${config.nKvGroups} key/value heads, ${config.embDim}-d, context ${config.contextLength}`,
      parameters: countDecoderParameters(config),
      trainable: [...updates.values()].reduce((sum, update) => sum + update.A.size + update.B.size, 0),
      base: describeBase(base),
    });
    post({
      type: 'data',
      trainTokens: data.trainTokens,
      validationTokens: data.validationTokens,
      batchesPerEpoch: data.train.length,
    });
    // Evaluated after the first step and the last, on the same batches: the two points show what the
    // updates learned, which a few noisy training batches alone would not.
    await runTraining(
      model,
      { data, lr: settings.lr, evalEvery: settings.steps, precision: settings.precision },
      settings.steps,
      signal,
      post,
    );
  } finally {
    model.dispose();
  }
}
