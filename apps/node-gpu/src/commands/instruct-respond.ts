/**
 * `scratchgpt instruct respond`: the model's answers to instruction entries (the test split by
 * default), written as the book's `instruction-data-with-response.json`: each entry with its
 * `model_response`. Greedy, at most 256 new tokens, stopping at <|endoftext|>.
 */
import { writeFileAtomic } from '@scratchgpt/gpt-model/node';
import { type InstructionEntry, respond, splitInstructionData } from '@scratchgpt/instruct';
import { GPT2_EOT_ID } from '@scratchgpt/tokenizer';
import type { Flags, FlagValues } from '../args.js';
import { CountProgress } from '../count-progress.js';
import { CommandError } from '../errors.js';
import {
  defaultInstructionDataPath,
  instructionModel,
  instructionModelFlags,
  readInstructionData,
} from '../instruct-data.js';
import { checkMemory } from '../memory-check.js';
import { resolveModelSource } from '../model-source.js';
import { checkOpenModelFits, loadOpenModelDirectory } from '../open-model-directory.js';
import { openFormatName, openInstructionFormat, openRespond } from '../open-model-instruct.js';
import { isOpenModelDirectory, readOpenModelBase } from '../open-model-run.js';
import { openModelTokenizer } from '../open-model-text.js';
import { checkOutputFile } from '../output-file.js';
import {
  type DirectoryContents,
  inspectDirectory,
  loadModelDirectory,
  modelFilesOf,
} from '../run-directory.js';
import { gpt2 } from '../text-helpers.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';

const flags = {
  ...instructionModelFlags,
  out: {
    type: 'string',
    value: 'FILE',
    required: true,
    help: 'the JSON file to write (refused if it exists, unless --force)',
  },
  data: {
    type: 'string',
    value: 'FILE',
    defaultText: 'the bundled 1,100 entries',
    help: 'the instruction data',
  },
  split: {
    type: 'string',
    choices: ['test', 'validation', 'train', 'all'],
    default: 'test',
    help: "which entries of the book's split; test holds 110",
  },
  'max-new-tokens': {
    type: 'integer',
    value: 'N',
    min: 1,
    max: 100_000,
    default: 256,
    help: 'the longest answer',
  },
  limit: { type: 'integer', value: 'N', min: 1, help: 'answer only the first N entries of the split' },
  force: { type: 'boolean', help: 'replace --out FILE if it exists' },
} as const satisfies Flags;

export const instructRespond = defineCommand({
  summary: "the model's answers to instruction entries, for 'scratchgpt judge'",
  usage: ['scratchgpt instruct respond --model DIR|ID --out FILE [--data FILE] [options]'],
  description: `Answers instruction entries with the model and writes them with a "model_response" field, as the
book's instruction-data-with-response.json (the input to 'scratchgpt judge').`,
  flags,
  notes: `Ctrl-C stops after the answer in progress and writes the answers so far (exit 130).
With --json: {"out","responses","endedAtEndOfText","endedAtTokenLimit","seconds"}.`,
  run: (values, context) => runInstructRespond(values, context),
});

async function runInstructRespond(
  values: FlagValues<typeof flags>,
  context: CommandContext,
): Promise<number> {
  const { model: source, out, split, 'max-new-tokens': maxNewTokens, limit } = values;
  if ((await checkOutputFile(out, '--out')) && values.force !== true)
    throw new CommandError(`--out ${out} exists: choose another file, or pass --force to replace it`);
  const directory = await resolveModelSource(source, context);
  const contents = await inspectDirectory(directory, '--model');
  const open = await isOpenModelDirectory(directory, contents);
  const dataPath = values.data ?? defaultInstructionDataPath();
  const all = await readInstructionData(dataPath);
  const entries = (split === 'all' ? all : splitInstructionData(all)[split]).slice(0, limit);
  if (entries.length === 0) throw new CommandError(`--data ${dataPath} has no ${split} entries`);
  const answerer = open
    ? await openModelAnswerer(directory, contents, values.format, entries, maxNewTokens, context)
    : await gptAnswerer(directory, values.format, maxNewTokens, context);
  const { output } = context;
  const which = `${split === 'all' ? '' : `${split} `}${entries.length === 1 ? 'entry' : 'entries'}`;
  output.note(`answering ${entries.length} ${which} with ${directory} (${answerer.formatName} prompts)`);
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
      const answer = await answerer.respond(entry);
      answered.push({ ...entry, model_response: answer.response });
      ended[answer.ended]++;
      progress.update(
        answered.length,
        entries.length,
        `${ended['end-of-text']} ended at ${answerer.endName}`,
      );
    }
  } finally {
    answerer.dispose();
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
      `in ${seconds.toFixed(0)} s: ${ended['end-of-text']} ended at ${answerer.endName}, ${ended['token-limit']} at the ${maxNewTokens}-token limit`,
  );
  return stop ? 130 : 0;
}

/** Answers entries one at a time with a loaded model, in one prompt format. */
interface Answerer {
  formatName: string;
  /** The token answers end with, as the summary names it. */
  endName: string;
  respond(
    entry: InstructionEntry,
  ): Promise<{ response: string; ended: 'end-of-text' | 'token-limit' | 'stopped' }>;
  dispose(): void;
}

async function gptAnswerer(
  directory: string,
  requestedFormat: string | undefined,
  maxNewTokens: number,
  context: CommandContext,
): Promise<Answerer> {
  const { contents, config, format } = await instructionModel(directory, requestedFormat);
  await context.startBackend();
  checkMemory(config, { batchSize: 1, tokens: config.contextLength, training: false });
  const { model } = await loadModelDirectory(directory, contents);
  return {
    formatName: format.name,
    endName: '<|endoftext|>',
    respond: (entry) =>
      respond(model, entry, { tokenizer: gpt2(), format, maxNewTokens, eosId: GPT2_EOT_ID }),
    dispose: () => model.dispose(),
  };
}

/** A Qwen3, Llama 3.2 or Gemma 3 model answers in its run's format (else its chat template). */
async function openModelAnswerer(
  directory: string,
  contents: DirectoryContents,
  requestedFormat: string | undefined,
  entries: readonly InstructionEntry[],
  maxNewTokens: number,
  context: CommandContext,
): Promise<Answerer> {
  const files = modelFilesOf(directory, contents);
  const tokenizer = await openModelTokenizer(files, 'instruct respond reads it beside config.json');
  const manifest = contents.kind === 'run' ? contents.manifest : undefined;
  const saved =
    manifest?.task === 'instruct' || manifest?.task === 'dpo' ? manifest.instruct.promptFormat : undefined;
  const instruction = openInstructionFormat(openFormatName(requestedFormat, saved, tokenizer), tokenizer);
  instruction.check(entries);
  await context.startBackend();
  checkOpenModelFits((await readOpenModelBase(files)).configJson, directory);
  const model = await loadOpenModelDirectory(files);
  const endName = instruction.tokenizer.decode([instruction.endTokenId]);
  return {
    formatName: instruction.format.name,
    endName,
    respond: (entry) => openRespond(model, entry, instruction, maxNewTokens),
    dispose: () => model.dispose(),
  };
}
