/**
 * The packed packages with the lowest TF.js versions their ranges accept, installed from the npm
 * registry into a fresh npm project: the conformance suite on every backend and ten AdamW steps of the
 * GPT model against PyTorch's (smoke.mjs). The versions are read from the packed
 * `@scratchgpt/tensor`, so widening a range without passing here fails. blas is the wasm backend with
 * BLAS products, so it is held to wasm's lowest version; koffi is installed at its peer version.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../run.js';
import { createNpmProject } from './npm-project.js';
import { type PackageManifest, type PackedPackage, packPackages, repositoryRoot } from './pack.js';

const core = '@tensorflow/tfjs-core';
const cpu = '@tensorflow/tfjs-backend-cpu';
const wasm = '@tensorflow/tfjs-backend-wasm';
const webgpu = '@tensorflow/tfjs-backend-webgpu';

/** `^4.3.0` → `4.3.0`; only caret ranges and exact versions are used for TF.js here. */
function lowestVersion(range: string | undefined): string {
  const match = /^\^?(\d+\.\d+\.\d+)$/.exec(range ?? '');
  if (match?.[1] == null) throw new Error(`expected a caret range or a version, got '${range}'`);
  return match[1];
}

let folder: string;
let packed: PackedPackage[];
let tensor: PackageManifest;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'scratchgpt-lowest-tfjs-'));
  packed = await packPackages(join(folder));
  const found = packed.find((entry) => entry.name === '@scratchgpt/tensor');
  if (found == null) throw new Error('@scratchgpt/tensor was not packed');
  tensor = found.manifest;
});
afterAll(() => rm(folder, { recursive: true, force: true }));

/**
 * The backends that must start: those `SCRATCHGPT_REQUIRE_BACKENDS` names (CI names them all) among
 * `installed`, and always cpu and wasm.
 */
function required(installed: readonly string[]): string[] {
  const named = (process.env.SCRATCHGPT_REQUIRE_BACKENDS ?? '').split(',').map((name) => name.trim());
  return ['cpu', 'wasm', ...installed.filter((backend) => named.includes(backend))];
}

/** Installs the packages with `versions`, runs smoke.mjs there and returns what it printed. */
async function smoke(name: string, versions: Record<string, string>, requireBackends: string[]) {
  const directory = join(folder, name);
  const project = await createNpmProject(directory, packed, {
    // Pinned as overrides too, so no package can pull in a second, newer tfjs-core.
    overrides: { [core]: versions[core] ?? '' },
  });
  const scratchgpt = ['@scratchgpt/tensor', '@scratchgpt/gpt-model', '@scratchgpt/trainer'];
  const install = await project.npm([
    'install',
    ...scratchgpt.map((pkg) => project.specs.get(pkg) ?? pkg),
    ...Object.entries(versions).map(([pkg, version]) => `${pkg}@${version}`),
  ]);
  expect(install.code, `npm install failed:\n${install.stderr}`).toBe(0);
  await copyFile(new URL('./smoke.mjs', import.meta.url), join(directory, 'smoke.mjs'));
  const env = { ...process.env, SCRATCHGPT_REQUIRE_BACKENDS: requireBackends.join(',') };
  const result = await run(process.execPath, ['smoke.mjs', repositoryRoot], {
    cwd: directory,
    env,
    timeoutSeconds: 300,
  });
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('the lowest TF.js versions the packages accept', () => {
  it('name one version for tfjs-core and the cpu and wasm backends', () => {
    const floor = lowestVersion(tensor.dependencies?.[core]);
    expect(lowestVersion(tensor.peerDependencies?.[cpu])).toBe(floor);
    expect(lowestVersion(tensor.peerDependencies?.[wasm])).toBe(floor);
  });

  it('cpu, wasm and blas: the conformance suite and PyTorch training steps pass', async () => {
    const version = lowestVersion(tensor.dependencies?.[core]);
    const backends = required(['blas']);
    const stdout = await smoke(
      'cpu-wasm-blas',
      {
        [core]: version,
        [cpu]: version,
        [wasm]: version,
        koffi: lowestVersion(tensor.peerDependencies?.koffi),
      },
      backends,
    );
    expect(stdout).toContain(`TF.js ${version}\n`);
    for (const backend of backends) {
      expect(stdout).toContain(`ok   ${backend}: ten AdamW steps give PyTorch's losses`);
      if (backend !== 'cpu')
        expect(stdout).toMatch(new RegExp(`^ok {3}${backend}: \\d+ conformance cases match cpu`, 'm'));
    }
  });

  it('WebGPU: the conformance suite and PyTorch training steps pass', async () => {
    const version = lowestVersion(tensor.peerDependencies?.[webgpu]);
    const backends = required(['blas', 'webgpu']);
    const stdout = await smoke(
      'webgpu',
      {
        [core]: version,
        [cpu]: version,
        [wasm]: version,
        [webgpu]: version,
        webgpu: lowestVersion(tensor.peerDependencies?.webgpu),
        koffi: lowestVersion(tensor.peerDependencies?.koffi),
      },
      backends,
    );
    expect(stdout).toContain(`TF.js ${version}\n`);
    // Without a WebGPU adapter (and without SCRATCHGPT_REQUIRE_BACKENDS naming it) webgpu is skipped.
    expect(stdout).toMatch(/^(ok {3}webgpu: ten AdamW steps give PyTorch's losses|skip webgpu: )/m);
  });
});
