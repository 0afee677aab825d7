/**
 * The model's hyperparameters, with the book's names in TypeScript casing, and the presets: the four
 * GPT-2 sizes and a few small models for tests, demos and benchmarks.
 */
export interface GPTConfig {
  vocabSize: number;
  /** Longest input the position embedding covers. */
  contextLength: number;
  embDim: number;
  nHeads: number;
  nLayers: number;
  /** Dropout after the embeddings, on attention weights and on each residual branch. */
  dropRate: number;
  /** Biases on the query/key/value projections (GPT-2's weights have them; the book trains without). */
  qkvBias: boolean;
  /** The output head reuses the token embedding (GPT-2 does; the book's model trains its own head). */
  tieWeights?: boolean;
  /** 'learned' (the book's absolute positions, default), 'sinusoidal' or 'rotary'. */
  positionEmbedding?: PositionEmbeddingKind;
}

export type PositionEmbeddingKind = 'learned' | 'sinusoidal' | 'rotary';

const gpt2 = { vocabSize: 50257, contextLength: 1024, dropRate: 0.1, qkvBias: false } as const;

export const presets = {
  'gpt2-small': { ...gpt2, embDim: 768, nLayers: 12, nHeads: 12 },
  'gpt2-medium': { ...gpt2, embDim: 1024, nLayers: 24, nHeads: 16 },
  'gpt2-large': { ...gpt2, embDim: 1280, nLayers: 36, nHeads: 20 },
  'gpt2-xl': { ...gpt2, embDim: 1600, nLayers: 48, nHeads: 25 },
  /** The smallest useful model: trains on The Verdict in minutes on a CPU. */
  'gpt-nano': { ...gpt2, contextLength: 128, embDim: 48, nLayers: 3, nHeads: 3 },
  'gpt-micro': { ...gpt2, contextLength: 128, embDim: 128, nLayers: 4, nHeads: 4 },
  'gpt-mini': { ...gpt2, contextLength: 256, embDim: 192, nLayers: 6, nHeads: 6 },
  /** The benchmark configuration PyTorch baselines are quoted for (context 64, 2 layers). */
  'gpt-tiny': { ...gpt2, contextLength: 64, embDim: 128, nLayers: 2, nHeads: 4 },
} as const satisfies Record<string, GPTConfig>;

export type PresetName = keyof typeof presets;

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(presets, name);
}

/** A copy of a preset, optionally with some fields changed. */
export function preset(name: string, overrides: Partial<GPTConfig> = {}): GPTConfig {
  if (!isPresetName(name)) {
    throw new ConfigError(
      `Unknown model preset '${name}'. Known presets: ${Object.keys(presets).join(', ')}`,
    );
  }
  return validateConfig({ ...presets[name], ...overrides });
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Checks every field and returns the config, or throws naming the bad field and why. */
export function validateConfig(config: GPTConfig): GPTConfig {
  const positive = ['vocabSize', 'contextLength', 'embDim', 'nHeads', 'nLayers'] as const;
  for (const key of positive) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new ConfigError(`config.${key} must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  if (config.embDim % config.nHeads !== 0) {
    throw new ConfigError(
      `config.embDim (${config.embDim}) must be divisible by config.nHeads (${config.nHeads})`,
    );
  }
  if (!(config.dropRate >= 0 && config.dropRate < 1)) {
    throw new ConfigError(`config.dropRate must be in [0, 1), got ${JSON.stringify(config.dropRate)}`);
  }
  if (typeof config.qkvBias !== 'boolean') throw new ConfigError('config.qkvBias must be true or false');
  const kinds: PositionEmbeddingKind[] = ['learned', 'sinusoidal', 'rotary'];
  if (config.positionEmbedding != null && !kinds.includes(config.positionEmbedding)) {
    throw new ConfigError(`config.positionEmbedding must be one of ${kinds.join(', ')}`);
  }
  if (config.positionEmbedding === 'rotary' && (config.embDim / config.nHeads) % 2 !== 0) {
    throw new ConfigError('Rotary positions need an even head dimension (embDim / nHeads)');
  }
  return config;
}
