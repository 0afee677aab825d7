/**
 * The book's split: the first `floor(trainRatio · length)` characters train, the rest validate
 * (the-verdict: 18,431 and 2,048).
 */
export function splitTrainValidation(text: string, trainRatio = 0.9): { train: string; validation: string } {
  if (!(trainRatio > 0 && trainRatio < 1)) {
    throw new RangeError(
      `splitTrainValidation: trainRatio must be between 0 and 1, got ${trainRatio}; the book uses 0.9`,
    );
  }
  const at = Math.floor(trainRatio * text.length);
  return { train: text.slice(0, at), validation: text.slice(at) };
}
