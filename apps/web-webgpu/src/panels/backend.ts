/**
 * The page's header: the backend asked for in the address (`?backend=`, `?kernels=`, `?threads=`),
 * the one the worker started and why, and a link to the other one.
 */
import type { BackendRequest, KernelRequest, MessageOf } from '../protocol.js';
import { byTestId } from '../ui/elements.js';
import type { PanelDeps } from './tasks.js';

export function createBackendPanel(deps: PanelDeps) {
  const ui = {
    backend: byTestId<HTMLElement>('backend'),
    backendNote: byTestId<HTMLElement>('backend-note'),
    backendReason: byTestId<HTMLElement>('backend-reason'),
    switchBackend: byTestId<HTMLAnchorElement>('switch-backend'),
  };
  const params = new URLSearchParams(location.search);
  const asked = params.get('backend');
  const prefer: BackendRequest = asked === 'wasm' || asked === 'webgpu' ? asked : 'auto';
  const kernels: KernelRequest = params.get('kernels') === 'tfjs' ? 'tfjs' : 'scratchgpt';
  const threads = threadsAsked(params.get('threads'));

  /** A link to the other backend: the one `auto` passed over, or back to the automatic choice. */
  function offerOtherBackend(alternative: BackendRequest | null): void {
    ui.switchBackend.hidden = alternative == null;
    if (alternative == null) return;
    ui.switchBackend.href = `?backend=${alternative}`;
    ui.switchBackend.textContent = alternative === 'webgpu' ? 'use WebGPU anyway' : 'use wasm instead';
  }

  return {
    /** Starts the backend the address asks for. */
    init(): void {
      deps.start({ type: 'init', prefer, kernels, threads: threads.count });
    },
    handle(message: MessageOf<'backend'>): void {
      ui.backend.textContent = message.adapter ? `${message.backend} · ${message.adapter}` : message.backend;
      ui.backend.dataset.backend = message.backend;
      ui.backendReason.textContent = [
        `${prefer === 'auto' ? 'Chosen automatically' : 'Asked for'}: ${message.reason}.`,
        ...message.skipped.map((line) => `Skipped ${line}.`),
      ].join(' ');
      const note = [message.note, threads.problem].filter((line) => line != null).join(' ');
      ui.backendNote.textContent = note;
      ui.backendNote.hidden = note === '';
      offerOtherBackend(message.alternative);
      deps.setStatus(`Ready: training runs on ${message.backend} in a worker.`);
    },
  };
}

/** `?threads=N` for wasm's threaded build: a whole number from 1 to 64, or a line saying why not. */
function threadsAsked(value: string | null): { count: number | null; problem: string | null } {
  if (value == null) return { count: null, problem: null };
  const count = /^\d{1,2}$/.test(value) ? Number(value) : Number.NaN;
  if (count >= 1 && count <= 64) return { count, problem: null };
  const shown = value.length > 20 ? `${value.slice(0, 20)}…` : value;
  return {
    count: null,
    problem: `?threads= takes a whole number from 1 to 64, not "${shown}": wasm uses every core.`,
  };
}
