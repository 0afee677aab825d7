/**
 * Refuses a family config with a missing or unknown field, naming it: a misspelt `nKvGroup` would
 * otherwise fall back silently or fail far from its cause.
 */
export function checkConfigFields(
  family: string,
  config: object,
  required: readonly string[],
  optional: readonly string[] = [],
): void {
  if (config == null || typeof config !== 'object') throw new TypeError(`${family} config must be an object`);
  const given = config as Record<string, unknown>;
  const missing = required.filter((field) => given[field] === undefined);
  if (missing.length > 0) {
    throw new RangeError(
      `${family} config: missing ${missing.join(', ')} (see the ${family} presets for values)`,
    );
  }
  const known = new Set([...required, ...optional]);
  const unknown = Object.keys(given).filter((field) => !known.has(field));
  if (unknown.length > 0) {
    throw new RangeError(
      `${family} config: unknown field ${unknown.join(', ')}; the fields are ${[...known].join(', ')}`,
    );
  }
}
