/**
 * What the benchmarks against PyTorch share: the OpenBLAS kernel sets this CPU can run (PyTorch is
 * timed on each and the fastest is its baseline; Debian's OpenBLAS 0.3.21 does not know recent CPUs and
 * would fall back to SSE3), and the median of a list of runs.
 */
import { readFileSync } from 'node:fs';

/** OpenBLAS kernel sets and the CPU flags their instructions need. */
export const kernelSets = {
  SkylakeX: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'],
  Haswell: ['avx2', 'fma'],
  Zen: ['avx2', 'fma'],
};

/** The CPU's instruction flags; none where there is no /proc/cpuinfo (not Linux). */
function readCpuFlags() {
  try {
    return new Set(
      (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/),
    );
  } catch {
    return new Set();
  }
}

const cpuFlags = readCpuFlags();

/** The kernel sets whose instructions this CPU has. */
export const runnableCoreTypes = Object.keys(kernelSets).filter((set) =>
  kernelSets[set].every((flag) => cpuFlags.has(flag)),
);

/** Throws, naming the flag, for a kernel set this CPU cannot run. */
export function checkCoreTypes(coreTypes) {
  for (const set of coreTypes) {
    if (!(set in kernelSets))
      throw new Error(`--coretypes: '${set}' is not one of ${Object.keys(kernelSets).join(', ')}`);
    const missing = kernelSets[set].filter((flag) => !cpuFlags.has(flag));
    if (missing.length > 0)
      throw new Error(`--coretypes ${set} needs ${missing.join(', ')}, which this CPU lacks`);
  }
}

export function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
