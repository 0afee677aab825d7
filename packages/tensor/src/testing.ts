/**
 * Helpers for test suites that run on every backend (this package's and the other packages').
 *
 * A backend that cannot start here is skipped with its reason, unless `SCRATCHGPT_REQUIRE_BACKENDS`
 * (a comma-separated list, set by CI) names it: then its absence fails the run loudly.
 */
import { initBackend } from './backend/init-backend.js';
import type { BackendName } from './backend/types.js';

export const testedBackends: readonly BackendName[] = ['cpu', 'wasm', 'blas', 'webgpu'];

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

/** The largest |a[i] − b[i]|; Infinity when the lengths differ or a value is NaN on one side only. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Object.is(x, y)) continue;
    const diff = Math.abs(x - y);
    worst = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : Math.max(worst, diff);
  }
  return worst;
}
