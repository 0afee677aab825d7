/**
 * Which OpenBLAS kernels (its "core type") this CPU can run.
 *
 * OpenBLAS builds for many CPUs pick their kernels when they load, from the CPU's model. A release
 * older than the CPU does not know the model and falls back to its slowest kernels (SSE3), unless
 * `OPENBLAS_CORETYPE` names a kernel set. Forcing a set needs care: kernels for instructions the CPU
 * lacks (AVX-512 on an AVX2 machine) stop the process with an illegal instruction. So the set is
 * chosen here from the instruction flags the CPU reports, never from its name.
 */

/** The CPU flags each kernel set's instructions need (lower-case names, as OpenBLAS matches them). */
const needs: Record<string, readonly string[]> = {
  sapphirerapids: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512_bf16', 'amx_tile'],
  cooperlake: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512_bf16'],
  skylakex: ['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'],
  zen: ['avx2', 'fma'],
  haswell: ['avx2', 'fma'],
  sandybridge: ['avx'],
};

/** The sets chosen automatically, fastest first. Zen is AMD's tuning of the AVX2 kernels. */
const preference: ReadonlyArray<{ coreType: string; vendor?: string }> = [
  { coreType: 'SkylakeX' },
  { coreType: 'Zen', vendor: 'AuthenticAMD' },
  { coreType: 'Haswell' },
  { coreType: 'SandyBridge' },
];

export interface CpuDescription {
  vendor: string;
  flags: ReadonlySet<string>;
}

/** Vendor and instruction flags from Linux's `/proc/cpuinfo` text (the first processor's). */
export function parseCpuInfo(text: string): CpuDescription {
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { vendor: field('vendor_id'), flags: new Set(field('flags').split(/\s+/).filter(Boolean)) };
}

/** The flags kernel set `coreType` needs that the CPU lacks; empty when it can run or is not listed. */
export function missingFlags(coreType: string, cpu: CpuDescription): string[] {
  return (needs[coreType.toLowerCase()] ?? []).filter((flag) => !cpu.flags.has(flag));
}

/** The fastest kernel set the CPU can run, or `undefined` to leave the choice to OpenBLAS. */
export function fastestCoreType(cpu: CpuDescription): string | undefined {
  return preference.find(
    ({ coreType, vendor }) =>
      missingFlags(coreType, cpu).length === 0 && (vendor == null || vendor === cpu.vendor),
  )?.coreType;
}
