/**
 * What a conformance case is, and the seeded inputs cases are made of. Both lists of cases
 * (`cases.ts`, `fused-cases.ts`) and the runner (`run.ts`) build on this file alone.
 */
import { Generator } from '../random.js';
import type { tf } from '../tf.js';

export interface CaseInput {
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  values: Float32Array | Int32Array;
  /** Whether gradients flow to this input (default: float32 inputs do). */
  differentiable?: boolean;
}

export interface ConformanceCase {
  name: string;
  inputs(generator: Generator): CaseInput[];
  op(...inputs: tf.Tensor[]): tf.Tensor;
  /** False for ops without gradients (comparisons, indices, sorting). */
  gradients?: boolean;
}

export const float = (generator: Generator, shape: number[], low = -2, high = 2): CaseInput => ({
  shape,
  dtype: 'float32',
  values: generator.uniformArray(
    shape.reduce((a, b) => a * b, 1),
    low,
    high,
  ),
});

export const normal = (generator: Generator, shape: number[], std = 1): CaseInput => ({
  shape,
  dtype: 'float32',
  values: generator.normalArray(
    shape.reduce((a, b) => a * b, 1),
    0,
    std,
  ),
});

export const ints = (generator: Generator, shape: number[], high: number): CaseInput => ({
  shape,
  dtype: 'int32',
  values: Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => generator.randint(0, high)),
  differentiable: false,
});

/** A seed per case from its name, so adding a case never changes another's inputs. */
export function caseSeed(name: string): number {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619) >>> 0;
  return hash;
}

export function caseInputs(testCase: ConformanceCase): CaseInput[] {
  return testCase.inputs(new Generator(caseSeed(testCase.name)));
}
