/** Instruction data and prompt formats for the `instruct`, `judge` and `chat` commands. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GPTConfig } from '@scratchgpt/gpt-model';
import {
  CHAT_TEMPLATE,
  InstructionDataError,
  type InstructionEntry,
  isPromptFormatName,
  type PromptFormat,
  type PromptFormatName,
  parseInstructionData,
  promptFormat,
} from '@scratchgpt/instruct';
import { GPT2_VOCAB_SIZE } from '@scratchgpt/tokenizer';
import type { Flags } from './args.js';
import { readText } from './data.js';
import { CommandError, UsageError } from './errors.js';
import { readConfigOf } from './model-config.js';
import { isOpenModelDirectory } from './open-model-run.js';
import { type DirectoryContents, inspectDirectory, modelFilesOf } from './run-directory.js';

/** The book's 1,100 entries, shipped in the repository's data/ folder. */
export function defaultInstructionDataPath(): string {
  const path = fileURLToPath(new URL('../../../data/instruction-data.json', import.meta.url));
  if (!existsSync(path))
    throw new CommandError(`The bundled instruction data is missing (${path}); pass --data FILE`);
  return path;
}

export async function readInstructionData(path: string, flag = '--data'): Promise<InstructionEntry[]> {
  const text = await readText(path, flag);
  try {
    return parseInstructionData(text, `${flag} ${path}`);
  } catch (error) {
    if (error instanceof InstructionDataError) throw new CommandError(error.message);
    throw error;
  }
}

/** The prompt formats `--format` takes. */
export const promptFormatNames: readonly PromptFormatName[] = ['alpaca', 'phi3'];

/** `--model` and `--format` of a command that prompts a model with instructions (chat, respond). */
export const instructionModelFlags = {
  model: {
    type: 'string',
    value: 'DIR|ID',
    required: true,
    help: 'a checkpoint or run directory (an instruction-tuning run gives the format), or a Hugging Face Hub id: gpt2 … gpt2-xl, owner/name[@revision]',
  },
  format: {
    type: 'string',
    choices: promptFormatNames,
    defaultText: "the run's, else alpaca",
    help: 'the prompt format',
  },
} as const satisfies Flags;

/** `--format NAME`, else the format an instruction or DPO run recorded, else the book's Alpaca style. */
export function chosenFormat(requested: string | undefined, contents: DirectoryContents): PromptFormat {
  if (requested !== undefined) {
    if (requested === CHAT_TEMPLATE)
      throw new UsageError(
        `--format ${CHAT_TEMPLATE} is for models whose tokenizer has a chat template (Qwen3, Llama 3.2, Gemma 3); GPT-2 takes alpaca or phi3`,
      );
    if (!isPromptFormatName(requested))
      throw new UsageError(`--format must be alpaca or phi3, got '${requested}'`);
    return promptFormat(requested);
  }
  const run = contents.kind === 'run' ? contents.manifest : undefined;
  return promptFormat(run?.task === 'instruct' || run?.task === 'dpo' ? run.instruct.promptFormat : 'alpaca');
}

/**
 * What `--model DIR` holds for a command that prompts it with instructions, read without its weights:
 * its config (on GPT-2's vocabulary, or it cannot read the prompts) and the prompt format to use.
 */
export async function instructionModel(
  directory: string,
  requestedFormat: string | undefined,
): Promise<{ contents: DirectoryContents; config: GPTConfig; format: PromptFormat }> {
  const contents = await inspectDirectory(directory, '--model');
  if (contents.kind === 'run' && contents.manifest.task === 'classify') {
    throw new CommandError(
      `--model ${directory} is a classifier run: instructions need a language model (give the GPT it was fine-tuned from)`,
    );
  }
  if (await isOpenModelDirectory(directory, contents)) {
    throw new CommandError(
      `--model ${directory} is a Qwen3, Llama 3.2 or Gemma 3 model: this command takes GPT-2 models for now (every other command that takes a model takes it)`,
    );
  }
  const format = chosenFormat(requestedFormat, contents);
  const config = await readConfigOf(modelFilesOf(directory, contents));
  if (config.vocabSize < GPT2_VOCAB_SIZE) {
    throw new CommandError(
      `--model ${directory} has a vocabulary of ${config.vocabSize}: instructions are read as GPT-2 tokens (${GPT2_VOCAB_SIZE})`,
    );
  }
  return { contents, config, format };
}
