#!/usr/bin/env node
/**
 * Peak memory while loading a GPT-2 checkpoint, as a ratio to the weights file's size: a random-weight
 * GPT-2 124M and 355M in the Hugging Face layout (F32, or BF16 with `--dtypes F32,BF16`) are written to a
 * temporary folder, then each is loaded in a fresh process per case, by each path:
 *
 * - `streamed`: the CLI's path (`loadCheckpoint`): the header, then each tensor read by its byte range,
 *   converted and copied into the model before the next;
 * - `streamed-bf16`: the same, into a model built in bf16 (`weightPrecision`): each weight rounded on its
 *   way in, so the model is half the float32 one and never exists in float32 (not a default path);
 * - `host-map`: every tensor read by range into one map on the host, then the model built from the map
 *   (what the CLI did before tensors were streamed into the model);
 * - `whole`: the file read into one buffer and parsed (`loadModel`, the in-memory API).
 *
 * A case's figure is the process's peak RSS (VmHWM) minus its RSS just before loading (after the
 * backend started), divided by the file's bytes. wasm's heap grows and never shrinks, and is counted
 * the same way. Needs a build (`pnpm turbo run build --filter=scratchgpt-cli...`).
 *
 *   node apps/node-gpu/bench/load-memory.mjs [--sizes gpt2-small,gpt2-medium] [--backends cpu,wasm]
 *     [--paths streamed,host-map,whole|streamed-bf16] [--dtypes F32,BF16]
 *
 * Prints one JSON object: { cases: [{ preset, dtype, backend, path, fileBytes, peakBytes, ratio, ms }] }.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    backend: { type: 'string' },
    path: { type: 'string' },
    sizes: { type: 'string', default: 'gpt2-small,gpt2-medium' },
    backends: { type: 'string', default: 'cpu,wasm' },
    paths: { type: 'string', default: 'streamed,host-map,whole' },
    dtypes: { type: 'string', default: 'F32' },
  },
});

if (values.child !== undefined) {
  await loadOnce(values.child, values.backend, values.path);
} else {
  await main();
}

async function main() {
  const { configToJson, preset } = await import('@scratchgpt/gpt-model');
  const folder = mkdtempSync(join(tmpdir(), 'load-memory-'));
  const cases = [];
  try {
    for (const name of values.sizes.split(',')) {
      for (const dtype of values.dtypes.split(',')) {
        const directory = join(folder, `${name}-${dtype}`);
        mkdirSync(directory);
        // GPT-2's head is its token embedding, and its query, key and value have biases.
        const config = preset(name, { tieWeights: true, qkvBias: true });
        writeFileSync(join(directory, 'config.json'), JSON.stringify(configToJson(config, 'hf')));
        writeRandomWeights(join(directory, 'model.safetensors'), config, dtype);
        const fileBytes = statSync(join(directory, 'model.safetensors')).size;
        for (const backend of values.backends.split(',')) {
          for (const path of values.paths.split(',')) {
            const child = spawnSync(
              process.execPath,
              [fileURLToPath(import.meta.url), '--child', directory, '--backend', backend, '--path', path],
              { encoding: 'utf8', maxBuffer: 1 << 20 },
            );
            if (child.status !== 0) {
              cases.push({
                preset: name,
                dtype,
                backend,
                path,
                fileBytes,
                error: child.stderr.trim().split('\n').slice(0, 6).join(' | '),
              });
              continue;
            }
            const { peakBytes, ms, parameters } = JSON.parse(child.stdout);
            const ratio = Number((peakBytes / fileBytes).toFixed(3));
            cases.push({ preset: name, dtype, backend, path, fileBytes, parameters, peakBytes, ratio, ms });
            process.stderr.write(`${name} ${dtype} ${backend} ${path}: ${ratio}× the file\n`);
          }
        }
        rmSync(directory, { recursive: true });
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ cases }, null, 2)}\n`);
}

/** The tensors of a tied Hugging Face GPT-2 file, in the order its writers use. */
function gpt2Tensors(config) {
  const { vocabSize: v, contextLength: c, embDim: e, nLayers } = config;
  const tensors = [
    ['wte.weight', [v, e]],
    ['wpe.weight', [c, e]],
  ];
  for (let i = 0; i < nLayers; i++) {
    const h = `h.${i}`;
    tensors.push(
      [`${h}.ln_1.weight`, [e]],
      [`${h}.ln_1.bias`, [e]],
      [`${h}.attn.c_attn.weight`, [e, 3 * e]],
      [`${h}.attn.c_attn.bias`, [3 * e]],
      [`${h}.attn.c_proj.weight`, [e, e]],
      [`${h}.attn.c_proj.bias`, [e]],
      [`${h}.ln_2.weight`, [e]],
      [`${h}.ln_2.bias`, [e]],
      [`${h}.mlp.c_fc.weight`, [e, 4 * e]],
      [`${h}.mlp.c_fc.bias`, [4 * e]],
      [`${h}.mlp.c_proj.weight`, [4 * e, e]],
      [`${h}.mlp.c_proj.bias`, [e]],
    );
  }
  tensors.push(['ln_f.weight', [e]], ['ln_f.bias', [e]]);
  return tensors;
}

/** Small random weights written tensor by tensor (the bench's own memory stays small). */
function writeRandomWeights(path, config, dtype) {
  const width = dtype === 'F32' ? 4 : 2;
  const header = {};
  let offset = 0;
  const tensors = gpt2Tensors(config);
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, b) => a * b, 1) * width;
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(path, 'w');
  writeSync(fd, prefix);
  writeSync(fd, json);
  let state = 0x9e3779b9;
  for (const [, shape] of tensors) {
    const count = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      // xorshift32: uniform in ±0.05, about GPT-2's 0.02 spread.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      values[i] = ((state >>> 0) / 2 ** 32 - 0.5) * 0.1;
    }
    const out = dtype === 'F32' ? new Uint8Array(values.buffer) : bf16Bytes(values);
    for (let done = 0; done < out.length; )
      done += writeSync(fd, out, done, Math.min(out.length - done, 1 << 30));
  }
  closeSync(fd);
}

function bf16Bytes(values) {
  const words = new Uint32Array(values.buffer);
  return new Uint8Array(Uint16Array.from(words, (word) => word >>> 16).buffer);
}

/** VmRSS or VmHWM of this process, in bytes. */
function statusBytes(field) {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line.split(/\s+/)[1]) * 1024;
}

async function loadOnce(directory, backend, path) {
  const { initBackend, openSafetensorsRanges } = await import('@scratchgpt/tensor');
  const { loadModel, loadModelFromSafetensors } = await import('@scratchgpt/gpt-model');
  const { loadCheckpoint } = await import('@scratchgpt/gpt-model/node');
  const { openFileRanges } = await import('@scratchgpt/files');
  await initBackend({ prefer: backend });
  const weightsPath = join(directory, 'model.safetensors');
  const config = JSON.parse(readFileSync(join(directory, 'config.json'), 'utf8'));
  globalThis.gc?.();
  const baseline = statusBytes('VmRSS');
  const started = performance.now();
  let model;
  if (path === 'streamed') {
    ({ model } = await loadCheckpoint(directory));
  } else if (path === 'streamed-bf16') {
    ({ model } = await loadCheckpoint(directory, { weightPrecision: 'bf16' }));
  } else if (path === 'host-map') {
    const file = await openFileRanges(weightsPath);
    const ranges = await openSafetensorsRanges(file, weightsPath);
    const tensors = new Map();
    for (const entry of ranges.entries) tensors.set(entry.name, await ranges.readTensor(entry));
    await file.close();
    ({ model } = loadModelFromSafetensors(config, { tensors, metadata: ranges.metadata }));
  } else if (path === 'whole') {
    ({ model } = loadModel(config, new Uint8Array(readFileSync(weightsPath))));
  } else {
    throw new Error(`unknown path ${path}`);
  }
  const ms = Math.round(performance.now() - started);
  const peakBytes = statusBytes('VmHWM') - baseline;
  process.stdout.write(JSON.stringify({ peakBytes, ms, parameters: model.numParameters() }));
  model.dispose();
}
