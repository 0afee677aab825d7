import { type BackendName, initBackend, probeWebGPU } from '@scratchgpt/tensor';
import { type FlagSpec, parseFlags } from '../args.js';
import { loaders } from '../backend.js';
import { describeGpt2Fit, type Gpt2Fit, gpt2Fit } from '../gpt2-fit.js';
import type { CommandContext } from './context.js';

export const infoFlags = {} as const satisfies FlagSpec;

export const infoHelp = `scratchgpt info

Lists the backends found here (and why any is unavailable), the one --backend chooses, and its device
limits, and which GPT-2 sizes fit each backend's memory where it has a ceiling (wasm's 4 GiB heap; on
cpu this machine's memory). With --json: {"backends":[{"backend","available","reason"?,
"gpt2"?:{"ceiling","generate","train"}}],"chosen","reason","skipped","limits","adapter"?}.`;

export async function runInfo(args: string[], context: CommandContext): Promise<number> {
  parseFlags(args, infoFlags, 'info');
  const backends: Array<{
    backend: BackendName;
    available: boolean;
    reason?: string;
    software?: boolean;
    gpt2?: Gpt2Fit;
  }> = [];
  for (const backend of ['node-gpu', 'webgpu', 'wasm', 'cpu'] as const) {
    try {
      await initBackend({ prefer: backend, loaders });
      const adapter = backend === 'webgpu' ? await probeWebGPU(loaders.webgpu) : undefined;
      backends.push({
        backend,
        available: true,
        ...(adapter && !('reason' in adapter) ? { software: adapter.software } : {}),
        gpt2: gpt2Fit(),
      });
    } catch (error) {
      backends.push({
        backend,
        available: false,
        reason: (error as Error).message.replace(/^The \S+ backend is not available: /, ''),
      });
    }
  }
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
        `  ${b.available ? '✓' : '✗'} ${b.backend.padEnd(8)} ${b.available ? (b.software ? 'available (software adapter)' : 'available') : b.reason}` +
        (b.gpt2 ? `\n             ${describeGpt2Fit(b.gpt2)}` : ''),
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
}
