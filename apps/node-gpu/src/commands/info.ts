import { type BackendName, initBackend, probeWebGPU } from '@scratchgpt/tensor';
import { type FlagSpec, parseFlags } from '../args.js';
import { loaders } from '../backend.js';
import type { Command } from './command.js';
import type { CommandContext } from './context.js';

const flags = {} as const satisfies FlagSpec;

interface Found {
  backend: BackendName;
  available: boolean;
  reason?: string;
  software?: boolean;
}

export const info: Command = {
  summary: 'backends found here, the one chosen, device limits',
  usage: 'scratchgpt info',
  help: `Lists the backends found here (and why any is unavailable), the one --backend chooses, and its device
limits.
With --json: {"backends":[{"backend","available","reason"?,"software"?}],"chosen","reason","skipped","limits","adapter"?}.`,
  async run(args, context) {
    parseFlags(args, flags, 'info');
    const backends = await findBackends(context);
    const choice = await context.startBackend();
    const result = {
      backends,
      chosen: choice.backend,
      reason: choice.reason,
      skipped: choice.skipped,
      limits: choice.limits,
      ...(choice.adapter ? { adapter: choice.adapter } : {}),
    };
    context.output.result(result, () => {
      const lines = backends.map(
        (b) =>
          `  ${b.available ? '✓' : '✗'} ${b.backend.padEnd(8)} ${b.available ? (b.software ? 'available (software adapter)' : 'available') : b.reason}`,
      );
      const limit = choice.limits.maxBindingBytes;
      return [
        'backends:',
        ...lines,
        `chosen: ${choice.backend} (${choice.reason})`,
        `largest tensor per binding: ${limit == null ? 'unlimited' : `${(limit / 2 ** 20).toFixed(0)} MiB`}`,
        ...Object.entries(choice.limits.details).map(([key, value]) => `  ${key}: ${value}`),
      ].join('\n');
    });
    return 0;
  },
};

/** Which backends start here. WebGPU is only probed (its adapter), so Dawn loads only if chosen. */
async function findBackends(context: CommandContext): Promise<Found[]> {
  const found: Found[] = [];
  for (const backend of ['node-gpu', 'webgpu', 'blas', 'wasm', 'cpu'] as const) {
    if (backend === 'webgpu') {
      const adapter = await probeWebGPU(loaders.webgpu, { debug: context.debug });
      found.push(
        'reason' in adapter
          ? { backend, available: false, reason: adapter.reason }
          : { backend, available: true, software: adapter.software },
      );
      continue;
    }
    try {
      await initBackend({ prefer: backend, loaders, debug: context.debug });
      found.push({ backend, available: true });
    } catch (error) {
      const reason = (error as Error).message.replace(/^The \S+ backend is not available: /, '');
      found.push({ backend, available: false, reason });
    }
  }
  return found;
}
