import { generateStream } from '@scratchgpt/gpt-model';
import { GPT2_EOT_ID } from '@scratchgpt/tokenizer';
import { type FlagSpec, numberFlag, parseFlags, requireString } from '../args.js';
import { refuseClassifier } from '../classifier-guard.js';
import { CommandError } from '../errors.js';
import { checkMemory } from '../memory-check.js';
import { readConfigOf } from '../model-config.js';
import { resolveModelSource } from '../model-source.js';
import { inspectDirectory, loadModelDirectory, modelFilesOf } from '../run-directory.js';
import { createStreamDecoder, encodeText, gpt2 } from '../text-helpers.js';
import type { Command } from './command.js';

const flags = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'no-stop': { type: 'boolean' },
  'no-cache': { type: 'boolean' },
} as const satisfies FlagSpec;

/** Past the context the window slides, so any length works; this bounds a typo (1e12), not a model. */
const MAX_NEW_TOKENS = 100_000;

export const generate: Command = {
  summary: 'continue a prompt with a trained model',
  usage:
    'scratchgpt generate --model DIR|ID --prompt TEXT [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P] [--no-stop] [--no-cache]',
  help: `Continues a prompt with a trained model, streaming the text as it comes.
  --model DIR|ID         a checkpoint or run directory (config.json + model.safetensors, either layout),
                         or a Hugging Face Hub id: gpt2 … gpt2-xl, owner/name[@revision]
  --prompt TEXT          the text to continue
  --max-new-tokens N     how many tokens to add (default 50, at most 100000); past the model's
                         context the window slides over the last context-length tokens
  --temperature T        0 (default) picks the most likely token; higher is more varied
  --top-k K, --top-p P   sample only from the K most likely tokens / the smallest set reaching P
  --no-stop              keep going past <|endoftext|>
  --no-cache             recompute every step instead of using the KV cache (same tokens, slower)
With --json: {"text","tokenIds","promptTokenIds"} (tokenIds holds the new tokens only).`,
  async run(args, context) {
    const values = parseFlags(args, flags, 'generate');
    const source = requireString(values, 'model', 'generate');
    const prompt = requireString(values, 'prompt', 'generate');
    const maxNewTokens =
      numberFlag(values, 'max-new-tokens', { integer: true, min: 0, max: MAX_NEW_TOKENS }) ?? 50;
    const temperature = numberFlag(values, 'temperature', { min: 0 }) ?? 0;
    const topK = numberFlag(values, 'top-k', { integer: true, min: 1 });
    const topP = numberFlag(values, 'top-p', { min: 0, exclusiveMin: true, max: 1 });
    const directory = await resolveModelSource(source, context);
    const contents = await inspectDirectory(directory, '--model');
    refuseClassifier(directory, contents, 'classify predict --model DIR TEXT');
    const config = await readConfigOf(modelFilesOf(directory, contents));
    const tokenizer = gpt2();
    const promptTokenIds = encodeText(tokenizer, prompt);
    const outside = promptTokenIds.find((id) => id >= config.vocabSize);
    if (outside !== undefined) {
      throw new CommandError(
        `The prompt's token ${outside} is outside this model's vocabulary of ${config.vocabSize}: the model was not trained on GPT-2's vocabulary`,
      );
    }
    const useCache = values['no-cache'] !== true;

    await context.startBackend();
    checkMemory(config, {
      batchSize: 1,
      tokens: Math.min(config.contextLength, promptTokenIds.length + maxNewTokens),
      training: false,
    });
    const { model } = await loadModelDirectory(directory, contents);
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
    const text = tokenizer.decode([...promptTokenIds, ...tokenIds]);
    if (context.output.json) context.output.result({ text, tokenIds, promptTokenIds }, () => text);
    else context.output.write('\n');
    return 0;
  },
};
