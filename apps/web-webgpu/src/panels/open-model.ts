/**
 * The chat card's open model: a Qwen3, Llama 3.2 or Gemma 3 from the Hugging Face Hub (Qwen/Qwen3-0.6B
 * by default), loaded with a progress bar after its size and the memory check are shown, then chosen
 * to answer in the chat with its own chat template (Qwen3's thinking off unless ticked). Its weights
 * are stored in bf16 unless the card says otherwise. The Hub is the page's `?hub=URL`, as for GPT-2.
 */
import type { StoragePrecision } from '@scratchgpt/tensor';
import type { OpenModelSummary } from '../open-model-protocol.js';
import type { ChatModelChoice, MessageOf } from '../protocol.js';
import { byTestId } from '../ui/elements.js';
import { describeOpenModelCheck } from '../ui/open-model-check.js';
import { hubEndpoint, megabytes } from './checkpoints.js';
import { isIdle, type PanelDeps, type TaskState } from './tasks.js';

type OpenModelMessages = MessageOf<'open-model-check' | 'open-model-loaded' | 'download' | 'error' | 'model'>;

/** The select's value as a storage precision (bf16, the default, for anything else). */
function precisionOf(value: string): StoragePrecision {
  return value === 'f32' || value === 'f16' ? value : 'bf16';
}

export function createOpenModelPanel(deps: PanelDeps) {
  const ui = {
    id: byTestId<HTMLInputElement>('open-model-id'),
    precision: byTestId<HTMLSelectElement>('open-model-precision'),
    load: byTestId<HTMLButtonElement>('load-open-model'),
    progress: byTestId<HTMLProgressElement>('open-model-progress'),
    info: byTestId<HTMLElement>('open-model-info'),
    answerWith: byTestId<HTMLSelectElement>('chat-model'),
    thinking: byTestId<HTMLInputElement>('chat-thinking'),
    thinkingLabel: byTestId<HTMLElement>('chat-thinking-label'),
  };
  const openOption = () => ui.answerWith.querySelector<HTMLOptionElement>('option[value="open"]')!;

  ui.load.addEventListener(
    'click',
    deps.guarded(() => {
      const id = ui.id.value.trim();
      if (id === '') throw new Error('Type a model id first, e.g. Qwen/Qwen3-0.6B');
      ui.progress.value = 0;
      ui.progress.hidden = false;
      deps.setStatus(`Reading the config.json of ${id} on the Hub…`, 'open-model');
      deps.start({
        type: 'open-model',
        id,
        endpoint: hubEndpoint(),
        precision: precisionOf(ui.precision.value),
      });
    }),
  );

  function loaded(model: OpenModelSummary): void {
    ui.progress.hidden = true;
    const option = openOption();
    option.disabled = false;
    option.textContent = `${model.check.id} (its chat template)`;
    ui.answerWith.value = 'open';
    ui.thinkingLabel.hidden = !model.thinkingSwitch;
    const where = model.fromCache
      ? "from this browser's storage (nothing downloaded)"
      : `from the Hub (${megabytes(model.downloadedBytes)} downloaded, now kept in this browser)`;
    deps.setStatus(`Loaded ${model.check.id} ${where}. It answers the chat below.`, 'open-model');
  }

  function handle(message: OpenModelMessages): void {
    switch (message.type) {
      case 'open-model-check':
        ui.info.textContent = describeOpenModelCheck(message.check);
        return;
      case 'open-model-loaded':
        loaded(message.model);
        return;
      case 'download':
        if (deps.state.busy !== 'open-model') return;
        ui.progress.value = message.total > 0 ? message.loaded / message.total : 1;
        deps.setStatus(
          `Downloading ${message.file}: ${megabytes(message.loaded)} of ${megabytes(message.total)}…`,
        );
        return;
      case 'model':
        // A GPT trained or loaded above is what the chat answers with next.
        ui.answerWith.value = 'gpt';
        return;
      case 'error':
        if (message.task === 'open-model') ui.progress.hidden = true;
        return;
    }
  }

  return {
    handle,
    /** Which model answers the chat, and whether Qwen3 thinks first. */
    answerWith(): { model: ChatModelChoice; thinking: boolean } {
      return { model: ui.answerWith.value === 'open' ? 'open' : 'gpt', thinking: ui.thinking.checked };
    },
    refresh(state: Readonly<TaskState>): void {
      ui.load.disabled = !isIdle(state);
    },
  };
}
