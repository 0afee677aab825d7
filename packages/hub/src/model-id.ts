/**
 * Model ids: `gpt2`…`gpt2-xl` (OpenAI's GPT-2, kept on the Hub under `openai-community/`), any
 * `owner/name` holding a GPT-2 `config.json` + `model.safetensors`, and the book's own copies in
 * `rasbt/gpt2-from-scratch-pytorch` (book layout, one file per size). Each may pin a revision with
 * `@revision` (a branch, tag or commit); the book's copies take a size before it:
 * `rasbt/gpt2-from-scratch-pytorch:gpt2-medium@main`.
 */
import { revisionProblem } from './cache-names.js';
import { HubError } from './errors.js';

export const GPT2_REPOS = {
  gpt2: 'openai-community/gpt2',
  'gpt2-medium': 'openai-community/gpt2-medium',
  'gpt2-large': 'openai-community/gpt2-large',
  'gpt2-xl': 'openai-community/gpt2-xl',
} as const;

export const BOOK_REPO = 'rasbt/gpt2-from-scratch-pytorch';

/**
 * A checkpoint directory's files: the names `@scratchgpt/gpt-model` exports as `CONFIG_FILE` and
 * `WEIGHTS_FILE`, repeated here once because this package depends on no package that needs TF.js.
 */
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';

/** The four GPT-2 sizes, named as scratchgpt's presets name them. */
export type BookSize = 'gpt2-small' | 'gpt2-medium' | 'gpt2-large' | 'gpt2-xl';

/** The book's file for each size: a state dict of its GPTModel, with the head copied from `tok_emb`. */
const BOOK_FILES: Record<BookSize, string> = {
  'gpt2-small': 'gpt2-small-124M.safetensors',
  'gpt2-medium': 'gpt2-medium-355M.safetensors',
  'gpt2-large': 'gpt2-large-774M.safetensors',
  'gpt2-xl': 'gpt2-xl-1558M.safetensors',
};

const BOOK_SHAPES: Record<BookSize, { emb_dim: number; n_heads: number; n_layers: number }> = {
  'gpt2-small': { emb_dim: 768, n_heads: 12, n_layers: 12 },
  'gpt2-medium': { emb_dim: 1024, n_heads: 16, n_layers: 24 },
  'gpt2-large': { emb_dim: 1280, n_heads: 20, n_layers: 36 },
  'gpt2-xl': { emb_dim: 1600, n_heads: 25, n_layers: 48 },
};

export interface ModelId {
  /** The id as written. */
  text: string;
  /** `owner/name` on the Hub. */
  repo: string;
  /** Branch, tag or commit; `main` unless pinned. */
  revision: string;
  /** Only for the book's repository: which of its sizes. */
  bookSize?: BookSize;
}

/** A file of a model's repository and what it is to a checkpoint directory. */
export interface RepoFile {
  path: string;
  role: 'config' | 'weights';
}

// Hub repository names: letters, digits, '-', '_', '.', not starting with '-' or '.'.
const namePart = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;

/** Whether `text` reads as a model id (rather than, say, a directory path). */
export function looksLikeModelId(text: string): boolean {
  try {
    parseModelId(text);
    return true;
  } catch {
    return false;
  }
}

export function parseModelId(text: string): ModelId {
  const invalid = (why: string) =>
    new HubError(
      'invalid-id',
      `'${text}' is not a model id (${why}): use gpt2, gpt2-medium, gpt2-large, gpt2-xl or owner/name[@revision]`,
    );
  const at = text.indexOf('@');
  const head = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? 'main' : text.slice(at + 1);
  const colon = head.indexOf(':');
  const name = colon < 0 ? head : head.slice(0, colon);
  const size = colon < 0 ? undefined : head.slice(colon + 1);
  const badRevision = revisionProblem(revision);
  if (badRevision !== undefined) throw invalid(badRevision);
  const repo = name in GPT2_REPOS ? GPT2_REPOS[name as keyof typeof GPT2_REPOS] : name;
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((part) => namePart.test(part) && !part.includes('--'))) {
    throw invalid('expected owner/name');
  }
  if (repo !== BOOK_REPO) {
    if (size !== undefined) throw invalid(`only ${BOOK_REPO} takes a :size`);
    return { text, repo, revision };
  }
  const bookSize = size ?? 'gpt2-small';
  if (!(bookSize in BOOK_FILES)) throw invalid(`${BOOK_REPO} holds ${Object.keys(BOOK_FILES).join(', ')}`);
  return { text, repo, revision, bookSize: bookSize as BookSize };
}

/** The files a checkpoint needs from the model's repository, config first. */
export function modelFiles(id: ModelId): RepoFile[] {
  if (id.bookSize !== undefined) return [{ path: BOOK_FILES[id.bookSize], role: 'weights' }];
  return [
    { path: CONFIG_FILE, role: 'config' },
    { path: WEIGHTS_FILE, role: 'weights' },
  ];
}

/**
 * The config.json of one of the book's copies, which its repository does not hold: the book's keys for
 * GPT-2 (vocabulary 50,257, context 1,024, query/key/value biases). The files carry `out_head.weight`
 * as a copy of `tok_emb.weight`; declaring the head tied makes the loader check that and keep one.
 */
export function bookConfig(size: BookSize): Record<string, unknown> {
  return {
    vocab_size: 50257,
    context_length: 1024,
    ...BOOK_SHAPES[size],
    drop_rate: 0.1,
    qkv_bias: true,
    tie_word_embeddings: true,
  };
}
