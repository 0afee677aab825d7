import {
  autocastPrecisions,
  type BackendName,
  initBackend,
  probeWebGPU,
  type StoragePrecision,
  storagePrecisions,
  webgpuDeviceFeatures,
} from '@scratchgpt/tensor';
import { loaders } from '../backend.js';
import { describeGpt2Fit, type Gpt2Fit, gpt2Fit, withoutCeiling } from '../gpt2-fit.js';
import { defineCommand } from './command.js';
import type { CommandContext } from './context.js';

interface Found {
  backend: BackendName;
  available: boolean;
  reason?: string;
  software?: boolean;
  /** Which GPT-2 sizes fit its memory (WebGPU, only probed here, reports no total). */
  gpt2?: Gpt2Fit;
  /** The precisions weights can be stored in there (`--precision`). */
  precisions?: readonly StoragePrecision[];
}

export const info = defineCommand({
  summary: 'backends found here, the one chosen, device limits',
  description: `Lists the backends found here (and why any is unavailable), the one --backend chooses, and its device
limits, and which GPT-2 sizes fit each backend's memory where it has a ceiling (wasm's 4 GiB heap):
generation over the whole context, training at batch 1, context 256; the precisions weights can be
stored in for generate, chat and serve (--precision): f32, and f16 and bf16 on every backend, widened
to f32 by the kernels that read them (node-gpu widens them on the host); and the training precisions
(--precision of the training commands): f32, f16 or bf16 on every backend (16-bit products, weights
kept f32), WebGPU with shader-f16 computing the f16 products from halves.`,
  flags: {},
  notes: `With --json: {"backends":[{"backend","available","reason"?,"software"?,"gpt2"?:{"ceilingBytes",
"maxBufferBytes","generate","train"},"precisions"?}],"chosen","reason","skipped","limits","adapter"?,
"trainingPrecisions":{"precisions","halfProducts"}} (precisions: the weights' storage; halfProducts: the
chosen backend computes f16 products from halves).`,
  async run(_values, context) {
    const backends = await findBackends(context);
    const choice = await context.startBackend();
    const halfProducts = choice.backend === 'webgpu' && webgpuDeviceFeatures().f16;
    const result = {
      backends,
      chosen: choice.backend,
      reason: choice.reason,
      skipped: choice.skipped,
      limits: choice.limits,
      ...(choice.adapter ? { adapter: choice.adapter } : {}),
      trainingPrecisions: { precisions: autocastPrecisions, halfProducts },
    };
    context.output.result(result, () => {
      const lines = backends.map(
        (b) =>
          `  ${b.available ? '✓' : '✗'} ${b.backend.padEnd(8)} ${b.available ? (b.software ? 'available (software adapter)' : 'available') : b.reason}` +
          (b.gpt2 ? `\n             ${describeGpt2Fit(b.gpt2)}` : '') +
          (b.precisions ? `\n             weights: ${b.precisions.join(', ')}` : ''),
      );
      const limit = choice.limits.maxBindingBytes;
      return [
        'backends:',
        ...lines,
        `chosen: ${choice.backend} (${choice.reason})`,
        `largest tensor per binding: ${limit == null ? 'unlimited' : `${(limit / 2 ** 20).toFixed(0)} MiB`}`,
        ...Object.entries(choice.limits.details).map(([key, value]) => `  ${key}: ${value}`),
        `training precisions: ${autocastPrecisions.join(', ')} (f16 and bf16 round the products; weights stay f32)`,
        `  f16 products from halves on ${choice.backend}: ${halfProducts ? 'yes (shader-f16)' : choice.backend === 'webgpu' ? 'no (the device lacks shader-f16)' : 'no (WebGPU with shader-f16 only)'}`,
      ].join('\n');
    });
    return 0;
  },
});

/** Which backends start here. WebGPU is only probed (its adapter), so Dawn loads only if chosen. */
async function findBackends(context: CommandContext): Promise<Found[]> {
  const found: Found[] = [];
  for (const backend of ['node-gpu', 'webgpu', 'blas', 'wasm', 'cpu'] as const) {
    if (backend === 'webgpu') {
      const adapter = await probeWebGPU(loaders.webgpu, { debug: context.debug });
      found.push(
        'reason' in adapter
          ? { backend, available: false, reason: adapter.reason }
          : {
              backend,
              available: true,
              software: adapter.software,
              gpt2: withoutCeiling(),
              precisions: storagePrecisions,
            },
      );
      continue;
    }
    try {
      await initBackend({ prefer: backend, loaders, debug: context.debug });
      found.push({ backend, available: true, gpt2: gpt2Fit(), precisions: storagePrecisions });
    } catch (error) {
      const reason = (error as Error).message.replace(/^The \S+ backend is not available: /, '');
      found.push({ backend, available: false, reason });
    }
  }
  return found;
}
