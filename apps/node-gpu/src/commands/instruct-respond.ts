/**
 * `scratchgpt instruct respond`: the model's answers to instruction entries (the test split by
 * default), written as the book's `instruction-data-with-response.json`: each entry with its
 * `model_response`. Greedy, at most 256 new tokens, stopping at <|endoftext|>.
 */
import { writeFileAtomic } from '@scratchgpt/gpt-model/node';
import { type InstructionEntry, respond, splitInstructionData } from '@scratchgpt/instruct';
import { GPT2_EOT_ID } from '@scratchgpt/tokenizer';
import { type FlagSpec, numberFlag, parseFlags, requireString, stringFlag } from '../args.js';
import { CountProgress } from '../count-progress.js';
import { CommandError, UsageError } from '../errors.js';
import { defaultInstructionDataPath, instructionModel, readInstructionData } from '../instruct-data.js';
import { checkMemory } from '../memory-check.js';
import { resolveModelSource } from '../model-source.js';
import { checkOutputFile } from '../output-file.js';
import { loadModelDirectory } from '../run-directory.js';
import { gpt2 } from '../text-helpers.js';
import type { CommandContext } from './context.js';

export const instructRespondFlags = {
  model: { type: 'string' },
  data: { type: 'string' },
  split: { type: 'string' },
  out: { type: 'string' },
  format: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  limit: { type: 'string' },
  force: { type: 'boolean' },
} as const satisfies FlagSpec;

export const instructRespondHelp = `scratchgpt instruct respond --model DIR|ID --out FILE [--data FILE] [options]
  Answers instruction entries with the model and writes them with a "model_response" field, as the
  book's instruction-data-with-response.json (the input to 'scratchgpt judge').
  --model DIR|ID         a checkpoint or run directory (an instruction-tuning run gives the format),
                         or a Hugging Face Hub id: gpt2 … gpt2-xl, owner/name[@revision]
  --out FILE             the JSON file to write (refused if it exists, unless --force)
  --data FILE            the instruction data (default: the bundled 1,100 entries)
  --split test|validation|train|all   which entries of the book's split (default test: 110)
  --format alpaca|phi3   the prompt format (default: the run's, else alpaca)
  --max-new-tokens N     the longest answer (default 256)
  --limit N              answer only the first N entries of the split
  Ctrl-C stops after the answer in progress and writes the answers so far (exit 130).
  With --json: {"out","responses","endedAtEndOfText","endedAtTokenLimit","seconds"}.`;

const splits = ['test', 'validation', 'train', 'all'] as const;
type SplitName = (typeof splits)[number];

export async function runInstructRespond(args: string[], context: CommandContext): Promise<number> {
  const values = parseFlags(args, instructRespondFlags, 'instruct respond');
  const source = requireString(values, 'model', 'instruct respond');
  const out = requireString(values, 'out', 'instruct respond');
  const split = (stringFlag(values, 'split') ?? 'test') as SplitName;
  if (!splits.includes(split))
    throw new UsageError(`--split must be one of ${splits.join(', ')}, got '${split}'`);
  const maxNewTokens = numberFlag(values, 'max-new-tokens', { integer: true, min: 1, max: 100_000 }) ?? 256;
  const limit = numberFlag(values, 'limit', { integer: true, min: 1 });
  if ((await checkOutputFile(out, '--out')) && values.force !== true)
    throw new CommandError(`--out ${out} exists: choose another file, or pass --force to replace it`);
  const directory = await resolveModelSource(source, context);
  const { contents, config, format } = await instructionModel(directory, stringFlag(values, 'format'));
  const dataPath = stringFlag(values, 'data') ?? defaultInstructionDataPath();
  const all = await readInstructionData(dataPath);
  const entries = (split === 'all' ? all : splitInstructionData(all)[split]).slice(0, limit);
  if (entries.length === 0) throw new CommandError(`--data ${dataPath} has no ${split} entries`);

  await context.startBackend();
  checkMemory(config, { batchSize: 1, tokens: config.contextLength, training: false });
  const { model } = await loadModelDirectory(directory, contents);
  const { output } = context;
  const which = `${split === 'all' ? '' : `${split} `}${entries.length === 1 ? 'entry' : 'entries'}`;
  output.note(`answering ${entries.length} ${which} with ${directory} (${format.name} prompts)`);
  const progress = new CountProgress(output.isTTY, 'responding');
  let stop = false;
  const onInterrupt = () => {
    if (stop) process.exit(130);
    stop = true;
  };
  process.on('SIGINT', onInterrupt);
  const started = performance.now();
  const answered: Array<InstructionEntry & { model_response: string }> = [];
  const ended = { 'end-of-text': 0, 'token-limit': 0, stopped: 0 };
  try {
    progress.update(0, entries.length);
    for (const entry of entries) {
      if (stop) break;
      const answer = await respond(model, entry, {
        tokenizer: gpt2(),
        format,
        maxNewTokens,
        eosId: GPT2_EOT_ID,
      });
      answered.push({ ...entry, model_response: answer.response });
      ended[answer.ended]++;
      progress.update(answered.length, entries.length, `${ended['end-of-text']} ended at <|endoftext|>`);
    }
  } finally {
    progress.done();
    process.off('SIGINT', onInterrupt);
  }
  await writeFileAtomic(out, `${JSON.stringify(answered, null, 2)}\n`);
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    out,
    responses: answered.length,
    endedAtEndOfText: ended['end-of-text'],
    endedAtTokenLimit: ended['token-limit'],
    seconds,
  };
  output.result(
    summary,
    () =>
      `${stop ? `stopped: wrote the first ${answered.length} of ${entries.length}` : `wrote ${answered.length}`} responses to ${out} ` +
      `in ${seconds.toFixed(0)} s: ${ended['end-of-text']} ended at <|endoftext|>, ${ended['token-limit']} at the ${maxNewTokens}-token limit`,
  );
  return stop ? 130 : 0;
}
