/**
 * What the end-to-end benchmarks share to run a recipe over several seeds and OpenBLAS kernel sets:
 * reading `--seeds` and `--kernels`, the mean, minimum and maximum of each figure per group of runs,
 * and the Markdown table the READMEs show, so that a table there is printed by its benchmark.
 */
import { kernelSets, runnableCoreTypes } from './pytorch-kernels.mjs';

/** A flag a benchmark cannot take: `readFlags` says so in one line. */
export class UsageError extends Error {}

/**
 * The value `read` returns from a benchmark's flags; where it throws a `UsageError`, the message on
 * stderr after the script's name, and exit status 2.
 */
export function readFlags(script, read) {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${script}: ${error.message}`);
    process.exit(2);
  }
}

/** A whole number of at least 1 from a flag, or `undefined` where the flag is not given. */
export function positiveFlag(name, value) {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`--${name} ${value}: give a whole number, at least 1`);
  return Number(value);
}

/** More runs than any benchmark here can afford; a typo such as 5000 is refused. */
const MAX_SEEDS = 1000;

/**
 * The seeds `--seeds` names: a count N (`base`, `base` + 1, …) or a list `a,b,c`; without it, `base`.
 */
export function seedList(flag, base) {
  if (!Number.isSafeInteger(base) || base < 0)
    throw new UsageError(`--seed must be an integer ≥ 0, not ${base}`);
  if (flag === undefined) return [base];
  if (/^\d+$/.test(flag)) {
    const count = Number(flag);
    if (count < 1 || count > MAX_SEEDS)
      throw new UsageError(`--seeds ${flag}: give a count from 1 to ${MAX_SEEDS}, or a list such as 1,2,3`);
    return Array.from({ length: count }, (_, i) => base + i);
  }
  if (!/^\d+(,\d+)+$/.test(flag))
    throw new UsageError(`--seeds ${flag}: give a count such as 5 or a list of seeds such as 123,124,125`);
  const seeds = flag.split(',').map(Number);
  if (new Set(seeds).size !== seeds.length) throw new UsageError(`--seeds ${flag} names a seed twice`);
  if (seeds.length > MAX_SEEDS || seeds.some((seed) => !Number.isSafeInteger(seed)))
    throw new UsageError(`--seeds ${flag}: at most ${MAX_SEEDS} seeds, each a safe integer`);
  return seeds;
}

/**
 * The OpenBLAS kernel sets `--kernels` names (any case), as `OPENBLAS_CORETYPE` spells them; each must
 * run on this CPU. Without it, `[undefined]`: one pass with the kernels the backend picks.
 */
export function kernelList(flag, runnable = runnableCoreTypes) {
  if (flag === undefined) return [undefined];
  const names = flag.split(',');
  const sets = names.map((name) => {
    const set = Object.keys(kernelSets).find((known) => known.toLowerCase() === name.toLowerCase());
    if (set === undefined)
      throw new UsageError(`--kernels: '${name}' is not one of ${Object.keys(kernelSets).join(', ')}`);
    if (!runnable.includes(set))
      throw new UsageError(
        `--kernels ${set}: this CPU lacks its instructions (it runs ${runnable.join(', ') || 'none of them'})`,
      );
    return set;
  });
  if (new Set(sets).size !== sets.length) throw new UsageError(`--kernels ${flag} names a kernel set twice`);
  return sets;
}

/** Mean, minimum and maximum of the numbers among `values` (nulls are runs that lack the figure). */
export function stats(values) {
  const numbers = values.filter((value) => typeof value === 'number' && Number.isFinite(value));
  if (numbers.length === 0) return null;
  return {
    mean: numbers.reduce((sum, value) => sum + value, 0) / numbers.length,
    min: Math.min(...numbers),
    max: Math.max(...numbers),
    runs: numbers.length,
  };
}

/**
 * One summary per group of records with equal `keys` (in the order the groups first appear): the keys,
 * the seeds, and `stats` of each of `fields`.
 */
export function summarize(records, { keys, fields }) {
  const groups = new Map();
  for (const record of records) {
    const id = JSON.stringify(keys.map((key) => record[key] ?? null));
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id).push(record);
  }
  return [...groups.values()].map((group) => ({
    ...Object.fromEntries(keys.map((key) => [key, group[0][key] ?? null])),
    seeds: group.map((record) => record.seed),
    ...Object.fromEntries(fields.map((field) => [field, stats(group.map((record) => record[field]))])),
  }));
}

/**
 * A figure of a summary as a table shows it: `95.33%` from one run (or runs that agree to the digits
 * shown); `92.78% (90.33–95.33%)`, the mean and the range, from several; `–` without one.
 */
export function formatRange(stat, { digits = 2, unit = '' } = {}) {
  if (stat == null) return '–';
  const number = (value) => `${value.toFixed(digits)}`;
  // A range that rounds to one figure says no more than the figure.
  if (number(stat.min) === number(stat.max)) return `${number(stat.mean)}${unit}`;
  return `${number(stat.mean)}${unit} (${number(stat.min)}–${number(stat.max)}${unit})`;
}

/** The seeds of a row as a table names them: `123`, `123–127` when they follow each other, else a list. */
export function seedsCell(seeds) {
  if (seeds.length === 1) return String(seeds[0]);
  const consecutive = seeds.every((seed, i) => i === 0 || seed === seeds[i - 1] + 1);
  return consecutive ? `${seeds[0]}–${seeds.at(-1)}` : seeds.join(', ');
}

/**
 * A Markdown table whose columns line up: `header` names the columns, each row is their cells. A `|`
 * in a cell is escaped: GitHub's Markdown would split the cell there, code spans included.
 */
export function markdownTable(header, rows) {
  for (const row of rows) {
    if (row.length !== header.length)
      throw new Error(`a table row has ${row.length} cells for ${header.length} columns`);
  }
  const escapePipes = (cell) => String(cell).replaceAll('|', '\\|');
  const table = [header, ...rows].map((row) => row.map(escapePipes));
  const widths = header.map((_, column) => Math.max(3, ...table.map((row) => row[column].length)));
  const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  const [head, ...body] = table;
  return [line(head), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

/**
 * Mean seconds of a run's steps from its `--json` step events: the tokens each step added over its
 * rate (the first event has no predecessor to count from, and is left out). 0 with fewer than two.
 */
export function meanStepSeconds(steps) {
  const seconds = steps
    .slice(1)
    .map((event, i) => (event.tokensSeen - steps[i].tokensSeen) / event.tokensPerSec);
  return {
    // None timed (a run resumed after its last step): no figure, rather than a zero that averages in.
    secondsPerStep: seconds.length === 0 ? null : seconds.reduce((a, b) => a + b, 0) / seconds.length,
    timed: seconds.length,
  };
}

let kernelsInUse;
/**
 * The backend this process starts as the CLI's would, from the same environment (which the CLI
 * inherits, `OPENBLAS_CORETYPE` included): its OpenBLAS kernel set, or the backend where none runs.
 */
export function backendKernels(prefer) {
  kernelsInUse ??= (async () => {
    const { initBackend } = await import('@scratchgpt/tensor');
    const choice = await initBackend({ prefer, loaders: { blas: () => import('koffi') } });
    return choice.limits.details.blasCoreType ?? choice.backend;
  })();
  return kernelsInUse;
}
