/**
 * Helpers for test suites that run on every backend (this package's and the other packages').
 *
 * A backend that cannot start here is skipped with its reason, unless `SCRATCHGPT_REQUIRE_BACKENDS`
 * (a comma-separated list, set by CI) names it: then its absence fails the run loudly.
 */
import { initBackend } from './backend/init-backend.js';
import type { BackendName } from './backend/types.js';

export const testedBackends: readonly BackendName[] = ['cpu', 'wasm', 'webgpu'];

export interface BackendAvailability {
  backend: BackendName;
  available: boolean;
  reason?: string;
}

export function requiredBackends(): BackendName[] {
  const listed = typeof process === 'undefined' ? undefined : process.env.SCRATCHGPT_REQUIRE_BACKENDS;
  return (listed ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name): name is BackendName => name !== '');
}

/** Starts each tested backend once to see whether it runs here, then returns to cpu. */
export async function findTestBackends(): Promise<BackendAvailability[]> {
  const required = requiredBackends();
  const out: BackendAvailability[] = [];
  for (const backend of testedBackends) {
    try {
      await initBackend({ prefer: backend });
      out.push({ backend, available: true });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (required.includes(backend)) {
        throw new Error(`SCRATCHGPT_REQUIRE_BACKENDS names ${backend}, but it cannot start: ${reason}`);
      }
      out.push({ backend, available: false, reason });
    }
  }
  await initBackend({ prefer: 'cpu' });
  return out;
}
