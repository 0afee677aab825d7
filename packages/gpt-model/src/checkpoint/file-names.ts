/** The files of a checkpoint directory, in both layouts (Hugging Face's names, which the book's copies take too). */

/** The model's settings (`n_embd`, `n_layer`, … or the book's `emb_dim`, `n_layers`, …). */
export const CONFIG_FILE = 'config.json';
/** The weights. */
export const WEIGHTS_FILE = 'model.safetensors';
