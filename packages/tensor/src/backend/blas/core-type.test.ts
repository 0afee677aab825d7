import { describe, expect, it } from 'vitest';
import { fastestCoreType, missingFlags, parseCpuInfo } from './core-type.js';

const cpuinfo = (vendor: string, flags: string) =>
  `processor\t: 0\nvendor_id\t: ${vendor}\nmodel name\t: Some CPU\nflags\t\t: fpu sse sse2 ${flags}\n\nprocessor\t: 1\n`;

describe('OpenBLAS kernel choice from CPU flags', () => {
  it('reads the vendor and flags of /proc/cpuinfo', () => {
    const cpu = parseCpuInfo(cpuinfo('AuthenticAMD', 'avx avx2 fma'));
    expect(cpu.vendor).toBe('AuthenticAMD');
    expect([...cpu.flags]).toEqual(['fpu', 'sse', 'sse2', 'avx', 'avx2', 'fma']);
  });

  it('picks AVX-512 kernels only with every AVX-512 subset they use', () => {
    const full = 'avx avx2 fma avx512f avx512bw avx512dq avx512vl';
    expect(fastestCoreType(parseCpuInfo(cpuinfo('GenuineIntel', full)))).toBe('SkylakeX');
    const partial = 'avx avx2 fma avx512f avx512dq';
    expect(fastestCoreType(parseCpuInfo(cpuinfo('GenuineIntel', partial)))).toBe('Haswell');
  });

  it('picks AVX2 kernels, tuned for AMD on AMD, then AVX, else leaves the choice to OpenBLAS', () => {
    expect(fastestCoreType(parseCpuInfo(cpuinfo('AuthenticAMD', 'avx avx2 fma')))).toBe('Zen');
    expect(fastestCoreType(parseCpuInfo(cpuinfo('GenuineIntel', 'avx avx2 fma')))).toBe('Haswell');
    expect(fastestCoreType(parseCpuInfo(cpuinfo('GenuineIntel', 'avx avx2')))).toBe('SandyBridge');
    expect(fastestCoreType(parseCpuInfo(cpuinfo('GenuineIntel', 'sse4_2')))).toBeUndefined();
  });

  it('names what a requested kernel set needs and the CPU lacks', () => {
    const avx2 = parseCpuInfo(cpuinfo('AuthenticAMD', 'avx avx2 fma'));
    expect(missingFlags('SkylakeX', avx2)).toEqual(['avx512f', 'avx512bw', 'avx512dq', 'avx512vl']);
    expect(missingFlags('HASWELL', avx2)).toEqual([]);
    expect(missingFlags('Prescott', avx2)).toEqual([]);
  });
});
