import {
  type BackendChoice,
  type BackendPreference,
  BackendUnavailableError,
  initBackend,
} from '@scratchgpt/tensor';
import { CommandError } from './errors.js';
import type { Output } from './output.js';

/**
 * The Node-only backends are this application's dependencies (tfjs-node-gpu is optional: its install
 * downloads libtensorflow and often fails; koffi, the FFI that calls the machine's BLAS, is optional
 * too), so they are imported from here.
 */
const nodeGpuPackage = '@tensorflow/tfjs-node-gpu';
export const loaders = {
  'node-gpu': () => import(nodeGpuPackage),
  webgpu: () => import('webgpu'),
  blas: () => import('koffi'),
};

/** Starts the backend and says on stderr which one runs and why the faster ones were passed over. */
export async function startBackend(
  prefer: BackendPreference,
  output: Output,
  debug: boolean,
): Promise<BackendChoice> {
  let choice: BackendChoice;
  try {
    choice = await initBackend({ prefer, loaders, debug });
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new CommandError(error.message);
    throw error;
  }
  const adapter = choice.adapter ? ` on ${choice.adapter.description || choice.adapter.device}` : '';
  output.note(`backend: ${choice.backend}${adapter} (${choice.reason})`);
  for (const skipped of choice.skipped) output.note(`  skipped ${skipped.backend}: ${skipped.reason}`);
  return choice;
}
