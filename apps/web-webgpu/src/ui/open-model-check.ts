/** The memory check of an open model's config.json, in one line for the chat card. */
import type { OpenModelCheck } from '../open-model-protocol.js';

/** The size, then whether this backend holds it; when it does not, which published sizes would. */
export function describeOpenModelCheck(check: OpenModelCheck): string {
  const size = check.preset ?? `a ${check.family} of a size of its own`;
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  const what = `${check.id}: ${size}, ${(check.parameters / 1e6).toFixed(1)}M parameters, ${gib(check.weightBytes)} of ${check.precision === 'f32' ? 'float32' : check.precision} weights`;
  if (check.refusal === null) {
    return check.budgetBytes === null
      ? `${what}; the memory check allows it here (this backend has no fixed ceiling: the adapter's memory decides).`
      : `${what}; fits this backend's ${gib(check.budgetBytes)}.`;
  }
  const instead =
    check.fitting.length > 0 ? ` What fits: ${check.fitting.join(', ')}.` : ' No published size fits.';
  return `${what}; does not fit this backend's ${gib(check.budgetBytes ?? 0)}.${instead}`;
}
