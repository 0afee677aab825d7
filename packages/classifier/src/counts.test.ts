/**
 * The book's parameter counts on GPT-2 124M itself (allocated here with random weights: counts need no
 * pretrained ones): 124,441,346 parameters with the 2-class head; 7,090,946 trainable with the last
 * block, the final norm and the head (chapter 6); 0 after freezing and 2,666,528 LoRA parameters at
 * rank 16 on every Linear, the head included, whose insertion leaves the logits as they were (appendix E).
 */
import { GPTModel, preset } from '@scratchgpt/gpt-model';
import { applyLoRA } from '@scratchgpt/lora';
import { initBackend, tf } from '@scratchgpt/tensor';
import { beforeAll, expect, it } from 'vitest';
import { GPTClassifier } from './model/gpt-classifier.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

it("counts GPT-2 124M's classifier as the book: 124,441,346; 7,090,946 trainable; 2,666,528 with LoRA, which changes no output", async () => {
  // GPT-2's weights: query/key/value biases, the head tied to the token embedding (then replaced).
  const gpt = new GPTModel(preset('gpt2-small', { qkvBias: true, tieWeights: true }));
  const classifier = new GPTClassifier(gpt, { numClasses: 2 });
  expect(classifier.numParameters()).toBe(124_441_346);
  expect(classifier.numParameters({ trainable: true })).toBe(124_441_346);
  classifier.trainOnly('last-block');
  expect(classifier.numParameters({ trainable: true })).toBe(7_090_946);
  expect(gpt.trfBlocks.at(-1).numParameters()).toBe(7_087_872);
  expect(gpt.finalNorm.numParameters()).toBe(1_536);
  expect(classifier.outHead.numParameters()).toBe(1_538);
  classifier.setTrainable(false);
  expect(classifier.numParameters({ trainable: true })).toBe(0);
  const ids = tf.tensor2d([[5211, 345, 423, 640]], undefined, 'int32'); // "Do you have time"
  const before = await classifier.eval().forward(ids).data();
  const layers = applyLoRA(classifier, { rank: 16, alpha: 16 });
  expect(layers.size).toBe(12 * 6 + 1);
  expect(classifier.numParameters({ trainable: true })).toBe(2_666_528);
  expect(layers.get('out_head')?.numParameters()).toBe(12_320);
  // B starts at zero: inserting LoRA changes no output, to the bit.
  expect(await classifier.forward(ids).data()).toEqual(before);
  ids.dispose();
  classifier.dispose();
}, 240_000);
