/**
 * The learning-rate schedule of the book's appendix D: a linear warmup from `initialLr` to `peakLr`
 * over `warmupSteps`, then a half cosine from `peakLr` down to `minLr` at `totalSteps`.
 */

export interface LrSchedule {
  peakLr: number;
  /** The rate at step 0 (default 0). */
  initialLr?: number;
  /** The rate the cosine ends at (default 0). */
  minLr?: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * The rate for a 0-based step, as the book's loop computes it:
 * during warmup `initialLr + step·(peakLr − initialLr)/warmupSteps`, then
 * `minLr + (peakLr − minLr)·½·(1 + cos(π·progress))` with
 * `progress = (step − warmupSteps)/(totalSteps − warmupSteps)`. Past `totalSteps` it stays at `minLr`
 * (the book never goes there; letting the cosine climb back would surprise a resumed run).
 */
export function lrAtStep(step: number, schedule: LrSchedule): number {
  const { peakLr, warmupSteps, totalSteps } = schedule;
  const initialLr = schedule.initialLr ?? 0;
  const minLr = schedule.minLr ?? 0;
  checkSchedule(step, schedule, initialLr, minLr);
  if (step < warmupSteps) {
    const lrIncrement = (peakLr - initialLr) / warmupSteps;
    return initialLr + step * lrIncrement;
  }
  const progress = Math.min((step - warmupSteps) / (totalSteps - warmupSteps), 1);
  return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

function checkSchedule(step: number, schedule: LrSchedule, initialLr: number, minLr: number): void {
  const { peakLr, warmupSteps, totalSteps } = schedule;
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be an integer ≥ 0, got ${step}`);
  for (const [name, value] of [
    ['peakLr', peakLr],
    ['initialLr', initialLr],
    ['minLr', minLr],
  ] as const) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  }
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new RangeError(`warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps <= warmupSteps) {
    throw new RangeError(
      `totalSteps must be an integer above warmupSteps (${warmupSteps}), got ${totalSteps}: the cosine needs at least one step`,
    );
  }
}
