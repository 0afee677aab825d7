/** Numbers from the page's inputs, checked, with errors that name the field and what it takes. */

export function readInteger(
  input: HTMLInputElement,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = Number(input.value);
  if (input.value.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be a whole number ${range}, got "${input.value}"`);
  }
  return value;
}

export function readNumber(
  input: HTMLInputElement,
  name: string,
  check: (value: number) => boolean,
  rule: string,
): number {
  const value = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new Error(`${name} must be ${rule}, got "${input.value}"`);
  }
  return value;
}
