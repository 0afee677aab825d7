/**
 * The precision new weights are built in. A model built inside {@link buildInPrecision} stores every
 * weight that can be 16-bit (each `Linear`'s W, the embedding tables) in that precision from the
 * start: each is drawn (or left empty) in float32 one layer at a time and packed at once, so the model
 * never exists whole in float32. Like PyTorch's default dtype, it is a setting of the construction,
 * not of each layer's signature: models pass it down without knowing it.
 */
import type { StoragePrecision } from '../half/precision.js';

let current: StoragePrecision = 'f32';

/** Builds with `build`, every weight that can be stored in 16 bits stored in `precision`. */
export function buildInPrecision<T>(precision: StoragePrecision, build: () => T): T {
  const before = current;
  current = precision;
  try {
    return build();
  } finally {
    current = before;
  }
}

/** The precision layers built now store their weights in (`f32` outside {@link buildInPrecision}). */
export function buildPrecision(): StoragePrecision {
  return current;
}
