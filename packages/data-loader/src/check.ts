/** Throws unless `value` is an integer ≥ `min`; the message names the owner, the option and the fix. */
export function checkInteger(owner: string, option: string, value: number, min: number, fix: string): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${owner}: ${option} must be an integer ≥ ${min}, got ${value}; ${fix}`);
  }
}
