/** Checkpoint files on the page: picking config.json + model.safetensors, and downloading them. */

export interface CheckpointFiles<F extends { name: string }> {
  config: F;
  weights: F;
}

/** The two files of a checkpoint among those chosen, or an error saying what is missing. */
export function pickCheckpointFiles<F extends { name: string }>(files: readonly F[]): CheckpointFiles<F> {
  const configs = files.filter((file) => file.name.toLowerCase().endsWith('.json'));
  const weights = files.filter((file) => file.name.toLowerCase().endsWith('.safetensors'));
  if (configs.length !== 1 || weights.length !== 1) {
    const chosen = files.length === 0 ? 'none' : files.map((file) => file.name).join(', ');
    throw new Error(
      `Choose the two files of a checkpoint together, config.json and model.safetensors (chosen: ${chosen})`,
    );
  }
  return { config: configs[0] as F, weights: weights[0] as F };
}

/** Downloads one file; a short pause between files keeps browsers from dropping the second. */
export async function download(name: string, data: BlobPart, type: string): Promise<void> {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  await new Promise((resolve) => setTimeout(resolve, 300));
  URL.revokeObjectURL(url);
}
