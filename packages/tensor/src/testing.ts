/**
 * Helpers for test suites that run on every backend (this package's and the other packages').
 *
 * A backend that cannot start here is skipped with its reason, unless `SCRATCHGPT_REQUIRE_BACKENDS`
 * (a comma-separated list, set by CI) names it: then its absence fails the run loudly.
 */
import { initBackend } from './backend/init-backend.js';
import type { BackendName } from './backend/types.js';
import { tf } from './tf.js';

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

export interface LiveTensorBytes {
  /**
   * Bytes of tensor data made since tracking began that the backend still holds (each buffer once,
   * however many tensors share it).
   */
  readonly now: number;
  /** The most it held at once since tracking began or `resetPeak`. */
  readonly peak: number;
  resetPeak(): void;
  /** Puts the backend's methods back. */
  stop(): void;
}

type WasmStorage = {
  move(dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: unknown,
  ): { dataId: object };
  disposeData(dataId: object, force?: boolean): boolean;
};

/**
 * Follows the wasm backend's tensor buffers as they are made and freed, to measure what a computation
 * really holds: `tf.memory().numBytes` counts every tensor, so data shared by a reshape or a saved
 * copy counts twice. Only where the active backend is wasm.
 */
export function trackWasmTensorBytes(): LiveTensorBytes {
  if (tf.getBackend() !== 'wasm') throw new Error('trackWasmTensorBytes: the active backend is not wasm');
  const backend = tf.backend() as unknown as WasmStorage;
  const { move, makeOutput, disposeData } = backend;
  const held = new Map<object, number>();
  let now = 0;
  let peak = 0;
  const hold = (dataId: object, shape: number[], dtype: tf.DataType) => {
    if (dtype === 'string' || held.has(dataId)) return;
    const bytes = tf.util.sizeFromShape(shape) * tf.util.bytesPerElement(dtype);
    held.set(dataId, bytes);
    now += bytes;
    peak = Math.max(peak, now);
  };
  backend.move = function (dataId, values, shape, dtype, refCount) {
    move.call(this, dataId, values, shape, dtype, refCount);
    hold(dataId, shape, dtype);
  };
  backend.makeOutput = function (shape, dtype, memoryOffset, values) {
    const info = makeOutput.call(this, shape, dtype, memoryOffset, values);
    // With an offset the kernel wrote into memory it allocated itself; without, `move` saw it.
    if (memoryOffset != null) hold(info.dataId, shape, dtype);
    return info;
  };
  backend.disposeData = function (dataId, force) {
    const freed = disposeData.call(this, dataId, force);
    const bytes = held.get(dataId);
    if (freed && bytes !== undefined) {
      held.delete(dataId);
      now -= bytes;
    }
    return freed;
  };
  return {
    get now() {
      return now;
    },
    get peak() {
      return peak;
    },
    resetPeak: () => {
      peak = now;
    },
    stop: () => {
      const own = backend as Partial<WasmStorage>;
      delete own.move;
      delete own.makeOutput;
      delete own.disposeData;
    },
  };
}

interface RecordingState {
  state: {
    activeTape: Array<{ saved?: tf.Tensor[] }> | null;
    registeredVariables: Record<string, tf.Variable>;
  };
}

/**
 * Bytes of the tensors the gradient being recorded keeps for its backward pass so far, each buffer
 * once; a variable's storage (a weight, there anyway) is left out. Call it inside the function whose
 * gradient is taken.
 */
export function keptForBackwardBytes(): number {
  const { activeTape, registeredVariables } = (tf.engine() as unknown as RecordingState).state;
  const variables = new Set(Object.values(registeredVariables).map((variable) => variable.dataId));
  const kept = new Map<tf.DataId, number>();
  for (const node of activeTape ?? []) {
    for (const t of node.saved ?? []) {
      if (!variables.has(t.dataId)) kept.set(t.dataId, t.size * tf.util.bytesPerElement(t.dtype));
    }
  }
  return [...kept.values()].reduce((sum, bytes) => sum + bytes, 0);
}
