/** The book's split of instruction data: in file order, the first 85% to train, the next 10% to test. */

export interface InstructionSplit<T> {
  train: T[];
  test: T[];
  /** What is left after training and test entries (5% by default). */
  validation: T[];
}

export interface SplitOptions {
  /** Share of the entries, from the start, to train on (default 0.85). */
  trainFraction?: number;
  /** Share after the training entries to test on (default 0.1). */
  testFraction?: number;
}

/** 1,100 entries give 935 / 110 / 55, as in the book. No shuffling: the split is the file's order. */
export function splitInstructionData<T>(
  entries: readonly T[],
  options: SplitOptions = {},
): InstructionSplit<T> {
  const trainFraction = options.trainFraction ?? 0.85;
  const testFraction = options.testFraction ?? 0.1;
  if (!(trainFraction > 0 && testFraction >= 0 && trainFraction + testFraction <= 1)) {
    throw new RangeError(
      `splitInstructionData: trainFraction ${trainFraction} and testFraction ${testFraction} must be ≥ 0 with trainFraction > 0 and a sum of at most 1`,
    );
  }
  // Truncation, as the book's int(len(data) * 0.85).
  const trainCount = Math.floor(entries.length * trainFraction);
  const testCount = Math.floor(entries.length * testFraction);
  return {
    train: entries.slice(0, trainCount),
    test: entries.slice(trainCount, trainCount + testCount),
    validation: entries.slice(trainCount + testCount),
  };
}
