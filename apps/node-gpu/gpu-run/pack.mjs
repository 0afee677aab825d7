#!/usr/bin/env node
/**
 * Packs what the GPU run needs on a machine that has an NVIDIA GPU, its driver, Python and PyTorch but
 * no Node and no Vulkan loader, into one archive of at most 64 MiB:
 *
 *   scratchgpt-gpu-run/
 *     run.sh                      the run (see its header)
 *     bin/node                    this Node binary
 *     cli.mjs                     the scratchgpt CLI bundled into one file (TF.js included)
 *     node_modules/webgpu/        Dawn's Node binding (dawn.node) and its loader
 *     lib/libvulkan.so.1          the Vulkan loader Dawn opens
 *     reference/                  the PyTorch reference model and its benchmark
 *
 *   node apps/node-gpu/gpu-run/pack.mjs [--out DIR]    (after `pnpm build`; writes DIR/scratchgpt-gpu-run.tar.xz)
 *
 * Prints JSON: the archive, its size and each part's size.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'tsdown';

const LIMIT_BYTES = 64 * 2 ** 20;
const { values } = parseArgs({ options: { out: { type: 'string', default: '.' } } });
const here = dirname(fileURLToPath(import.meta.url));
const app = dirname(here);
const repo = resolve(app, '..', '..');
const require = createRequire(join(app, 'package.json'));

const staging = mkdtempSync(join(tmpdir(), 'scratchgpt-gpu-run-'));
const root = join(staging, 'scratchgpt-gpu-run');

// The CLI and every JavaScript dependency in one file; Dawn stays a native module beside it.
await build({
  config: false,
  entry: { cli: join(app, 'src', 'cli.ts') },
  outDir: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: false,
  sourcemap: false,
  fixedExtension: true,
  minify: true,
  logLevel: 'warn',
  deps: { neverBundle: ['webgpu', '@tensorflow/tfjs-node-gpu'], alwaysBundle: [/.*/] },
  cwd: app,
});

// After the build: it empties its output directory first.
for (const dir of ['bin', 'lib', 'reference']) mkdirSync(join(root, dir), { recursive: true });
copyFileSync(process.execPath, join(root, 'bin', 'node'));
const dawnPackage = dirname(require.resolve('webgpu/package.json'));
const dawnTarget = join(root, 'node_modules', 'webgpu');
mkdirSync(join(dawnTarget, 'dist', 'linux-x64'), { recursive: true });
for (const file of ['index.js', 'package.json', 'LICENSE.md'])
  copyFileSync(join(dawnPackage, file), join(dawnTarget, file));
copyFileSync(
  join(dawnPackage, 'dist', 'linux-x64', 'dawn.node'),
  join(dawnTarget, 'dist', 'linux-x64', 'dawn.node'),
);
const loader = realpathSync(findVulkanLoader());
copyFileSync(loader, join(root, 'lib', 'libvulkan.so.1'));
for (const file of ['bench.py', 'gpt.py', 'check_checkpoint.py']) {
  copyFileSync(join(repo, 'tools', 'reference', file), join(root, 'reference', file));
}
cpSync(join(here, 'run.sh'), join(root, 'run.sh'));
chmodSync(join(root, 'run.sh'), 0o755);

const archive = resolve(values.out, 'scratchgpt-gpu-run.tar.xz');
execFileSync('tar', ['-C', staging, '-cJf', archive, 'scratchgpt-gpu-run'], {
  env: { ...process.env, XZ_OPT: '-9e -T0' },
});
const size = (path) => statSync(path).size;
const result = {
  archive,
  bytes: size(archive),
  mebibytes: Number((size(archive) / 2 ** 20).toFixed(1)),
  limitMebibytes: LIMIT_BYTES / 2 ** 20,
  unpacked: {
    node: size(join(root, 'bin', 'node')),
    cli: size(join(root, 'cli.mjs')),
    dawn: size(join(dawnTarget, 'dist', 'linux-x64', 'dawn.node')),
    vulkanLoader: size(join(root, 'lib', 'libvulkan.so.1')),
  },
};
rmSync(staging, { recursive: true, force: true });
console.log(JSON.stringify(result, null, 2));
if (result.bytes > LIMIT_BYTES) {
  console.error(`error: the archive takes ${result.mebibytes} MiB, more than ${LIMIT_BYTES / 2 ** 20} MiB`);
  process.exit(1);
}

function findVulkanLoader() {
  const candidates = [
    '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
    '/usr/lib64/libvulkan.so.1',
    '/usr/lib/libvulkan.so.1',
  ];
  for (const path of candidates) {
    try {
      statSync(path);
      return path;
    } catch {}
  }
  throw new Error('No Vulkan loader (libvulkan.so.1) here to pack: apt-get install libvulkan1');
}
