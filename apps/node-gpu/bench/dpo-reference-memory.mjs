#!/usr/bin/env node
/**
 * What running DPO's reference without a gradient saves: one training step's loss and gradients
 * (`tf.variableGrads`) on a batch of the bundled preference pairs, measured three ways in the same
 * process, on the same model:
 *   - taped: the reference's forward passes recorded on the gradient tape, their output cut from the
 *     gradient afterwards (what a stop-gradient on the result does);
 *   - untaped: the reference inside `withoutGradient` (what `dpoObjective` does);
 *   - policyOnly: the policy's two passes alone, the floor.
 * Reports TF.js's peak bytes above what was held before the step (`tf.profile`) and the median wall
 * time of each, as JSON. Wall times are as noisy as the machine; the bytes are exact.
 *
 *   node apps/node-gpu/bench/dpo-reference-memory.mjs [--backend wasm] [--emb 256] [--layers 4]
 *        [--batch 8] [--repeats 3]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GPTModel } from '@scratchgpt/gpt-model';
import {
  collatePreferences,
  dpoLoss,
  encodePreference,
  parsePreferenceData,
  responseLogProbs,
} from '@scratchgpt/instruct';
import { initBackend, manualSeed, tf, withoutGradient } from '@scratchgpt/tensor';
import { getGPT2Tokenizer } from '@scratchgpt/tokenizer';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    emb: { type: 'string', default: '256' },
    layers: { type: 'string', default: '4' },
    batch: { type: 'string', default: '8' },
    repeats: { type: 'string', default: '3' },
  },
});
const backend = await initBackend({ prefer: values.backend });
const dataPath = fileURLToPath(
  new URL('../../../data/instruction-data-with-preference.json', import.meta.url),
);
const data = parsePreferenceData(readFileSync(dataPath, 'utf8'));
const tokenizer = getGPT2Tokenizer();
const pairs = data.slice(0, Number(values.batch)).map((entry) => encodePreference(entry, tokenizer));
const batch = collatePreferences(pairs, { allowedMaxLength: 256 });
const config = {
  vocabSize: 50257,
  contextLength: 256,
  embDim: Number(values.emb),
  nHeads: 4,
  nLayers: Number(values.layers),
  dropRate: 0,
  qkvBias: false,
};
manualSeed(1);
const policy = new GPTModel(config);
const reference = new GPTModel(config);
reference.setTrainable(false);

const logProbs = (model, side) => responseLogProbs(model, batch[side], batch.batchSize, batch.length);
/** The old way: recorded on the tape, its gradient cut at the output. */
const cutGradient = tf.customGrad((x, save) => {
  save([]);
  return { value: tf.clone(x), gradFunc: (dy) => tf.zerosLike(dy) };
});
const referenceBy = {
  taped: (side) => cutGradient(logProbs(reference, side)),
  untaped: (side) => withoutGradient(() => logProbs(reference, side)),
};

function step(variant) {
  const { value, grads } = tf.variableGrads(() => {
    const policyChosen = logProbs(policy, 'chosen');
    const policyRejected = logProbs(policy, 'rejected');
    if (variant === 'policyOnly') return tf.neg(tf.mean(tf.sub(policyChosen, policyRejected)));
    const result = dpoLoss(
      {
        policyChosen,
        policyRejected,
        referenceChosen: referenceBy[variant]('chosen'),
        referenceRejected: referenceBy[variant]('rejected'),
      },
      0.1,
    );
    tf.dispose([result.chosenRewards, result.rejectedRewards]);
    return result.loss;
  });
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return loss;
}

const results = {};
for (const variant of ['taped', 'untaped', 'policyOnly']) {
  step(variant); // warm-up: kernels compiled, buffers allocated
  const times = [];
  let peakBytes = 0;
  for (let i = 0; i < Number(values.repeats); i++) {
    const held = tf.memory().numBytes; // the weights and data, before the step
    const started = performance.now();
    const profile = await tf.profile(() => step(variant));
    times.push(performance.now() - started);
    peakBytes = Math.max(peakBytes, profile.peakBytes - held);
  }
  times.sort((a, b) => a - b);
  results[variant] = {
    peakMiB: +(peakBytes / 2 ** 20).toFixed(1),
    medianMs: Math.round(times[times.length >> 1]),
  };
}
console.log(
  JSON.stringify(
    {
      backend,
      model: config,
      batch: { pairs: batch.batchSize, length: batch.length },
      ...results,
      untapedPeakVsTaped: +(results.untaped.peakMiB / results.taped.peakMiB).toFixed(3),
    },
    null,
    2,
  ),
);
