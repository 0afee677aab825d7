/**
 * The chat panel's conversation: each message and its answer as the log draws them, the answer growing
 * as it streams, and the finished turns as chat messages (what a server is sent). The in-tab model and
 * a server both answer through it.
 */
import type { ChatAnswer } from '@scratchgpt/instruct';
import type { ChatMessage } from '../server-client.js';

export type Ended = ChatAnswer['ended'];

export function createConversation(log: HTMLElement) {
  /** The finished turns; a stopped answer stays as far as it went, as the in-tab chat keeps it. */
  let turns: { user: string; assistant: string }[] = [];
  /** The turn being answered: its message and the answer's element. */
  let pending: { user: string; answer: HTMLElement } | undefined;

  return {
    /** Shows the user's message and an empty answer to fill. */
    ask(message: string): void {
      const user = document.createElement('p');
      user.className = 'turn user';
      user.textContent = message;
      const answer = document.createElement('p');
      answer.className = 'turn assistant streaming';
      answer.dataset.testid = 'chat-answer';
      log.append(user, answer);
      log.scrollTop = log.scrollHeight;
      pending = { user: message, answer };
    },
    /** The answer so far. */
    grow(text: string): void {
      if (pending) pending.answer.textContent = text;
    },
    finish(text: string, ended: Ended): void {
      if (!pending) return;
      showEnd(pending.answer, text, ended);
      turns.push({ user: pending.user, assistant: text.trim() });
      pending = undefined;
    },
    /** The answer failed: its message stays shown, its empty answer goes. */
    fail(): void {
      pending?.answer.remove();
      pending = undefined;
    },
    clear(): void {
      log.replaceChildren();
      turns = [];
      pending = undefined;
    },
    /** The finished turns and the message being answered, as chat messages. */
    messages(): ChatMessage[] {
      const finished = turns.flatMap(({ user, assistant }): ChatMessage[] => [
        { role: 'user', content: user },
        { role: 'assistant', content: assistant },
      ]);
      return pending ? [...finished, { role: 'user', content: pending.user }] : finished;
    },
  };
}

export type Conversation = ReturnType<typeof createConversation>;

function showEnd(answer: HTMLElement, text: string, ended: Ended): void {
  answer.textContent = text;
  answer.classList.remove('streaming');
  answer.dataset.ended = ended;
  if (ended !== 'end-of-text') {
    const marker = document.createElement('span');
    marker.className = 'ended';
    marker.textContent = ended === 'stopped' ? ' [stopped]' : ' [token limit]';
    answer.append(marker);
  }
  answer.parentElement?.scrollTo({ top: answer.parentElement.scrollHeight });
}
