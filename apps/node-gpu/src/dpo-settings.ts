/**
 * What a DPO run records beside the instruction settings (`checkpoint.json`'s `dpo`): β, and the
 * reference the policy is measured against, so a resumed run measures against the same model.
 */

/** The frozen reference: the starting model loaded a second time, or the policy with its LoRA updates off. */
export type DpoReference =
  /** `model`: the directory the run started from; `step`: its step then, when it is a run. */
  { kind: 'copy'; model: string; step?: number } | { kind: 'without-adapters' };

export interface DpoRunSettings {
  beta: number;
  reference: DpoReference;
}

/** Checks the manifest's `dpo` field; `fail` names the field that is wrong. */
export function parseDpoSettings(value: unknown, fail: (problem: string) => never): DpoRunSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`"dpo" must be an object`);
  const record = value as Record<string, unknown>;
  const beta = record.beta;
  if (typeof beta !== 'number' || !(Number.isFinite(beta) && beta > 0))
    fail(`"dpo.beta" must be a number > 0`);
  return { beta: beta as number, reference: parseReference(record.reference, fail) };
}

function parseReference(value: unknown, fail: (problem: string) => never): DpoReference {
  const record = (value ?? {}) as Record<string, unknown>;
  if (record.kind === 'without-adapters') return { kind: 'without-adapters' };
  if (record.kind !== 'copy') fail(`"dpo.reference.kind" must be "copy" or "without-adapters"`);
  if (typeof record.model !== 'string' || record.model === '')
    fail(`"dpo.reference.model" must be the directory the run started from`);
  const reference: DpoReference = { kind: 'copy', model: record.model as string };
  if (record.step !== undefined) {
    if (!Number.isSafeInteger(record.step) || (record.step as number) < 0)
      fail(`"dpo.reference.step" must be an integer ≥ 0`);
    reference.step = record.step as number;
  }
  return reference;
}
