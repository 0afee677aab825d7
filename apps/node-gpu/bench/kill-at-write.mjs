/**
 * Fault injection for kill-trial.mjs, loaded with `node --import`: counts the file-system operations
 * a process makes under KILL_DIR (opens, writes, syncs, renames, links, removals, new directories) and
 * kills the process with SIGKILL at operation number KILL_AT (1-based), as `kill -9` would at that
 * moment. With KILL_AT=0 it only counts, and writes the count to KILL_COUNT_FILE at exit.
 */
import { writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const dir = process.env.KILL_DIR ?? '';
const target = Number(process.env.KILL_AT ?? '0');
let count = 0;

function touch(paths) {
  if (dir === '' || !paths.some((path) => String(path).startsWith(dir))) return;
  count++;
  if (count === target) process.kill(process.pid, 'SIGKILL');
}

for (const name of ['open', 'rename', 'link', 'rm', 'mkdir', 'copyFile', 'writeFile', 'unlink']) {
  const original = fsp[name];
  fsp[name] = async function patched(...args) {
    touch(args.slice(0, 2));
    const result = await original.apply(this, args);
    if (name === 'open' && result && typeof result === 'object') watchHandle(result, String(args[0]));
    return result;
  };
}
syncBuiltinESMExports();

/** A handle's writes and syncs count too: the kill can land between a write and its rename. */
function watchHandle(handle, path) {
  for (const method of ['writeFile', 'write', 'sync']) {
    const original = handle[method];
    if (typeof original !== 'function') continue;
    handle[method] = async (...args) => {
      touch([path]);
      return original.apply(handle, args);
    };
  }
}

process.on('exit', () => {
  if (target === 0 && process.env.KILL_COUNT_FILE) writeFileSync(process.env.KILL_COUNT_FILE, String(count));
});
