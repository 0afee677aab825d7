/**
 * The chat panel's answers from a server (`?server=URL`, `scratchgpt serve`) instead of the model in
 * this tab: the server's models to pick from, and each answer streamed into the same conversation.
 */
import { listServerModels, streamServerChat } from '../server-client.js';
import type { Conversation, Ended } from '../ui/chat-log.js';
import { byTestId } from '../ui/elements.js';

export interface ServerChatDeps {
  conversation: Conversation;
  setStatus(text: string): void;
  showFailure(text: string): void;
  /** An answer started or ended, or the models arrived: the panel's buttons follow. */
  changed(): void;
}

export interface AnswerSettings {
  maxTokens: number;
  temperature: number;
}

export function connectServerChat(server: URL, deps: ServerChatDeps) {
  const ui = {
    box: byTestId<HTMLElement>('chat-server'),
    url: byTestId<HTMLElement>('chat-server-url'),
    model: byTestId<HTMLSelectElement>('chat-server-model'),
  };
  ui.box.hidden = false;
  ui.url.textContent = server.href;
  let hasModels = false;
  /** Aborts the answer streaming in, if one is. */
  let answering: AbortController | undefined;

  async function loadModels(): Promise<void> {
    deps.setStatus(`Asking ${server.origin} for its models…`);
    try {
      const ids = await listServerModels(server);
      ui.model.replaceChildren(...ids.map((id) => new Option(id, id)));
      hasModels = true;
      deps.setStatus(`Connected to ${server.origin}: pick a model and send a message.`);
    } catch (error) {
      deps.showFailure(`Could not list the server's models: ${messageOf(error)}`);
    }
    deps.changed();
  }

  /** Answers the conversation's last message, streamed; failures show in the status line. */
  async function answer(settings: AnswerSettings): Promise<Ended | undefined> {
    const stop = new AbortController();
    answering = stop;
    deps.changed();
    try {
      const chat = { model: ui.model.value, messages: deps.conversation.messages(), ...settings };
      const result = await streamServerChat(server, chat, deps.conversation.grow, stop.signal);
      deps.conversation.finish(result.text, result.ended);
      return result.ended;
    } catch (error) {
      deps.conversation.fail();
      deps.showFailure(messageOf(error));
      return undefined;
    } finally {
      answering = undefined;
      deps.changed();
    }
  }

  return {
    loadModels,
    answer,
    stop: () => answering?.abort(),
    /** Whether a message can be sent now: the models are listed and no answer is streaming. */
    canSend: () => hasModels && answering === undefined,
    isAnswering: () => answering !== undefined,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
