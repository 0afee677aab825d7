/** The model-size picker: the small presets up to GPT-2 small, with parameters and memory. */
import {
  countParameters,
  type GPTConfig,
  type PresetName,
  parameterMemoryMB,
  preset,
} from '@scratchgpt/gpt-model';

/** Smallest first; GPT-2 small is the largest that trains in a browser tab. */
export const pickerPresets: readonly PresetName[] = [
  'gpt-nano',
  'gpt-tiny',
  'gpt-micro',
  'gpt-mini',
  'gpt2-small',
];

/** Weights, gradients and AdamW's two moments: four float32 copies of every parameter. */
const trainingCopies = 4;

export function presetLabel(name: PresetName): string {
  return `${name} · ${millions(countParameters(preset(name)).total)}`;
}

/** One line: parameters, weight memory and what training needs, for the chosen context length. */
export function describeModelSize(config: GPTConfig): string {
  const parameters = countParameters(config).total;
  const weights = parameterMemoryMB(parameters);
  return (
    `${config.nLayers} layers, ${config.nHeads} heads, ${config.embDim}-d: ` +
    `${parameters.toLocaleString('en-US')} parameters · ${megabytes(weights)} of float32 weights · ` +
    `about ${megabytes(weights * trainingCopies)} to train (weights, gradients, AdamW moments) before activations`
  );
}

function millions(count: number): string {
  return `${(count / 1e6).toFixed(1)}M parameters`;
}

function megabytes(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(2)} GB` : `${mb.toFixed(1)} MB`;
}
