/**
 * GPT-2 from the Hugging Face Hub in the worker: downloaded with progress straight into the browser's
 * Cache Storage (a reload loads it from there; so does an offline page), checked against the backend's
 * memory before the weights are fetched, then read from that storage tensor by tensor, so the file is
 * never held whole beside the model.
 */
import {
  assertFitsMemory,
  type LoadedModel,
  loadModelFromRanges,
  parseConfigJson,
} from '@scratchgpt/gpt-model';
import { openModelInBrowser } from '@scratchgpt/hub';
import { familyOf } from '@scratchgpt/open-models';
import { blobAsRanges, openSafetensorsRanges } from '@scratchgpt/tensor';
import type { FromWorker } from '../protocol.js';

export interface HubModel extends LoadedModel {
  commit: string;
  source: 'hub' | 'cache';
  downloadedBytes: number;
}

export async function loadFromHub(
  id: string,
  endpoint: string,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<HubModel> {
  let drawn = 0;
  const fetched = await openModelInBrowser(id, {
    endpoint,
    signal,
    onProgress: ({ file, loaded, total }) => {
      // Ten updates a second are plenty for a progress bar.
      const now = performance.now();
      if (loaded < total && now - drawn < 100) return;
      drawn = now;
      post({ type: 'download', file, loaded, total });
    },
    // The weights alone must fit the backend (wasm's heap) before they are downloaded.
    beforeWeights: (config) => {
      refuseOpenFamily(config, id);
      const parsed = parseConfigJson(config, `config.json of ${id}`).config;
      assertFitsMemory(parsed, { batchSize: 1, tokens: 1, training: false }, id);
    },
  }).catch((error: unknown) => {
    if (signal.aborted)
      throw new Error(`The download of ${id} was stopped: Load from the Hub starts it again`);
    throw error;
  });
  if (fetched.weights === undefined)
    throw new Error(`${id} has no single model.safetensors: it is not GPT-2`);
  const weightsSource = `model.safetensors of ${id}`;
  const loaded = await loadModelFromRanges(
    fetched.config,
    await openSafetensorsRanges(blobAsRanges(fetched.weights), weightsSource),
    { configSource: `config.json of ${id}`, weightsSource },
  );
  return {
    ...loaded,
    commit: fetched.commit,
    source: fetched.source,
    downloadedBytes: fetched.downloadedBytes,
  };
}

/** A Qwen3, Llama or Gemma 3 config is not GPT-2's: the chat card loads those. */
function refuseOpenFamily(config: unknown, id: string): void {
  let family: string;
  try {
    family = familyOf(config).modelType;
  } catch {
    return;
  }
  throw new Error(
    `${id} is a ${family} model, not GPT-2: load it in the chat card ("an open model from the Hugging Face Hub")`,
  );
}
