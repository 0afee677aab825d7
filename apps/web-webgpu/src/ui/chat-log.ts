/** The chat panel's conversation: each message and its answer, the answer growing as it streams. */
import type { ChatAnswer } from '@scratchgpt/instruct';

/** Adds the user's message and an empty answer; returns the answer's element. */
export function appendTurn(log: HTMLElement, message: string): HTMLElement {
  const user = document.createElement('p');
  user.className = 'turn user';
  user.textContent = message;
  const answer = document.createElement('p');
  answer.className = 'turn assistant streaming';
  answer.dataset.testid = 'chat-answer';
  log.append(user, answer);
  log.scrollTop = log.scrollHeight;
  return answer;
}

export function showAnswer(answer: HTMLElement, text: string, ended?: ChatAnswer['ended']): void {
  answer.textContent = text;
  if (ended === undefined) return;
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
