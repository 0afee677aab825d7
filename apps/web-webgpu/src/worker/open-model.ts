/**
 * A Qwen3, Llama 3.2 or Gemma 3 from the Hugging Face Hub in the worker, for the chat: config.json is
 * judged first (family, size, the memory check) and the page told, so a model this backend cannot hold
 * is refused before its tokenizer or weights are fetched; then the files stream with progress from the
 * Hub into the browser's Cache Storage (or are found there), and are read from it tensor by tensor
 * (the weights are never held whole beside the model) to become the model (its weights stored in the precision asked
 * for as each one loads: in bf16 a BF16 checkpoint keeps its own values, in half float32's memory), its
 * tokenizer and the tokens that end an answer.
 */
import { openModelInBrowser } from '@scratchgpt/hub';
import { checkpointOfBlobs, type DecoderModel, loadOpenModelCheckpoint } from '@scratchgpt/open-models';
import type { StoragePrecision } from '@scratchgpt/tensor';
import { type HFTokenizer, loadHFTokenizer, renderChatTemplate } from '@scratchgpt/tokenizer';
import type { OpenModelSummary } from '../open-model-protocol.js';
import type { FromWorker } from '../protocol.js';
import { describeOpenModelCheck } from '../ui/open-model-check.js';
import { checkOpenModel } from './open-model-check.js';

export interface OpenChatModel {
  summary: OpenModelSummary;
  model: DecoderModel;
  tokenizer: HFTokenizer;
  /** The template's end of turn, the tokenizer's EOS and generation_config.json's: any ends an answer. */
  stopIds: ReadonlySet<number>;
}

/** generation_config.json is a few hundred bytes. */
const MAX_GENERATION_CONFIG_BYTES = 1 << 20;

export async function loadOpenModelFromHub(
  id: string,
  endpoint: string,
  precision: StoragePrecision,
  signal: AbortSignal,
  post: (message: FromWorker) => void,
): Promise<OpenChatModel> {
  let drawn = 0;
  let check: OpenModelSummary['check'] | undefined;
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
    beforeWeights: (config) => {
      const judged = checkOpenModel(config, id, precision);
      check = judged;
      post({ type: 'open-model-check', check: judged });
      if (judged.refusal !== null) throw new Error(describeOpenModelCheck(judged));
    },
  }).catch((error: unknown) => {
    if (signal.aborted) throw new Error(`The download of ${id} was stopped: Load starts it again`);
    throw error;
  });
  if (check === undefined)
    throw new Error(`${id} has no config.json: it is not an open model the page loads`);
  const judged = check;
  const bytesOf = async (name: string) => {
    const blob = fetched.files.get(name);
    return blob === undefined ? undefined : new Uint8Array(await blob.arrayBuffer());
  };
  const tokenizer = chatTokenizer(
    await bytesOf('tokenizer.json'),
    await bytesOf('tokenizer_config.json'),
    id,
  );
  const generationConfig = await bytesOf('generation_config.json');
  const { model } = await loadOpenModelCheckpoint(checkpointOfBlobs(fetched.files), {
    weightPrecision: precision,
  });
  try {
    const stopIds = stopTokens(tokenizer, generationConfig, id);
    const template = String(tokenizer.config?.chat_template ?? '');
    return {
      summary: {
        check: judged,
        commit: fetched.commit,
        fromCache: fetched.source === 'cache' || fetched.downloadedBytes === 0,
        downloadedBytes: fetched.downloadedBytes,
        thinkingSwitch: template.includes('enable_thinking'),
      },
      model,
      tokenizer,
      stopIds,
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** The checkpoint's own tokenizer, which must carry a chat template: the page chats in it. */
function chatTokenizer(
  json: Uint8Array | undefined,
  config: Uint8Array | undefined,
  id: string,
): HFTokenizer {
  if (json === undefined || config === undefined) {
    throw new Error(
      `${id} holds no ${json === undefined ? 'tokenizer.json' : 'tokenizer_config.json'}: the chat needs the model's own tokenizer and chat template`,
    );
  }
  const tokenizer = loadHFTokenizer(json, config, { name: id });
  if (tokenizer.config?.chat_template == null) {
    throw new Error(
      `${id} has no chat template in tokenizer_config.json: it is a base model; load its instruction-tuned version to chat`,
    );
  }
  return tokenizer;
}

/**
 * The ids that end an answer: the token the chat template writes after an assistant's message (Qwen3's
 * <|im_end|>, Llama 3's <|eot_id|>, Gemma 3's <end_of_turn>), the tokenizer's EOS, and any
 * generation_config.json names as `eos_token_id`.
 */
function stopTokens(
  tokenizer: HFTokenizer,
  generationConfig: Uint8Array | undefined,
  id: string,
): Set<number> {
  const stops = new Set<number>();
  if (tokenizer.eosId !== null) stops.add(tokenizer.eosId);
  const endOfTurn = templateEndOfTurn(tokenizer);
  if (endOfTurn !== undefined) stops.add(endOfTurn);
  for (const eos of generationEosIds(generationConfig, id)) {
    if (eos < tokenizer.vocabSize) stops.add(eos);
  }
  if (stops.size === 0) {
    throw new Error(
      `${id} names no end-of-text token (no eos_token in tokenizer_config.json or generation_config.json): answers could not end`,
    );
  }
  return stops;
}

/** The special token the template writes right after an assistant's message, if it writes one. */
function templateEndOfTurn(tokenizer: HFTokenizer): number | undefined {
  const marker = 'scratchgpt-answer-marker';
  const rendered = renderChatTemplate(tokenizer.config!, [
    { role: 'user', content: 'question' },
    { role: 'assistant', content: marker },
  ]);
  const after = rendered.slice(rendered.lastIndexOf(marker) + marker.length).trimStart();
  for (const [token, tokenId] of tokenizer.specialTokens) {
    if (after.startsWith(token)) return tokenId;
  }
  return undefined;
}

function generationEosIds(bytes: Uint8Array | undefined, id: string): number[] {
  if (bytes === undefined) return [];
  if (bytes.byteLength > MAX_GENERATION_CONFIG_BYTES) {
    throw new Error(
      `generation_config.json of ${id} is ${bytes.byteLength} bytes: it is not a generation config`,
    );
  }
  let eos: unknown;
  try {
    eos = (JSON.parse(new TextDecoder().decode(bytes)) as { eos_token_id?: unknown } | null)?.eos_token_id;
  } catch (error) {
    throw new Error(`generation_config.json of ${id} is not valid JSON (${(error as Error).message})`);
  }
  const ids = Array.isArray(eos) ? eos : eos === undefined || eos === null ? [] : [eos];
  if (!ids.every((value) => Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw new Error(
      `generation_config.json of ${id}: eos_token_id must be a token id or a list of them, got ${JSON.stringify(eos)}`,
    );
  }
  return ids as number[];
}
