/**
 * Loss, accuracy and the confusion matrix of a classifier over a loader, in one pass and in eval mode:
 * the book's `calc_loss_loader` and `calc_accuracy_loader` together.
 */
import { tf } from '@scratchgpt/tensor';
import type { BatchSource } from '@scratchgpt/trainer';
import { crossEntropy } from '@scratchgpt/trainer';
import type { ClassificationBatch } from './data/loader.js';
import type { GPTClassifier } from './model/gpt-classifier.js';
import { classLogits } from './objective.js';

export interface ClassifierEvaluation {
  /** Mean cross-entropy per example (NaN over no examples). */
  loss: number;
  /** Share of examples whose most likely class is their label (NaN over none). */
  accuracy: number;
  correct: number;
  examples: number;
  batches: number;
  /** confusion[label][predicted]: how many examples of each class went to each class. */
  confusion: number[][];
}

export interface EvaluateClassifierOptions {
  /** Batches to read (default: all of epoch 0). */
  numBatches?: number;
  /** Stops between batches; the result then covers the batches read. */
  signal?: AbortSignal;
}

export async function evaluateClassifier(
  model: GPTClassifier,
  loader: BatchSource<ClassificationBatch>,
  options: EvaluateClassifierOptions = {},
): Promise<ClassifierEvaluation> {
  const total = Math.min(options.numBatches ?? loader.length, loader.length);
  const confusion = Array.from({ length: model.numClasses }, () =>
    new Array<number>(model.numClasses).fill(0),
  );
  let lossSum = 0;
  let correct = 0;
  let examples = 0;
  let batches = 0;
  const wasTraining = model.training;
  model.eval();
  try {
    for (const batch of loader.batches(0)) {
      if (batches >= total || options.signal?.aborted) break;
      const [loss, predicted] = tf.tidy(() => {
        const logits = classLogits(model, batch);
        const labels = tf.tensor1d(batch.labels, 'int32');
        return [crossEntropy(logits, labels, { reduction: 'sum' }), tf.argMax(logits, -1)];
      });
      lossSum += (await loss.data())[0] as number;
      const classes = await predicted.data();
      tf.dispose([loss, predicted]);
      batch.labels.forEach((label, row) => {
        const guess = classes[row] as number;
        (confusion[label] as number[])[guess] = ((confusion[label] as number[])[guess] as number) + 1;
        if (guess === label) correct++;
      });
      examples += batch.batchSize;
      batches++;
    }
  } finally {
    model.train(wasTraining);
  }
  return {
    loss: examples === 0 ? Number.NaN : lossSum / examples,
    accuracy: examples === 0 ? Number.NaN : correct / examples,
    correct,
    examples,
    batches,
    confusion,
  };
}
