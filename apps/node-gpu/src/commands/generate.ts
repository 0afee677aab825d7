import { generateStream } from '@scratchgpt/gpt-model';
import { GPT2_EOT_ID } from '@scratchgpt/tokenizer';
import { refuseClassifier } from '../classifier-guard.js';
import { CommandError, UsageError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf } from '../model-config.js';
import { resolveModelSource } from '../model-source.js';
import { openModelConfigOf } from '../open-model-directory.js';
import { storeModelWeights, weightPrecisionFlags } from '../precision-flag.js';
import { inspectDirectory, loadModelDirectory, modelFilesOf } from '../run-directory.js';
import { samplingFlags } from '../sampling-flags.js';
import { createStreamDecoder, encodeText, gpt2 } from '../text-helpers.js';
import { defineCommand } from './command.js';
import { generateWithOpenModel } from './generate-open-model.js';

/** Past the context the window slides, so any length works; this bounds a typo (1e12), not a model. */
const MAX_NEW_TOKENS = 100_000;

export const generate = defineCommand({
  summary: 'continue a prompt with a trained model',
  description: `Continues a prompt with a trained model, streaming the text as it comes. A Qwen3, Llama 3.2
or Gemma 3 checkpoint (config.json + model.safetensors or its shards) reads its prompt with its own
tokenizer.json (after its BOS, if it has one), samples as GPT-2 does, and stops at its stop ids: the
tokenizer's end-of-text and generation_config.json's eos_token_id.`,
  flags: {
    model: {
      type: 'string',
      value: 'DIR|ID',
      required: true,
      help: 'a checkpoint or run directory (config.json + model.safetensors, either layout), or a Hugging Face Hub id: gpt2 … gpt2-xl, owner/name[@revision]',
    },
    prompt: { type: 'string', value: 'TEXT', help: 'the text to continue' },
    ids: {
      type: 'string',
      value: 'ID,ID,…',
      help: 'the prompt as token ids instead of text (Qwen3, Llama and Gemma 3 then print the new ids, not text)',
    },
    'max-new-tokens': {
      type: 'integer',
      value: 'N',
      min: 0,
      max: MAX_NEW_TOKENS,
      default: 50,
      help: "how many tokens to add; past the model's context the window slides over the last context-length tokens",
    },
    ...samplingFlags,
    'no-stop': {
      type: 'boolean',
      help: "keep going past <|endoftext|> (an open model's stop ids)",
    },
    'no-cache': {
      type: 'boolean',
      help: 'recompute every step instead of using the KV cache (same tokens, slower)',
    },
    ...weightPrecisionFlags,
  },
  notes:
    'With --json: {"text","tokenIds","promptTokenIds"} (tokenIds holds the new tokens only; no "text" with --ids for Qwen3, Llama and Gemma 3).',
  async run(values, context) {
    const { model: source, prompt, 'max-new-tokens': maxNewTokens, temperature } = values;
    const { 'top-k': topK, 'top-p': topP } = values;
    if ((prompt === undefined) === (values.ids === undefined)) {
      throw new UsageError('generate: give the prompt as --prompt TEXT or as --ids ID,ID,…');
    }
    const ids = values.ids === undefined ? undefined : parseTokenIds(values.ids);
    const useCache = values['no-cache'] !== true;
    const { precision } = values;
    const directory = await resolveModelSource(source, context, precision);
    if ((await openModelConfigOf(directory)) !== undefined) {
      const sampling = { temperature, topK, topP };
      const noStop = values['no-stop'] === true;
      return generateWithOpenModel(
        { directory, prompt, ids, maxNewTokens, useCache, noStop, sampling, precision },
        context,
      );
    }
    const contents = await inspectDirectory(directory, '--model');
    refuseClassifier(directory, contents, 'classify predict --model DIR TEXT');
    const config = await readConfigOf(modelFilesOf(directory, contents));
    const tokenizer = gpt2();
    const promptTokenIds = ids ?? encodeText(tokenizer, prompt ?? '');
    const outside = promptTokenIds.find((id) => id >= config.vocabSize);
    if (outside !== undefined) {
      throw new CommandError(
        `The prompt's token ${outside} is outside this model's vocabulary of ${config.vocabSize}: the model was not trained on GPT-2's vocabulary`,
      );
    }
    await context.startBackend();
    checkMemory(config, {
      batchSize: 1,
      tokens: Math.min(config.contextLength, promptTokenIds.length + maxNewTokens),
      training: false,
      baseWeights: precision,
    });
    const { model } = await loadModelDirectory(directory, contents, precision);
    await storeModelWeights(model, precision);
    const stop = values['no-stop'] !== true && config.vocabSize > GPT2_EOT_ID;
    const decode = createStreamDecoder(tokenizer);
    const tokenIds: number[] = [];
    if (!context.output.json) context.output.write(decode(promptTokenIds));
    const stream = generateStream(model, promptTokenIds, {
      maxNewTokens,
      temperature,
      ...(topK !== undefined ? { topK } : {}),
      ...(topP !== undefined ? { topP } : {}),
      ...(stop ? { eosId: GPT2_EOT_ID } : {}),
      seed: context.seed,
      useCache,
    });
    for await (const id of stream) {
      tokenIds.push(id);
      if (!context.output.json) context.output.write(decode([...promptTokenIds, ...tokenIds]));
    }
    if (!context.output.json) context.output.write(decode([...promptTokenIds, ...tokenIds], true));
    const text = tokenizer.decode([...promptTokenIds, ...tokenIds]);
    if (context.output.json) context.output.result({ text, tokenIds, promptTokenIds }, () => text);
    else context.output.write('\n');
    return 0;
  },
});

/** A token id is a vocabulary index: a non-negative integer well inside int32. */
const MAX_TOKEN_ID = 2 ** 31 - 1;

function parseTokenIds(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  return parts.map((part) => {
    const id = /^\d+$/.test(part) ? Number(part) : Number.NaN;
    if (!Number.isSafeInteger(id) || id > MAX_TOKEN_ID) {
      throw new UsageError(`generate: --ids takes token ids separated by commas (e.g. 1,2,3), got "${part}"`);
    }
    return id;
  });
}
