#!/usr/bin/env node
/**
 * Packs what the GPU run needs on a machine that has an NVIDIA GPU, its driver, Python and PyTorch but
 * no Node and no Vulkan loader, into one archive of at most 64 MiB:
 *
 *   scratchgpt-gpu-run/
 *     run.sh                      the run (see its header)
 *     bin/node                    this Node binary
 *     cli.mjs                     the scratchgpt CLI and its packages bundled into one file
 *     node_modules/@tensorflow/   TF.js's Node builds (core, webgpu, cpu, wasm) and what they require
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
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
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
  // TF.js stays a set of packages: scratchgpt's tensor build already carries the gradient sources it
  // bundles from tfjs-core, and a second bundling pass would duplicate tfjs-core's flag registry.
  deps: { neverBundle: ['webgpu', /^@tensorflow\//], alwaysBundle: [/.*/] },
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
for (const name of ['tfjs-core', 'tfjs-backend-webgpu', 'tfjs-backend-cpu', 'tfjs-backend-wasm']) {
  copyRequireClosure(require.resolve(`@tensorflow/${name}`), join(root, 'node_modules'));
}
const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
for (const file of [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
]) {
  copyFileSync(
    join(wasmDist, file),
    join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist', file),
  );
}
const loader = realpathSync(findVulkanLoader());
copyFileSync(loader, join(root, 'lib', 'libvulkan.so.1'));
for (const file of ['bench.py', 'gpt.py', 'check_checkpoint.py', 'layouts.py', 'safetensors_io.py']) {
  copyFileSync(join(repo, 'tools', 'reference', file), join(root, 'reference', file));
}
copyFileSync(join(here, 'pytorch-fp32.py'), join(root, 'reference', 'pytorch-fp32.py'));
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

/**
 * Copies a CommonJS file and every file it requires, transitively, into `modules` laid out as
 * node_modules (each package with its package.json): the Node builds of TF.js need a few small
 * packages, not their whole published trees (tfjs-core alone publishes 38 MB).
 */
function copyRequireClosure(entry, modules) {
  const seen = new Set();
  const pending = [realpathSync(entry)];
  while (pending.length > 0) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const { packageRoot, name } = packageOf(file);
    const target = join(modules, name, file.slice(packageRoot.length));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    copyFileSync(join(packageRoot, 'package.json'), join(modules, name, 'package.json'));
    const source = readFileSync(file, 'utf8');
    const requireFrom = createRequire(file);
    for (const [, specifier] of source.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      if (isBuiltin(specifier)) continue;
      try {
        pending.push(realpathSync(requireFrom.resolve(specifier)));
      } catch {
        // An optional require the code guards (e.g. a browser-only module): nothing to copy.
      }
    }
  }
}

/** The package a file belongs to: its nearest package.json with a name. */
function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (name) return { packageRoot: dir, name };
    } catch {}
  }
  throw new Error(`${file} belongs to no package`);
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
