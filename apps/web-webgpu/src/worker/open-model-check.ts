/**
 * What a Qwen3, Llama 3.2 or Gemma 3 config.json describes, judged before anything else of the model is
 * downloaded: its family, which published size it is, its parameters, and whether the current
 * backend can hold its weights in the precision asked for (`assertOpenModelFits`, the check the loader
 * itself makes); when it cannot, which published sizes could.
 */
import {
  assertOpenModelFits,
  countDecoderParameters,
  type DecoderConfig,
  decoderWeightBytes,
  familyOf,
  GEMMA3_PRESETS,
  gemma3Decoder,
  LLAMA3_PRESETS,
  llama3Decoder,
  QWEN3_PRESETS,
  qwen3Decoder,
  SIZE_FIELDS,
} from '@scratchgpt/open-models';
import { memoryBudgetBytes, type StoragePrecision } from '@scratchgpt/tensor';
import type { OpenModelCheck } from '../open-model-protocol.js';

/** Every published size the page knows, as the shared decoder's config. */
const PUBLISHED: ReadonlyArray<{ name: string; decoder: DecoderConfig }> = [
  ...Object.entries(QWEN3_PRESETS).map(([size, c]) => ({ name: `Qwen3 ${size}`, decoder: qwen3Decoder(c) })),
  ...Object.entries(LLAMA3_PRESETS).map(([size, c]) => ({
    name: `Llama ${size}`,
    decoder: llama3Decoder({ ...c, ropeScaling: c.ropeScaling ? { ...c.ropeScaling } : null }),
  })),
  ...Object.entries(GEMMA3_PRESETS).map(([size, c]) => ({
    name: `Gemma 3 ${size}`,
    decoder: gemma3Decoder({ ...c, layerTypes: [...c.layerTypes] }),
  })),
];

/** Refuses a config.json that is no open family's; otherwise describes it and judges the memory. */
export function checkOpenModel(
  configJson: unknown,
  id: string,
  precision: StoragePrecision = 'f32',
): OpenModelCheck {
  const decoder = familyOf(configJson, `config.json of ${id}`).decoder(configJson);
  const preset = PUBLISHED.find(
    (entry) =>
      entry.decoder.family === decoder.family &&
      entry.decoder.layerTypes.length === decoder.layerTypes.length &&
      SIZE_FIELDS.every((field) => entry.decoder[field] === decoder[field]),
  );
  const budget = memoryBudgetBytes();
  let refusal: string | null = null;
  try {
    assertOpenModelFits(configJson, precision);
  } catch (error) {
    refusal = error instanceof Error ? error.message : String(error);
  }
  const fitting =
    budget === null
      ? []
      : PUBLISHED.filter((entry) => decoderWeightBytes(entry.decoder, precision) <= budget);
  return {
    id,
    family: decoder.family,
    preset: preset?.name ?? null,
    parameters: countDecoderParameters(decoder),
    precision,
    weightBytes: decoderWeightBytes(decoder, precision),
    contextLength: decoder.contextLength,
    budgetBytes: budget,
    refusal,
    fitting: refusal === null ? [] : fitting.map((entry) => entry.name),
  };
}
