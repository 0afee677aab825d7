/**
 * The Attention card: the heatmap of one head of one layer for the prompt, asked for by its button and
 * after every generation that ends well.
 */
import type { MessageOf } from '../protocol.js';
import { byTestId } from '../ui/elements.js';
import { heatmapMarkup } from '../ui/heatmap.js';
import { hasIdleModel, type PanelDeps, type TaskState } from './tasks.js';

export interface AttentionPanelDeps extends PanelDeps {
  /** The Generate card's prompt. */
  prompt(): string;
}

type AttentionMessages = MessageOf<'model' | 'attention' | 'generated' | 'error' | 'idle'>;

export function createAttentionPanel(deps: AttentionPanelDeps) {
  const ui = {
    layer: byTestId<HTMLSelectElement>('layer'),
    head: byTestId<HTMLSelectElement>('head'),
    showAttention: byTestId<HTMLButtonElement>('show-attention'),
    attentionInfo: byTestId<HTMLElement>('attention-info'),
    attention: byTestId<SVGSVGElement>('attention'),
  };
  let result: MessageOf<'attention'> | undefined;
  /** A generation ended with its text: draw the heatmap for the prompt once the worker is free. */
  let afterGeneration = false;

  function request(): void {
    const prompt = deps.prompt();
    if (prompt.trim() === '') throw new Error('The prompt is empty: type a few words to see their attention');
    deps.start({ type: 'attention', prompt });
  }

  function draw(): void {
    if (result == null) {
      ui.attention.replaceChildren();
      ui.attentionInfo.textContent = '';
      return;
    }
    const count = result.tokens.length;
    const layer = Number(ui.layer.value);
    const head = Number(ui.head.value);
    const offset = (layer * result.heads + head) * count * count;
    const heatmap = heatmapMarkup(result.tokens, result.weights.subarray(offset, offset + count * count));
    ui.attention.setAttribute('viewBox', heatmap.viewBox);
    ui.attention.setAttribute('width', String(heatmap.width));
    ui.attention.setAttribute('height', String(heatmap.height));
    ui.attention.innerHTML = heatmap.markup;
    const dropped =
      result.dropped > 0 ? ` (the first ${result.dropped} tokens of the prompt are left out)` : '';
    ui.attentionInfo.textContent = `Layer ${layer + 1}, head ${head + 1}: ${count} tokens${dropped}.`;
  }

  ui.showAttention.addEventListener('click', deps.guarded(request));
  ui.layer.addEventListener('change', draw);
  ui.head.addEventListener('change', draw);

  function handle(message: AttentionMessages): void {
    switch (message.type) {
      case 'model':
        result = undefined;
        fillNumberSelect(ui.layer, message.model.config.nLayers);
        fillNumberSelect(ui.head, message.model.config.nHeads);
        draw();
        return;
      case 'attention':
        result = message;
        draw();
        return;
      case 'generated':
        afterGeneration = true;
        return;
      case 'error':
        afterGeneration = false;
        return;
      case 'idle':
        if (message.task === 'generate' && afterGeneration) {
          afterGeneration = false;
          request();
        }
        return;
    }
  }

  return {
    handle,
    refresh(state: Readonly<TaskState>): void {
      ui.showAttention.disabled = !hasIdleModel(state);
    },
  };
}

function fillNumberSelect(select: HTMLSelectElement, count: number): void {
  const previous = Number(select.value);
  select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(String(i + 1), String(i))));
  select.value = String(previous < count ? previous : 0);
}
