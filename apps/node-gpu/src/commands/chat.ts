/**
 * `scratchgpt chat`: a conversation with an instruction-tuned model. On a terminal it streams each
 * answer; Ctrl-C stops the answer in progress (the session goes on), Ctrl-D quits. From a pipe it
 * answers each line of its input in turn, as one conversation.
 */
import { createInterface, type Interface } from 'node:readline';
import { type ChatAnswer, ChatSession, type ChatSessionOptions } from '@scratchgpt/instruct';
import type { StoragePrecision } from '@scratchgpt/tensor';
import { GPT2_EOT_ID } from '@scratchgpt/tokenizer';
import { UsageError } from '../errors.js';
import { instructionModel, instructionModelFlags } from '../instruct-data.js';
import { checkMemory } from '../memory-check.js';
import { resolveModelSource } from '../model-source.js';
import { openChatModel } from '../open-model-chat.js';
import { loadOpenModelDirectory, openModelConfigOf } from '../open-model-directory.js';
import type { Output } from '../output.js';
import { storeModelWeights, weightPrecisionFlags } from '../precision-flag.js';
import { loadModelDirectory } from '../run-directory.js';
import { samplingFlags } from '../sampling-flags.js';
import { gpt2 } from '../text-helpers.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';

/** What the session needs beyond the model: how long an answer may be and how to pick tokens. */
type Sampling = Omit<ChatSessionOptions, 'tokenizer' | 'format' | 'eosId'>;

interface Chatting {
  session: ChatSession;
  formatName: string;
  contextLength: number;
}

export const chat = defineCommand({
  summary: 'talk to an instruction-tuned model, answers streamed',
  description: `A conversation with an instruction-tuned model. Each message is put in the model's prompt format
after the turns before it; the answer streams until <|endoftext|> or --max-new-tokens. A Qwen3,
Llama 3.2 or Gemma 3 checkpoint is prompted with its own chat template (tokenizer_config.json) and
stops at its end of turn or stop ids; one without a template needs --format. When the
conversation would no longer fit the context (leaving room for the answer), the oldest turns are left
out, and a note says so on stderr.
On a terminal: Ctrl-C stops the answer in progress, Ctrl-D quits. From a pipe: each line is a message,
each answer one line of output.`,
  flags: {
    ...instructionModelFlags,
    'max-new-tokens': {
      type: 'integer',
      value: 'N',
      min: 1,
      max: 100_000,
      default: 256,
      help: 'the longest answer; at most half the context is kept for it',
    },
    ...samplingFlags,
    thinking: {
      type: 'boolean',
      help: "Qwen3: let the model think before it answers (its template's enable_thinking; off by default)",
    },
    ...weightPrecisionFlags,
  },
  notes: 'With --json (from a pipe): one {"message","response","ended","tokens","droppedTurns"} per line.',
  async run(values, context) {
    const { model: source, 'max-new-tokens': maxNewTokens, temperature } = values;
    const { 'top-k': topK, 'top-p': topP } = values;
    const sampling: Sampling = {
      maxNewTokens,
      temperature,
      ...(topK !== undefined ? { topK } : {}),
      ...(topP !== undefined ? { topP } : {}),
      seed: context.seed,
    };
    const directory = await resolveModelSource(source, context, values.precision);
    const thinking = values.thinking === true;
    const request = { format: values.format, thinking, sampling, precision: values.precision };
    const openConfig = await openModelConfigOf(directory);
    const { session, formatName, contextLength } =
      openConfig !== undefined
        ? await openModelChat(directory, openConfig, request, context)
        : await gptChat(directory, request, context);
    const { output } = context;
    if (process.stdin.isTTY) {
      output.note(
        `chat with ${source} (${formatName} prompts, context ${contextLength} tokens): Ctrl-C stops an answer, Ctrl-D quits`,
      );
      await interactive(session, output);
    } else {
      await fromPipe(session, output);
    }
    return 0;
  },
});

interface ChatRequest {
  format: string | undefined;
  thinking: boolean;
  sampling: Sampling;
  precision: StoragePrecision;
}

/** GPT-2: the run's prompt format (or --format), answers ending at <|endoftext|>. */
async function gptChat(directory: string, request: ChatRequest, context: CommandContext): Promise<Chatting> {
  if (request.thinking)
    throw new UsageError("chat: --thinking switches Qwen3's chat template; this is a GPT-2 model");
  const { contents, config, format } = await instructionModel(directory, request.format);
  await context.startBackend();
  checkMemory(config, {
    batchSize: 1,
    tokens: config.contextLength,
    training: false,
    baseWeights: request.precision,
  });
  const { model } = await loadModelDirectory(directory, contents, request.precision);
  await storeModelWeights(model, request.precision);
  const session = new ChatSession(model, {
    tokenizer: gpt2(),
    format,
    eosId: GPT2_EOT_ID,
    ...request.sampling,
  });
  return { session, formatName: format.name, contextLength: config.contextLength };
}

/** Qwen3, Llama 3.2, Gemma 3: the model's chat template (or --format), its own stop ids. */
async function openModelChat(
  directory: string,
  configJson: unknown,
  request: ChatRequest,
  context: CommandContext,
): Promise<Chatting> {
  const { tokenizer, format, stopIds } = await openChatModel(directory, configJson, {
    format: request.format,
    thinking: request.thinking,
    requireFormat: true,
  });
  if (format === undefined) throw new Error('openChatModel gives a format when one is required');
  await context.startBackend();
  const model = await loadOpenModelDirectory(directory, request.precision);
  await storeModelWeights(model, request.precision);
  const session = new ChatSession(model, { tokenizer, format, eosId: stopIds, ...request.sampling });
  return { session, formatName: format.name, contextLength: model.config.contextLength };
}

/** A note on stderr when the history was trimmed to fit. */
function noteTrimmed(answer: Pick<ChatAnswer, 'droppedTurns' | 'truncatedTokens'>, output: Output): void {
  if (answer.droppedTurns > 0) {
    const turns = answer.droppedTurns === 1 ? 'the oldest turn' : `the ${answer.droppedTurns} oldest turns`;
    output.note(`(left out ${turns}: the conversation no longer fits the context)`);
  }
  if (answer.truncatedTokens > 0)
    output.note(
      `(the message is too long for the context: its first ${answer.truncatedTokens} tokens were left out)`,
    );
}

/** From a pipe each answer is one line of output, so a line break inside one becomes a space. */
function joinLines(piece: string): string {
  return piece.replace(/\r\n|\r|\n/g, ' ');
}

async function fromPipe(session: ChatSession, output: Output): Promise<void> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    const message = line.trim();
    if (message === '') continue;
    const onPrompt = (trimmed: Parameters<typeof noteTrimmed>[0]) => noteTrimmed(trimmed, output);
    const answer = await session.answer(
      message,
      output.json ? { onPrompt } : { onPrompt, onText: (piece) => output.write(joinLines(piece)) },
    );
    if (output.json) {
      const { text, ended, tokens, droppedTurns } = answer;
      output.event({ message, response: text.trim(), ended, tokens, droppedTurns });
    } else {
      output.write('\n');
    }
  }
}

/** The terminal session: one answer at a time, lines typed meanwhile wait their turn. */
function interactive(session: ChatSession, output: Output): Promise<void> {
  const terminal: Interface = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    prompt: '> ',
  });
  let answering: AbortController | undefined;
  let closed = false;
  let busy = false;
  const waiting: string[] = [];
  return new Promise((resolve) => {
    const finish = () => {
      output.write('\n');
      resolve();
    };
    terminal.on('SIGINT', () => {
      if (answering) {
        answering.abort();
        return;
      }
      // At the prompt, Ctrl-C clears the line, as shells do; Ctrl-D is the way out.
      terminal.write('', { ctrl: true, name: 'u' });
      output.write('^C (Ctrl-D quits)\n');
      terminal.prompt();
    });
    terminal.on('close', () => {
      closed = true;
      answering?.abort();
      if (!busy) finish();
    });
    terminal.on('line', (line) => {
      waiting.push(line);
      void work();
    });
    async function work(): Promise<void> {
      if (busy) return;
      busy = true;
      while (waiting.length > 0 && !closed) {
        const message = (waiting.shift() as string).trim();
        if (message === '') {
          terminal.prompt();
          continue;
        }
        answering = new AbortController();
        try {
          const answer = await session.answer(message, {
            signal: answering.signal,
            onPrompt: (trimmed) => noteTrimmed(trimmed, output),
            onText: (piece) => output.write(piece),
          });
          output.write(answer.ended === 'stopped' ? ' [stopped]\n' : '\n');
        } catch (error) {
          output.note(`scratchgpt: ${(error as Error).message.split('\n')[0]}`);
        } finally {
          answering = undefined;
        }
        if (!closed) terminal.prompt();
      }
      busy = false;
      if (closed) finish();
    }
    terminal.prompt();
  });
}
