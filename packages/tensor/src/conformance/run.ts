import { Generator } from '../random.js';
import { tf } from '../tf.js';
import { type ConformanceCase, caseInputs, caseSeed } from './case.js';

export interface CaseOutput {
  shape: number[];
  value: Float32Array | Int32Array | Uint8Array;
  /** d(sum(op(x) · dy))/dx for each differentiable input, with a fixed random dy. */
  gradients: Float32Array[];
}

/** |actual − expected| ≤ atol + rtol·|expected|, elementwise. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * float32 on another backend sums in another order (tiled GPU matmuls, SIMD lanes) and evaluates
 * exp/tanh/log with other polynomials: that moves results by a few ulp times √(terms summed), about
 * 1e-6 relative here. 1e-4 relative leaves room for that and still catches any real bug (a wrong
 * index, transpose or gradient is off by orders of magnitude more).
 */
export const defaultTolerance: Tolerance = { atol: 1e-5, rtol: 1e-4 };

/** Runs one case on the active backend and reads the results back asynchronously. */
export async function runCase(testCase: ConformanceCase): Promise<CaseOutput> {
  const specs = caseInputs(testCase);
  const inputs = specs.map((spec) => tf.tensor(spec.values, spec.shape, spec.dtype));
  try {
    const output = tf.tidy(() => testCase.op(...inputs));
    const shape = output.shape;
    const value = (await output.data()) as Float32Array | Int32Array | Uint8Array;
    output.dispose();
    const gradients = testCase.gradients === false ? [] : await runGradients(testCase, inputs, shape);
    return { shape, value, gradients };
  } finally {
    tf.dispose(inputs);
  }
}

async function runGradients(
  testCase: ConformanceCase,
  inputs: tf.Tensor[],
  shape: number[],
): Promise<Float32Array[]> {
  const specs = caseInputs(testCase);
  const differentiable = specs.flatMap((spec, i) =>
    spec.dtype === 'float32' && spec.differentiable !== false ? [i] : [],
  );
  const upstream = new Generator(caseSeed(testCase.name) + 1).normalArray(tf.util.sizeFromShape(shape));
  const grads = tf.tidy(() => {
    const dy = tf.tensor(upstream, shape, 'float32');
    const loss = (...xs: tf.Tensor[]) => {
      const all = inputs.map((input, i) => {
        const at = differentiable.indexOf(i);
        return at >= 0 ? (xs[at] as tf.Tensor) : input;
      });
      return tf.sum(tf.mul(testCase.op(...all), dy));
    };
    return tf.grads(loss)(differentiable.map((i) => inputs[i] as tf.Tensor));
  });
  const out: Float32Array[] = [];
  for (const grad of grads) out.push((await grad.data()) as Float32Array);
  tf.dispose(grads);
  return out;
}

export interface Comparison {
  ok: boolean;
  maxAbsDiff: number;
  /** The worst |diff| / (atol + rtol·|expected|); above 1 fails. */
  worstRatio: number;
  detail: string;
}

export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance = defaultTolerance,
): Comparison {
  if (actual.length !== expected.length) {
    return {
      ok: false,
      maxAbsDiff: Number.POSITIVE_INFINITY,
      worstRatio: Number.POSITIVE_INFINITY,
      detail: `${actual.length} values, expected ${expected.length}`,
    };
  }
  let maxAbsDiff = 0;
  let worstRatio = 0;
  let worstAt = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    const diff = Math.abs(a - e);
    const ratio = Number.isFinite(diff)
      ? diff / (tolerance.atol + tolerance.rtol * Math.abs(e))
      : Number.POSITIVE_INFINITY;
    if (Number.isNaN(ratio) || ratio > worstRatio) {
      worstRatio = Number.isNaN(ratio) ? Number.POSITIVE_INFINITY : ratio;
      worstAt = i;
    }
    if (diff > maxAbsDiff || Number.isNaN(diff))
      maxAbsDiff = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
  }
  const ok = worstRatio <= 1;
  const detail =
    worstAt < 0
      ? 'identical'
      : `worst at [${worstAt}]: ${actual[worstAt]} vs ${expected[worstAt]} (max |diff| ${maxAbsDiff})`;
  return { ok, maxAbsDiff, worstRatio, detail };
}

export interface CaseComparison {
  name: string;
  value: Comparison;
  gradients: Comparison[];
  ok: boolean;
}

export function compareCase(
  name: string,
  actual: CaseOutput,
  expected: CaseOutput,
  tolerance: Tolerance = defaultTolerance,
): CaseComparison {
  const sameShape = actual.shape.join(',') === expected.shape.join(',');
  const value = sameShape
    ? compareArrays(actual.value, expected.value, tolerance)
    : {
        ok: false,
        maxAbsDiff: Number.POSITIVE_INFINITY,
        worstRatio: Number.POSITIVE_INFINITY,
        detail: `shape [${actual.shape}] vs [${expected.shape}]`,
      };
  const gradients = expected.gradients.map((grad, i) =>
    compareArrays(actual.gradients[i] ?? new Float32Array(0), grad, tolerance),
  );
  return { name, value, gradients, ok: value.ok && gradients.every((g) => g.ok) };
}

/** Runs every case on the active backend. */
export async function runCases(cases: readonly ConformanceCase[]): Promise<Map<string, CaseOutput>> {
  const out = new Map<string, CaseOutput>();
  for (const testCase of cases) out.set(testCase.name, await runCase(testCase));
  return out;
}
