/**
 * How large the files of a checkpoint or run directory may be before they are refused unread (with
 * `readRegularFile` of `@scratchgpt/files`).
 */

/** The most a JSON settings file (config.json, classifier.json, run.json) may take: a few KB in practice. */
export const MAX_JSON_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The most a file that travels with a `model.safetensors` of `weightsBytes` bytes may take (a class head,
 * LoRA updates, the optimizer's moments): a few copies of the weights at most, so eight times their
 * bytes (F16 weights, F64 copies) and 64 MiB for the rest.
 */
export function companionFileLimit(weightsBytes: number): number {
  return 8 * weightsBytes + 64 * 1024 * 1024;
}
