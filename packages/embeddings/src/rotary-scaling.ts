/**
 * Llama 3's stretch of rotary frequencies for long contexts. Pairs whose wavelength is short compared
 * with the original training context keep their frequency (they encode local order); pairs with long
 * wavelengths are slowed by `factor`; the band between blends the two smoothly.
 */
export interface Llama3RotaryScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  /** The context length the model was first trained at (8192 for Llama 3.2). */
  originalContextLength: number;
}

/** The frequency of one rotary pair after Llama 3's scaling. */
export function scaleLlama3Frequency(frequency: number, scaling: Llama3RotaryScaling): number {
  const { factor, lowFreqFactor, highFreqFactor, originalContextLength } = scaling;
  const wavelength = (2 * Math.PI) / frequency;
  if (wavelength < originalContextLength / highFreqFactor) return frequency;
  if (wavelength > originalContextLength / lowFreqFactor) return frequency / factor;
  const smooth = (originalContextLength / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
  return (1 - smooth) * (frequency / factor) + smooth * frequency;
}

/** Refuses settings that would divide by zero or invert the bands, naming the field. */
export function checkLlama3Scaling(scaling: Llama3RotaryScaling): void {
  for (const field of ['factor', 'lowFreqFactor', 'highFreqFactor', 'originalContextLength'] as const) {
    const value = scaling[field];
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`Rotary scaling: ${field} must be a positive number, got ${value}`);
    }
  }
  if (scaling.highFreqFactor <= scaling.lowFreqFactor) {
    throw new RangeError(
      `Rotary scaling: highFreqFactor (${scaling.highFreqFactor}) must exceed lowFreqFactor ` +
        `(${scaling.lowFreqFactor}); Llama 3.2 uses 4 and 1`,
    );
  }
}
