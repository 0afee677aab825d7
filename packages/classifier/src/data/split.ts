/**
 * The book's `random_split`: shuffle with NumPy's `RandomState(seed).permutation(n)` (pandas'
 * `sample(frac=1, random_state=seed)`), then cut at ⌊n·train⌋ and ⌊n·validation⌋ after it; the test
 * split is the rest. With the book's balanced SMS rows and seed 123: 1,045 / 149 / 300.
 */
import { RandomState } from '@scratchgpt/tensor';

export interface SplitRatios {
  /** Default 0.7. */
  train?: number;
  /** Default 0.1; the test split gets the rest. */
  validation?: number;
}

export interface Split<T> {
  train: T[];
  validation: T[];
  test: T[];
}

export function randomSplit<T>(items: readonly T[], ratios: SplitRatios = {}, seed = 123): Split<T> {
  const train = ratios.train ?? 0.7;
  const validation = ratios.validation ?? 0.1;
  if (!(train > 0 && validation >= 0 && train + validation <= 1)) {
    throw new RangeError(
      `Split ratios must have train > 0, validation ≥ 0 and train + validation ≤ 1, got ${train} and ${validation}`,
    );
  }
  const order = new RandomState(seed).permutation(items.length);
  const shuffled = order.map((index) => items[index] as T);
  const trainEnd = Math.trunc(items.length * train);
  const validationEnd = trainEnd + Math.trunc(items.length * validation);
  return {
    train: shuffled.slice(0, trainEnd),
    validation: shuffled.slice(trainEnd, validationEnd),
    test: shuffled.slice(validationEnd),
  };
}
