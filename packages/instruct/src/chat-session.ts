/**
 * A conversation with an instruction-tuned model: each message is answered in the model's prompt
 * format after the turns before it, streamed piece by piece, ending at the end-of-text id. The
 * history is kept within the context window: the oldest turns go first.
 */
import { type GenerativeModel, generateStream, type SamplingOptions } from '@scratchgpt/gpt-model';
import { Generator } from '@scratchgpt/tensor';
import type { Tokenizer } from '@scratchgpt/tokenizer';
import { END_OF_TEXT_ID } from './collate.js';
import { answerReserve, chatPrompt } from './conversation.js';
import type { ChatTurn, PromptFormat } from './prompt-format.js';

export interface ChatSessionOptions extends Omit<SamplingOptions, 'generator'> {
  tokenizer: Tokenizer;
  format: PromptFormat;
  /** The longest answer (default 256). */
  maxNewTokens?: number;
  /** Where an answer ends: default 50256; several ids for models with several; `null`: never early. */
  eosId?: number | readonly number[] | null;
  /** Seeds sampling for the whole conversation (default 0). */
  seed?: number;
}

export interface ChatAnswer {
  text: string;
  tokens: number;
  ended: 'end-of-text' | 'token-limit' | 'stopped';
  /** Oldest turns left out of the history to make room for this one. */
  droppedTurns: number;
  /** Tokens cut from the start of a message too long for the context. */
  truncatedTokens: number;
}

export class ChatSession {
  readonly #model: GenerativeModel;
  readonly #options: ChatSessionOptions;
  readonly #generator: Generator;
  #history: ChatTurn[] = [];

  /** `model`: GPT-2's `GPTModel`, an open family's `DecoderModel`, or any model generation runs. */
  constructor(model: GenerativeModel, options: ChatSessionOptions) {
    this.#model = model;
    this.#options = options;
    this.#generator = new Generator(options.seed ?? 0);
  }

  /** The turns the next prompt starts from. */
  get history(): readonly ChatTurn[] {
    return this.#history;
  }

  reset(): void {
    this.#history = [];
  }

  /**
   * Answers `message`, calling `onText` with each new piece of text (and `onPrompt` first, with what
   * the history lost to fit). A stopped answer (the signal) stays in the history as far as it went.
   */
  async answer(
    message: string,
    options: {
      signal?: AbortSignal;
      onText?: (piece: string) => void;
      onPrompt?: (trimmed: Pick<ChatAnswer, 'droppedTurns' | 'truncatedTokens'>) => void;
    } = {},
  ): Promise<ChatAnswer> {
    const { tokenizer, format, temperature, topK, topP } = this.#options;
    const maxNewTokens = this.#options.maxNewTokens ?? 256;
    const eosId = this.#options.eosId === undefined ? END_OF_TEXT_ID : this.#options.eosId;
    const stopIds = new Set(eosId === null ? [] : typeof eosId === 'number' ? [eosId] : eosId);
    const { contextLength } = this.#model.config;
    const prompt = chatPrompt(this.#history, message, {
      tokenizer,
      format,
      contextLength,
      reserve: answerReserve(contextLength, maxNewTokens),
    });
    this.#history.splice(0, prompt.droppedTurns);
    options.onPrompt?.({ droppedTurns: prompt.droppedTurns, truncatedTokens: prompt.truncatedTokens });
    const ids: number[] = [];
    let text = '';
    let ended: ChatAnswer['ended'] = 'token-limit';
    const stream = generateStream(this.#model, prompt.ids, {
      maxNewTokens,
      ...(eosId === null ? {} : { eosId }),
      ...(temperature !== undefined ? { temperature } : {}),
      ...(topK !== undefined ? { topK } : {}),
      ...(topP !== undefined ? { topP } : {}),
      generator: this.#generator,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const id of stream) {
      if (stopIds.has(id)) {
        ended = 'end-of-text';
        break;
      }
      ids.push(id);
      // Decoding all new tokens each time keeps a character split across tokens whole.
      // A token may end inside a character: hold back its replacement marks until the next completes it.
      const decoded = tokenizer.decode(ids).replace(/\uFFFD+$/, '');
      if (decoded.length > text.length) {
        options.onText?.(decoded.slice(text.length));
        text = decoded;
      }
    }
    if (options.signal?.aborted && ended !== 'end-of-text') ended = 'stopped';
    const finished = tokenizer.decode(ids);
    if (finished.length > text.length) options.onText?.(finished.slice(text.length));
    this.#history.push({ user: message, assistant: finished.trim() });
    return {
      text: finished,
      tokens: ids.length,
      ended,
      droppedTurns: prompt.droppedTurns,
      truncatedTokens: prompt.truncatedTokens,
    };
  }
}
