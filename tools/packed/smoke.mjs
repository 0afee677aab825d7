/**
 * What the packed packages must still do with whatever TF.js versions a project installed: the
 * conformance suite on every backend that starts (values and gradients against cpu), and ten AdamW
 * steps of the GPT model against PyTorch's (the trainer's `adamw-gpt` fixture), which also holds the
 * cpu backend itself to the reference. Run from inside an npm project that installed the tarballs:
 *
 *   node smoke.mjs <repository root>
 *
 * Prints one line per check and exits 1 if any fails. `SCRATCHGPT_REQUIRE_BACKENDS` is honoured.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@scratchgpt/gpt-model';
import { initBackend, parseSafetensors, tf } from '@scratchgpt/tensor';
import { compareCase, conformanceCases, defaultTolerance, runCases } from '@scratchgpt/tensor/conformance';
import { findTestBackends, maxAbsDiff } from '@scratchgpt/tensor/testing';
import { AdamW, computeGradients, crossEntropy } from '@scratchgpt/trainer';

const repository = process.argv[2];
if (repository == null) throw new Error('usage: node smoke.mjs <repository root>');
const fixtures = join(repository, 'packages/trainer/fixtures/adamw-gpt');
const read = (name) => readFileSync(join(fixtures, name));
const tensors = (name) => parseSafetensors(new Uint8Array(read(name)), name).tensors;

const failures = [];
function check(label, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures.push(label);
}

/** Every conformance case on `backend`, compared with the cpu backend's results. */
async function conformance(backend, reference) {
  await initBackend({ prefer: backend });
  if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  const outputs = await runCases(conformanceCases);
  const failed = conformanceCases
    .map((testCase) =>
      compareCase(testCase.name, outputs.get(testCase.name), reference.get(testCase.name), defaultTolerance),
    )
    .filter((comparison) => !comparison.ok);
  check(
    `${backend}: ${conformanceCases.length} conformance cases match cpu`,
    failed.length === 0,
    failed.map((comparison) => `${comparison.name} (${comparison.value.detail})`).join('; '),
  );
}

/** The fixture's ten AdamW steps: losses within 1e-5, weights within 1e-4 (key biases: 10·lr). */
async function adamwSteps(backend) {
  await initBackend({ prefer: backend });
  const settings = JSON.parse(read('config.json').toString('utf8'));
  const expectedLosses = JSON.parse(read('losses.json').toString('utf8'));
  const batches = tensors('batches.safetensors');
  const final = tensors('final.safetensors');
  const { model } = loadModel(settings.model, new Uint8Array(read('initial.safetensors')));
  model.train();
  const { lr, betas, eps, weight_decay: weightDecay } = settings.optimizer;
  const optimizer = new AdamW(model.namedParameters(), { lr, betas, eps, weightDecay });
  const allInputs = tf.tensor(batches.get('inputs').data, batches.get('inputs').shape, 'int32');
  const allTargets = tf.tensor(batches.get('targets').data, batches.get('targets').shape, 'int32');
  const losses = [];
  for (let step = 0; step < settings.steps; step++) {
    const inputs = tf.gather(allInputs, step);
    const targets = tf.gather(allTargets, step);
    const { loss, grads } = computeGradients(model, () => crossEntropy(model.forward(inputs), targets));
    optimizer.step(grads);
    losses.push((await loss.data())[0]);
    tf.dispose([inputs, targets, loss, ...grads.values()]);
  }
  const lossError = maxAbsDiff(losses, expectedLosses);
  check(`${backend}: ten AdamW steps give PyTorch's losses`, lossError <= 1e-5, `max |diff| ${lossError}`);
  const noise = new Set(settings.zero_gradient);
  let worst = { name: '', ratio: 0 };
  for (const [name, parameter] of model.namedParameters()) {
    const tolerance = noise.has(name) ? 10 * lr : 1e-4;
    const ratio = maxAbsDiff(await parameter.data(), final.get(name).data) / tolerance;
    if (ratio > worst.ratio) worst = { name, ratio };
  }
  check(
    `${backend}: the weights after ten steps match PyTorch's`,
    worst.ratio <= 1,
    `worst ${worst.name} at ${worst.ratio.toFixed(3)} of its tolerance`,
  );
  optimizer.dispose();
  model.dispose();
  tf.dispose([allInputs, allTargets]);
}

console.log(`TF.js ${tf.version_core}`);
const backends = await findTestBackends();
await initBackend({ prefer: 'cpu' });
const reference = await runCases(conformanceCases);
for (const { backend, available, reason } of backends) {
  if (!available) {
    console.log(`skip ${backend}: ${reason}`);
    continue;
  }
  if (backend !== 'cpu') await conformance(backend, reference);
  await adamwSteps(backend);
}
if (failures.length > 0) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
