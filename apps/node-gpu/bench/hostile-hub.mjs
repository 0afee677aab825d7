#!/usr/bin/env node
/**
 * Runs `scratchgpt download` against a hostile or broken Hub on loopback and a tampered Hugging Face
 * cache, as an adversary would: ETags, commits and sizes that are paths or nonsense, revisions that
 * climb out of refs/, snapshot links and blobs leading outside the cache (to files, /dev/zero, FIFOs),
 * truncated blobs, cache folders that are links, a Hub that never answers or stalls mid-body.
 *
 *   node apps/node-gpu/bench/hostile-hub.mjs
 *
 * Each trial runs the built CLI in a fresh cache three folders below a scratch folder, so a path that
 * climbs out lands in the scratch folder, whose tree is compared before and after. Prints the counts
 * as JSON: trials, writes outside the cache (the tree changed), reads outside (the CLI accepted a cache
 * whose file leads outside), hangs (no exit within 10 s), "unexpected error"s, errors of more than
 * one line, and successes that should have been refusals. Needs a build (`pnpm build`).
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderTree, startFakeHub } from '@scratchgpt/hub/testing';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const fixture = fileURLToPath(new URL('../../../packages/hub/fixtures/tiny-gpt2/', import.meta.url));
const HANG_MS = 10_000;

const hub = await startFakeHub({
  repos: {
    'openai-community/gpt2': {
      files: {
        'config.json': new Uint8Array(readFileSync(join(fixture, 'config.json'))),
        'model.safetensors': new Uint8Array(readFileSync(join(fixture, 'model.safetensors'))),
      },
    },
  },
});
const commit = hub.commitOf('openai-community/gpt2');

const hostileNames = [
  '../../../x',
  '../../../../../escaped',
  '/tmp/hostile-hub-abs',
  '..\\..\\..\\x',
  'a/../../../x',
  '..',
  '.',
  '',
  '%2e%2e%2f%2e%2e%2fx',
  `${'0'.repeat(63)}/`,
  `../${'0'.repeat(64)}`,
  'x'.repeat(5000),
];
const hostileSizes = [null, '-1', '1e3', 'abc', '99999999999999999999', '0x10', ' '];

/** Each trial: what it does to the Hub or the cache, the CLI's arguments, and whether it must fail. */
const trials = [];
for (const name of hostileNames) {
  for (const file of ['config.json', 'model.safetensors']) {
    const etagHeader = file === 'config.json' ? 'etag' : 'x-linked-etag';
    trials.push({
      name: `${etagHeader} ${file} '${name.slice(0, 30)}'`,
      hub: { headers: { [etagHeader]: `"${name}"` }, file },
    });
  }
  trials.push({ name: `x-repo-commit '${name.slice(0, 30)}'`, hub: { headers: { 'x-repo-commit': name } } });
  trials.push({ name: `revision '${name.slice(0, 30)}'`, id: `gpt2@${name}` });
}
for (const size of hostileSizes) {
  for (const file of ['config.json', 'model.safetensors']) {
    const headers =
      file === 'config.json' ? { 'content-length': size } : { 'x-linked-size': size, 'content-length': null };
    trials.push({ name: `size ${file} ${JSON.stringify(size)}`, hub: { headers, file } });
  }
}

const blob = (cache) => join(cache, 'models--openai-community--gpt2', 'blobs', weightsBlob(cache));
const pointer = (cache) =>
  join(cache, 'models--openai-community--gpt2', 'snapshots', commit, 'model.safetensors');
const plants = {
  'snapshot link to a file outside': (cache, world) => relink(pointer(cache), outsideFile(world)),
  'snapshot link to /dev/zero': (cache) => relink(pointer(cache), '/dev/zero'),
  'snapshot link to a FIFO outside': (cache, world) => relink(pointer(cache), fifo(join(world, 'pipe'))),
  'blob truncated': (cache) => truncateSync(blob(cache), 1000),
  'blob emptied': (cache) => truncateSync(blob(cache), 0),
  'blob a FIFO': (cache) => {
    const path = blob(cache);
    rmSync(path);
    fifo(path);
  },
  'blob a link to /dev/zero': (cache) => relink(blob(cache), '/dev/zero'),
  'blob a link to a file outside': (cache, world) => relink(blob(cache), outsideFile(world)),
  'refs/main a FIFO': (cache) => {
    const ref = join(cache, 'models--openai-community--gpt2', 'refs', 'main');
    rmSync(ref);
    fifo(ref);
  },
  'refs/main a link outside': (cache, world) => {
    writeFileSync(join(world, 'ref'), commit);
    relink(join(cache, 'models--openai-community--gpt2', 'refs', 'main'), join(world, 'ref'));
  },
  'snapshot folder a link outside': (cache, world) => {
    const dir = join(cache, 'models--openai-community--gpt2', 'snapshots', commit);
    mkdirSync(join(world, 'snap'));
    writeFileSync(join(world, 'snap', 'config.json'), readFileSync(join(dir, 'config.json')));
    symlinkSync(outsideFile(world), join(world, 'snap', 'model.safetensors'));
    rmSync(dir, { recursive: true });
    symlinkSync(join(world, 'snap'), dir);
  },
  'blobs folder a link outside': (cache, world) => {
    const dir = join(cache, 'models--openai-community--gpt2', 'blobs');
    mkdirSync(join(world, 'blobs'));
    rmSync(dir, { recursive: true });
    symlinkSync(join(world, 'blobs'), dir);
  },
};
for (const [name, plant] of Object.entries(plants)) {
  for (const offline of [true, false]) {
    trials.push({ name: `${name}${offline ? ' (offline)' : ''}`, plant, offline, tampered: true });
  }
}
trials.push({ name: 'a silent Hub', faults: { silent: true }, args: ['--timeout', '1'] });
trials.push({
  name: 'a body that stalls',
  faults: { stall: { afterBytes: 1000 } },
  args: ['--timeout', '1'],
});
trials.push({ name: 'a connection cut again and again', faults: { cut: { afterBytes: 100, times: 1000 } } });

const counts = {
  trials: trials.length,
  writesOutsideCache: 0,
  readsOutsideCache: 0,
  hangsOver10s: 0,
  unexpectedErrors: 0,
  multiLineErrors: 0,
  acceptedHostile: 0,
  refusedInOneLine: 0,
  accepted: 0,
};
const findings = [];
const only = process.argv[2] === '--only' ? new RegExp(process.argv[3]) : undefined;
for (const trial of only ? trials.filter((t) => only.test(t.name)) : trials) {
  const result = await runTrial(trial);
  for (const outcome of result.outcomes) counts[outcome]++;
  if (result.finding) findings.push(`${trial.name}: ${result.finding}`);
}
await hub.close();
console.log(JSON.stringify({ ...counts, findings }, null, 2));

async function runTrial(trial) {
  const world = mkdtempSync(join(tmpdir(), 'hostile-hub-'));
  const cache = join(world, 'a', 'b', 'cache');
  mkdirSync(cache, { recursive: true });
  const env = {
    ...process.env,
    HF_ENDPOINT: hub.endpoint,
    HF_HUB_CACHE: cache,
    SCRATCHGPT_CACHE: join(world, 'own'),
  };
  delete env.HF_TOKEN;
  delete env.HF_HUB_OFFLINE;
  if (trial.plant) {
    const fetched = await run(['download', 'gpt2'], env);
    if (fetched.code !== 0) throw new Error(`could not prepare the cache: ${fetched.stderr}`);
    trial.plant(cache, world);
  }
  const before = folderTree(world, { skip: cache });
  Object.assign(hub.faults, { hubHeaders: trial.hub, ...trial.faults });
  const result = await run(['download', trial.id ?? 'gpt2', ...(trial.args ?? [])], {
    ...env,
    ...(trial.offline ? { HF_HUB_OFFLINE: '1' } : {}),
  });
  for (const key of Object.keys(hub.faults)) delete hub.faults[key];
  const after = folderTree(world, { skip: cache });
  rmSync(world, { recursive: true, force: true });

  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  const outcomes = [];
  const findings = [];
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    outcomes.push('writesOutsideCache');
    findings.push('the tree outside the cache changed');
  }
  if (result.hung) {
    outcomes.push('hangsOver10s');
    findings.push('no exit within 10 s');
  } else if (/unexpected error/i.test(result.stderr)) {
    outcomes.push('unexpectedErrors');
    findings.push(result.stderr.trim());
  } else if (result.code === 0) {
    outcomes.push('accepted');
    // Online, a tampered cache is repaired from the Hub; offline, accepting it reads what it leads to.
    if (trial.tampered && trial.offline && /outside|link|FIFO|zero/.test(trial.name)) {
      outcomes.push('readsOutsideCache');
    }
    if (trial.hub || trial.id || trial.faults || (trial.tampered && trial.offline)) {
      outcomes.push('acceptedHostile');
      findings.push('accepted');
    }
  } else if (lines.length > 1) {
    outcomes.push('multiLineErrors');
    findings.push(result.stderr.trim());
  } else {
    outcomes.push('refusedInOneLine');
  }
  return { outcomes, finding: findings.join('; ') };
}

function run(args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.resume();
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, hung });
    });
  });
}

function weightsBlob(cache) {
  const blobs = join(cache, 'models--openai-community--gpt2', 'blobs');
  return readdirSync(blobs).find((name) => name.length === 64);
}

function relink(path, target) {
  rmSync(path, { force: true });
  symlinkSync(target, path);
}

function outsideFile(world) {
  const path = join(world, 'secret.txt');
  writeFileSync(path, 'not a model\n');
  return path;
}

function fifo(path) {
  execFileSync('mkfifo', [path]);
  return path;
}
