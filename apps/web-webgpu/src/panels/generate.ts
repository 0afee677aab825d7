/** The Generate card: the prompt and the sampling settings, and the text as it streams in. */
import type { MessageOf } from '../protocol.js';
import { byTestId } from '../ui/elements.js';
import { readInteger, readNumber } from '../ui/form.js';
import { hasIdleModel, type PanelDeps, type TaskState } from './tasks.js';

export function createGeneratePanel(deps: PanelDeps) {
  const ui = {
    prompt: byTestId<HTMLInputElement>('prompt'),
    temperature: byTestId<HTMLInputElement>('temperature'),
    topK: byTestId<HTMLInputElement>('top-k'),
    maxNewTokens: byTestId<HTMLInputElement>('max-new-tokens'),
    generate: byTestId<HTMLButtonElement>('generate'),
    output: byTestId<HTMLElement>('output'),
  };

  ui.generate.addEventListener(
    'click',
    deps.guarded(() => {
      const prompt = ui.prompt.value;
      if (prompt.trim() === '') throw new Error('The prompt is empty: type a few words to continue');
      const request = {
        prompt,
        temperature: readNumber(ui.temperature, 'Temperature', (v) => v >= 0, 'a number ≥ 0'),
        topK: readInteger(ui.topK, 'Top-k', 0),
        maxNewTokens: readInteger(ui.maxNewTokens, 'New tokens', 1, 1024),
      };
      const promptSpan = document.createElement('span');
      promptSpan.className = 'prompt';
      promptSpan.textContent = prompt;
      ui.output.replaceChildren(promptSpan, document.createElement('span'));
      deps.setStatus('Generating…');
      deps.start({ type: 'generate', ...request });
    }),
  );

  return {
    /** The prompt as typed (the attention heatmap is drawn for it too). */
    prompt: (): string => ui.prompt.value,
    handle(message: MessageOf<'token' | 'generated'>): void {
      ui.output.lastElementChild!.textContent = message.text;
      if (message.type === 'generated')
        deps.setStatus(`${message.stopped ? 'Stopped after' : 'Generated'} ${message.tokens} tokens.`);
    },
    refresh(state: Readonly<TaskState>): void {
      ui.generate.disabled = !hasIdleModel(state);
    },
  };
}
