/**
 * The Checkpoints card: which model the worker holds, saving it as config.json and model.safetensors
 * (either layout), loading those files back, and GPT-2 from the Hugging Face Hub with a progress bar.
 * The Hub is https://huggingface.co unless the page's `?hub=URL` names another (a mirror, or a test's).
 */
import { CONFIG_FILE, type GPTConfig, WEIGHTS_FILE } from '@scratchgpt/gpt-model';
import type { Layout, MessageOf, ModelSummary } from '../protocol.js';
import { download, pickCheckpointFiles } from '../ui/checkpoint-files.js';
import { byTestId } from '../ui/elements.js';
import { hasIdleModel, isIdle, type PanelDeps, type TaskState } from './tasks.js';

const DEFAULT_HUB = 'https://huggingface.co';

/** The most a config.json may take (they take a few KB): a larger file is refused unread. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

type HubSource = ModelSummary['source'] & { kind: 'hub' };

/** The Hub the page loads from: https://huggingface.co, or the page's `?hub=URL`. */
export function hubEndpoint(): string {
  return new URLSearchParams(location.search).get('hub') ?? DEFAULT_HUB;
}

export function createCheckpointsPanel(deps: PanelDeps) {
  const ui = {
    modelInfo: byTestId<HTMLElement>('model-info'),
    loadModel: byTestId<HTMLInputElement>('load-model'),
    saveLayout: byTestId<HTMLSelectElement>('save-layout'),
    saveModel: byTestId<HTMLButtonElement>('save-model'),
    hubModel: byTestId<HTMLInputElement>('hub-model'),
    loadHub: byTestId<HTMLButtonElement>('load-hub'),
    hubProgress: byTestId<HTMLProgressElement>('hub-progress'),
  };

  /** The status line once a Hub model is in the worker. */
  function describeHubLoad(source: HubSource): string {
    ui.hubProgress.hidden = true;
    const where = source.fromCache
      ? "from this browser's storage (nothing downloaded)"
      : `from the Hub (${megabytes(source.downloadedBytes)} downloaded, now kept in this browser)`;
    return `Loaded ${source.id} ${where}. Generate from it, or Resume to train it further.`;
  }

  ui.saveModel.addEventListener(
    'click',
    deps.guarded(() => {
      deps.setStatus('Reading the weights for the checkpoint…');
      deps.start({ type: 'save', layout: ui.saveLayout.value as Layout });
    }),
  );
  ui.loadModel.addEventListener(
    'change',
    deps.guarded(async () => {
      const files = pickCheckpointFiles([...(ui.loadModel.files ?? [])]);
      if (files.config.size > MAX_CONFIG_BYTES) {
        throw new Error(
          `${files.config.name} is ${files.config.size} bytes: a config.json takes a few KB; choose the checkpoint's own`,
        );
      }
      const config = await files.config.text();
      ui.loadModel.value = '';
      deps.setStatus(`Loading ${files.weights.name}…`);
      // The File itself goes to the worker (a handle, not its bytes): it is read there by range.
      deps.start({
        type: 'load',
        config,
        configName: files.config.name,
        weights: files.weights,
        weightsName: files.weights.name,
      });
    }),
  );
  ui.loadHub.addEventListener(
    'click',
    deps.guarded(() => {
      const id = ui.hubModel.value.trim();
      if (id === '') throw new Error('Type a model id first, e.g. gpt2');
      ui.hubProgress.value = 0;
      ui.hubProgress.hidden = false;
      deps.setStatus(`Looking up ${id} on the Hub…`);
      deps.start({ type: 'hub', id, endpoint: hubEndpoint() });
    }),
  );

  async function handle(message: MessageOf<'model' | 'checkpoint' | 'download' | 'error'>): Promise<void> {
    switch (message.type) {
      case 'model': {
        const { source } = message.model;
        ui.modelInfo.textContent = describeModel(message.model);
        if (source.kind === 'checkpoint')
          deps.setStatus(`Loaded ${source.name}. Generate from it, or Resume to train it further.`);
        if (source.kind === 'hub') deps.setStatus(describeHubLoad(source));
        return;
      }
      case 'checkpoint':
        await download(CONFIG_FILE, message.config, 'application/json');
        await download(WEIGHTS_FILE, message.weights, 'application/octet-stream');
        deps.setStatus(
          `Saved config.json and model.safetensors (${message.layout === 'hf' ? 'Hugging Face' : "the book's"} layout).`,
        );
        return;
      case 'download':
        if (deps.state.busy !== 'hub') return;
        ui.hubProgress.hidden = false;
        ui.hubProgress.value = message.total > 0 ? message.loaded / message.total : 1;
        deps.setStatus(
          `Downloading ${message.file}: ${megabytes(message.loaded)} of ${megabytes(message.total)}…`,
        );
        return;
      case 'error':
        ui.hubProgress.hidden = true;
        return;
    }
  }

  return {
    handle,
    refresh(state: Readonly<TaskState>): void {
      ui.saveModel.disabled = !hasIdleModel(state);
      ui.loadModel.disabled = !isIdle(state);
      ui.loadHub.disabled = !isIdle(state);
    },
  };
}

function describeModel(model: ModelSummary): string {
  const { config } = model;
  const origin =
    model.source.kind === 'preset'
      ? `a new ${model.source.preset}`
      : model.source.kind === 'hub'
        ? hubOrigin(model.source)
        : `${model.source.name} (${model.source.layout === 'hf' ? 'Hugging Face' : "the book's"} layout)`;
  return `Model: ${origin} · ${shape(config)} · ${model.parameters.toLocaleString('en-US')} parameters`;
}

function hubOrigin(source: HubSource): string {
  return `${source.id} from the Hub (commit ${source.commit.slice(0, 12)})`;
}

function shape(config: GPTConfig): string {
  return `${config.nLayers} layers, ${config.nHeads} heads, ${config.embDim}-d, context ${config.contextLength}`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
