/**
 * Looks for a WebGPU adapter through Dawn in a short-lived child process (Node only).
 *
 * Dawn prints driver warnings to the process's stderr from native code when it opens a software
 * Vulkan device (llvmpipe reports limits Dawn must lower), and nothing in JavaScript can redirect
 * them. Probing in a child keeps them out of the user's terminal; Dawn is loaded in this process
 * only when WebGPU is actually used.
 */
import { errorMessage, importNodeOnly } from './environment.js';

// Node's own modules, imported where they are used so a browser bundle of this package never needs them.
type ChildProcess = typeof import('node:child_process');
type NodeModule = typeof import('node:module');
type NodeUrl = typeof import('node:url');

/** What the child reports of the adapter, or why there is none. */
export type ProbedAdapter =
  | {
      vendor: string;
      architecture: string;
      device: string;
      description: string;
      isFallbackAdapter: boolean;
    }
  | { reason: string };

const PROBE = `
const { create } = await import(process.argv[1]);
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const info = adapter?.info;
process.stdout.write(JSON.stringify(adapter == null ? null : {
  vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
  isFallbackAdapter: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
}));
process.exit(0);
`;

/** Where Dawn's `webgpu` package is, when this package can see it; else `undefined`. */
export async function locateDawn(): Promise<string | undefined> {
  const { createRequire } = (await importNodeOnly('node:module')) as NodeModule;
  const { pathToFileURL } = (await importNodeOnly('node:url')) as NodeUrl;
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return undefined;
  }
}

/**
 * Runs the probe against the Dawn module at `dawnUrl`. With `showWarnings` the child's stderr (Dawn's
 * own messages) is passed through; otherwise it is dropped unless the probe fails.
 */
export async function probeInChild(
  dawnUrl: string,
  showWarnings: boolean,
  timeoutMs = 60_000,
): Promise<ProbedAdapter> {
  const { spawn } = (await importNodeOnly('node:child_process')) as ChildProcess;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE, '--', dawnUrl], {
      stdio: ['ignore', 'pipe', showWarnings ? 'inherit' : 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) =>
      resolve({ reason: `the WebGPU probe could not start (${errorMessage(error)})` }),
    );
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const detail = stderr.trim().split('\n').at(-1) ?? '';
        const why = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
        resolve({ reason: `Dawn's WebGPU probe ${why}${detail ? ` (${detail})` : ''}` });
        return;
      }
      try {
        const adapter = JSON.parse(stdout) as ProbedAdapter | null;
        resolve(
          adapter ?? {
            reason:
              'Dawn found no WebGPU adapter (on Linux it needs a Vulkan driver, e.g. mesa-vulkan-drivers)',
          },
        );
      } catch {
        resolve({ reason: `Dawn's WebGPU probe printed something unexpected: ${stdout.slice(0, 200)}` });
      }
    });
  });
}
