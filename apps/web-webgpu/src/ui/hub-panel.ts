/**
 * The page's side of GPT-2 from the Hugging Face Hub: the model id and the button, the download's
 * progress bar, and what to say once it loaded (downloaded, or from the browser's storage). The Hub is
 * https://huggingface.co unless the page's `?hub=URL` names another (a mirror, or a test's).
 */
import type { FromWorker, ModelSummary, ToWorker } from '../protocol.js';
import type { Elements } from './elements.js';

export const DEFAULT_HUB = 'https://huggingface.co';

export function hubEndpoint(search: string): string {
  return new URLSearchParams(search).get('hub') ?? DEFAULT_HUB;
}

export function hubRequest(ui: Elements, endpoint: string): ToWorker & { type: 'hub' } {
  const id = ui.hubModel.value.trim();
  if (id === '') throw new Error('Type a model id first, e.g. gpt2');
  ui.hubProgress.value = 0;
  ui.hubProgress.hidden = false;
  return { type: 'hub', id, endpoint };
}

/** `model.safetensors: 1.2 MB of 548.1 MB` */
export function showDownload(ui: Elements, message: FromWorker & { type: 'download' }): string {
  ui.hubProgress.hidden = false;
  ui.hubProgress.value = message.total > 0 ? message.loaded / message.total : 1;
  return `Downloading ${message.file}: ${megabytes(message.loaded)} of ${megabytes(message.total)}…`;
}

/** The status line once a Hub model is in the worker. */
export function describeHubLoad(ui: Elements, source: ModelSummary['source'] & { kind: 'hub' }): string {
  ui.hubProgress.hidden = true;
  const where = source.fromCache
    ? "from this browser's storage (nothing downloaded)"
    : `from the Hub (${megabytes(source.downloadedBytes)} downloaded, now kept in this browser)`;
  return `Loaded ${source.id} ${where}. Generate from it, or Resume to train it further.`;
}

export function hubOrigin(source: ModelSummary['source'] & { kind: 'hub' }): string {
  return `${source.id} from the Hub (commit ${source.commit.slice(0, 12)})`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
