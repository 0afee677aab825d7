/**
 * Reading the fields of a Hugging Face config.json: each must be present with the expected type, so a
 * config of another architecture fails with the field's name instead of building a wrong model.
 */
export class HuggingFaceFields {
  readonly #json: Record<string, unknown>;

  constructor(
    readonly family: string,
    json: unknown,
  ) {
    if (json == null || typeof json !== 'object' || Array.isArray(json)) {
      throw new TypeError(`${family}: a Hugging Face config.json must be a JSON object`);
    }
    this.#json = json as Record<string, unknown>;
  }

  number(field: string, fallback?: number): number {
    const value = this.#json[field] ?? fallback;
    if (typeof value !== 'number') {
      throw new RangeError(
        `${this.family}: config.json needs a number in "${field}", got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.#json[field] ?? fallback;
    if (typeof value !== 'boolean') {
      throw new RangeError(
        `${this.family}: config.json needs true or false in "${field}", got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  /** The raw value, for nested or optional fields. */
  raw(field: string): unknown {
    return this.#json[field];
  }

  /** The sizes every family shares, under their Hugging Face names. */
  sizes() {
    const nHeads = this.number('num_attention_heads');
    const embDim = this.number('hidden_size');
    return {
      vocabSize: this.number('vocab_size'),
      contextLength: this.number('max_position_embeddings'),
      embDim,
      nHeads,
      nKvGroups: this.number('num_key_value_heads', nHeads),
      headDim: this.number('head_dim', embDim / nHeads),
      hiddenDim: this.number('intermediate_size'),
      nLayers: this.number('num_hidden_layers'),
    };
  }
}
