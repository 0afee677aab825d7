/**
 * What a class head sits on: a decoder's last hidden state (its final norm's output, before any
 * vocabulary head or soft-cap), and the parts fine-tuning chooses from. The book's `GPTModel` and the
 * open families' `DecoderModel` (Qwen3, Llama 3.2, Gemma 3) are both backbones; each keeps its own
 * parameter names (`trf_blocks.11.…` for GPT, Hugging Face's `model.layers.27.…` for the others), so
 * one classifier, one trainer, one LoRA and one checkpoint format serve both.
 */
import { GPTModel } from '@scratchgpt/gpt-model';
import type { DecoderModel } from '@scratchgpt/open-models';
import type { Module, tf } from '@scratchgpt/tensor';

/** A model a classifier can be built on. */
export type BackboneModel = GPTModel | DecoderModel;

interface BackboneShape {
  readonly embDim: number;
  readonly contextLength: number;
  readonly vocabSize: number;
  /** The model's top-level parts under its own names, the vocabulary head left out. */
  readonly parts: ReadonlyArray<readonly [string, Module]>;
  /** What `'last-block'` trains beside the class head: the last block and the final norm. */
  readonly lastBlock: readonly Module[];
  /** (B, T) ids → (B, T, embDim): the final norm's output. */
  hiddenStates(ids: tf.Tensor): tf.Tensor;
  /** Frees the vocabulary head, which the class head replaces. */
  freeVocabularyHead(): void;
}

export type ClassifierBackbone =
  | (BackboneShape & { readonly kind: 'gpt'; readonly model: GPTModel })
  | (BackboneShape & { readonly kind: 'open'; readonly model: DecoderModel });

export function backboneOf(model: BackboneModel): ClassifierBackbone {
  return model instanceof GPTModel ? gptBackbone(model) : openBackbone(model);
}

function gptBackbone(gpt: GPTModel): ClassifierBackbone {
  const { embDim, contextLength, vocabSize } = gpt.config;
  return {
    kind: 'gpt',
    model: gpt,
    embDim,
    contextLength,
    vocabSize,
    // tok_emb, pos_emb, drop_emb, trf_blocks, final_norm
    parts: gpt.namedModules().filter(([name]) => name !== '' && !name.includes('.') && name !== 'out_head'),
    lastBlock: [gpt.trfBlocks.at(-1), gpt.finalNorm],
    hiddenStates: (ids) => gpt.hiddenStates(ids),
    freeVocabularyHead: () => gpt.outHead?.dispose(),
  };
}

function openBackbone(decoder: DecoderModel): ClassifierBackbone {
  const { embDim, contextLength, vocabSize } = decoder.config;
  const layers = [...decoder.model.layers];
  return {
    kind: 'open',
    model: decoder,
    embDim,
    contextLength,
    vocabSize,
    // `model`: embed_tokens, layers, norm. A tied head is the embedding itself, which stays.
    parts: [['model', decoder.model]],
    lastBlock: [layers.at(-1) as Module, decoder.model.norm],
    hiddenStates: (ids) => decoder.lastHiddenState(ids),
    freeVocabularyHead: () => decoder.lmHead?.dispose(),
  };
}
