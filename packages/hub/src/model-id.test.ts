import { describe, expect, it } from 'vitest';
import { HubError } from './errors.js';
import { bookConfig, looksLikeModelId, modelFiles, parseModelId } from './model-id.js';

describe('parseModelId', () => {
  it.each([
    ['gpt2', 'openai-community/gpt2', 'main'],
    ['gpt2-medium', 'openai-community/gpt2-medium', 'main'],
    ['gpt2-large', 'openai-community/gpt2-large', 'main'],
    [
      'gpt2-xl@607a30d783dfa663caf39e06633721c8d4cfcd7e',
      'openai-community/gpt2-xl',
      '607a30d783dfa663caf39e06633721c8d4cfcd7e',
    ],
    ['openai-community/gpt2', 'openai-community/gpt2', 'main'],
    ['someone/my_gpt.v2@refs/pr/1', 'someone/my_gpt.v2', 'refs/pr/1'],
  ])('%s is %s at %s', (text, repo, revision) => {
    expect(parseModelId(text)).toEqual({ text, repo, revision });
  });

  it("takes a size for the book's copies, gpt2-small by default", () => {
    expect(parseModelId('rasbt/gpt2-from-scratch-pytorch')).toMatchObject({ bookSize: 'gpt2-small' });
    const medium = parseModelId('rasbt/gpt2-from-scratch-pytorch:gpt2-medium@main');
    expect(medium).toMatchObject({
      repo: 'rasbt/gpt2-from-scratch-pytorch',
      revision: 'main',
      bookSize: 'gpt2-medium',
    });
    expect(modelFiles(medium)).toEqual([{ path: 'gpt2-medium-355M.safetensors', role: 'weights' }]);
    expect(modelFiles(parseModelId('gpt2'))).toEqual([
      { path: 'config.json', role: 'config' },
      { path: 'model.safetensors', role: 'weights' },
    ]);
  });

  it.each([
    ['runs/demo/final', 'expected owner/name'],
    ['./runs/demo', 'expected owner/name'],
    ['/tmp/model', 'expected owner/name'],
    ['gpt3', 'expected owner/name'],
    ['owner/na--me', 'expected owner/name'],
    ['gpt2@', 'an empty revision after @'],
    ['gpt2@../../../z', "the revision '../../../z' is not a branch, tag or commit"],
    ['gpt2@refs/../../z', "the revision 'refs/../../z' is not a branch, tag or commit"],
    ['gpt2@/etc/passwd', "the revision '/etc/passwd' is not a branch, tag or commit"],
    ['gpt2@main\\..\\x', "the revision 'main\\..\\x' is not a branch, tag or commit"],
    ['gpt2@.hidden', "the revision '.hidden' is not a branch, tag or commit"],
    ['gpt2@main branch', "the revision 'main branch' is not a branch, tag or commit"],
    ['openai-community/gpt2:gpt2-medium', 'only rasbt/gpt2-from-scratch-pytorch takes a :size'],
    [
      'rasbt/gpt2-from-scratch-pytorch:gpt2-huge',
      'rasbt/gpt2-from-scratch-pytorch holds gpt2-small, gpt2-medium, gpt2-large, gpt2-xl',
    ],
  ])('refuses %s (%s)', (text, why) => {
    expect(() => parseModelId(text)).toThrow(
      new HubError(
        'invalid-id',
        `'${text}' is not a model id (${why}): use gpt2, gpt2-medium, gpt2-large, gpt2-xl or owner/name[@revision]`,
      ),
    );
    expect(looksLikeModelId(text)).toBe(false);
  });

  it("gives the book's GPT-2 configs, which the repository does not hold", () => {
    expect(bookConfig('gpt2-xl')).toEqual({
      vocab_size: 50257,
      context_length: 1024,
      emb_dim: 1600,
      n_heads: 25,
      n_layers: 48,
      drop_rate: 0.1,
      qkv_bias: true,
      tie_word_embeddings: true,
    });
  });
});
