/**
 * The machine's BLAS, called through koffi (an FFI package with prebuilt binaries: nothing is compiled
 * at install). Only single-precision products are bound: `cblas_sgemm`, on row-major matrices, with
 * transposes passed as flags.
 *
 * Accepted libraries: OpenBLAS (Linux, Windows, Homebrew on macOS) and Apple's Accelerate, or any
 * library with `cblas_sgemm` named by `SCRATCHGPT_BLAS` (a path). A reference BLAS (netlib's
 * `libblas.so.3`) is never picked by itself: it is slower than wasm's own products.
 */
import { errorMessage, importNodeOnly } from '../environment.js';
import { type CpuDescription, fastestCoreType, missingFlags, parseCpuInfo } from './core-type.js';

/** C = alpha·op(A)·op(B) + beta·C on row-major float32 matrices (leading dimensions in elements). */
export type Sgemm = (
  transposeA: boolean,
  transposeB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

export interface BlasInfo {
  /** The file loaded. */
  library: string;
  /** OpenBLAS's kernel set (`openblas_get_corename`), or the library's name where it has none. */
  coreType: string;
  /** How the kernel set was chosen. */
  coreTypeSource: string;
  /** OpenBLAS's build description (`openblas_get_config`), or the library's name. */
  config: string;
  threads: number;
}

export interface BlasLibrary {
  sgemm: Sgemm;
  info: BlasInfo;
}

/** The subset of koffi used here. */
interface Koffi {
  load(path: string): KoffiLibrary;
}
interface KoffiLibrary {
  func(signature: string): (...args: unknown[]) => unknown;
}

const ROW_MAJOR = 101;
const NO_TRANSPOSE = 111;
const TRANSPOSE = 112;

const SGEMM =
  'void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, ' +
  'const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)';

let coreTypeChoice: Promise<string> | undefined;

export class BlasUnavailableError extends Error {
  override name = 'BlasUnavailableError';
}

/**
 * Loads the BLAS and sets it to use every core. `loadKoffi` imports the `koffi` package (an app passes
 * it, so the package is resolved from the app); without it, it is imported by name.
 */
export async function loadBlas(loadKoffi?: () => Promise<unknown>): Promise<BlasLibrary> {
  let koffi: Koffi;
  try {
    const module = (await (loadKoffi ? loadKoffi() : importNodeOnly('koffi'))) as { default?: Koffi };
    koffi = module.default ?? (module as unknown as Koffi);
  } catch (error) {
    throw new BlasUnavailableError(`the koffi package (FFI) could not load (${errorMessage(error)})`);
  }
  const process = globalThis.process;
  // Chosen once: OpenBLAS reads the variable only when it first loads.
  coreTypeChoice ??= chooseCoreType(process.env);
  const coreTypeSource = await coreTypeChoice;
  const candidates = libraryCandidates(process.platform, process.env.SCRATCHGPT_BLAS);
  const failures: string[] = [];
  for (const path of candidates) {
    let library: KoffiLibrary;
    try {
      library = koffi.load(path);
    } catch (error) {
      failures.push(`${path}: ${errorMessage(error)}`);
      continue;
    }
    const sgemm = bindSgemm(library);
    if (sgemm == null) {
      failures.push(`${path} has no cblas_sgemm`);
      continue;
    }
    return { sgemm, info: describe(library, path, coreTypeSource, await coreCount()) };
  }
  throw new BlasUnavailableError(
    `no BLAS library was found (${failures.join('; ')}); on Debian or Ubuntu: apt-get install libopenblas0-pthread`,
  );
}

function libraryCandidates(platform: string, requested: string | undefined): string[] {
  if (requested) return [requested];
  if (platform === 'darwin') {
    return [
      '/System/Library/Frameworks/Accelerate.framework/Accelerate',
      '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
      '/usr/local/opt/openblas/lib/libopenblas.dylib',
    ];
  }
  if (platform === 'win32') return ['libopenblas.dll', 'openblas.dll'];
  return ['libopenblas.so.0', 'libopenblas.so'];
}

function bindSgemm(library: KoffiLibrary): Sgemm | undefined {
  let call: (...args: unknown[]) => unknown;
  try {
    call = library.func(SGEMM);
  } catch {
    return undefined;
  }
  return (transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    call(
      ROW_MAJOR,
      transposeA ? TRANSPOSE : NO_TRANSPOSE,
      transposeB ? TRANSPOSE : NO_TRANSPOSE,
      m,
      n,
      k,
      alpha,
      a,
      lda,
      b,
      ldb,
      beta,
      c,
      ldc,
    );
  };
}

/** An OpenBLAS function, or `undefined` in another library. */
function optional(library: KoffiLibrary, signature: string): ((...args: unknown[]) => unknown) | undefined {
  try {
    return library.func(signature);
  } catch {
    return undefined;
  }
}

function describe(library: KoffiLibrary, path: string, coreTypeSource: string, cores: number): BlasInfo {
  const corename = optional(library, 'const char *openblas_get_corename()');
  const config = optional(library, 'const char *openblas_get_config()');
  const setThreads = optional(library, 'void openblas_set_num_threads(int)');
  const getThreads = optional(library, 'int openblas_get_num_threads()');
  const name = path.includes('Accelerate') ? 'Accelerate' : path;
  // OPENBLAS_NUM_THREADS, when set, is the user's choice and OpenBLAS already applied it.
  if (setThreads != null && !globalThis.process.env.OPENBLAS_NUM_THREADS) setThreads(cores);
  return {
    library: path,
    coreType: corename == null ? name : String(corename()),
    coreTypeSource: corename == null ? 'chosen by the library' : coreTypeSource,
    config: config == null ? name : String(config()).trim(),
    threads: getThreads == null ? cores : Number(getThreads()),
  };
}

/**
 * Sets `OPENBLAS_CORETYPE` (read by OpenBLAS when it loads) to the fastest kernels this CPU runs, and
 * replaces a user's setting the CPU cannot run. Returns how the kernels were chosen.
 */
async function chooseCoreType(env: Record<string, string | undefined>): Promise<string> {
  const cpu = await describeCpu();
  const requested = env.OPENBLAS_CORETYPE;
  if (cpu == null) return requested ? 'OPENBLAS_CORETYPE' : 'chosen by the library';
  const fastest = fastestCoreType(cpu);
  if (requested) {
    const missing = missingFlags(requested, cpu);
    if (missing.length === 0) return 'OPENBLAS_CORETYPE';
    if (fastest == null) delete env.OPENBLAS_CORETYPE;
    else env.OPENBLAS_CORETYPE = fastest;
    return `OPENBLAS_CORETYPE=${requested} needs ${missing.join(', ')}, which this CPU lacks: replaced`;
  }
  if (fastest == null) return 'chosen by the library';
  env.OPENBLAS_CORETYPE = fastest;
  return `chosen from the CPU's flags (${cpuFlagsSummary(cpu)})`;
}

async function describeCpu(): Promise<CpuDescription | undefined> {
  if (globalThis.process.platform !== 'linux') return undefined;
  try {
    const fs = (await importNodeOnly('node:fs')) as typeof import('node:fs');
    return parseCpuInfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

function cpuFlagsSummary(cpu: CpuDescription): string {
  const shown = ['avx512f', 'avx2', 'fma', 'avx'].filter((flag) => cpu.flags.has(flag));
  return shown.length === 0 ? 'no AVX' : shown.join(', ');
}

async function coreCount(): Promise<number> {
  const os = (await importNodeOnly('node:os')) as typeof import('node:os');
  return os.availableParallelism();
}
