/** The classify mode's elements, by the data-testid that tests and users' scripts drive them by. */
import { byTestId } from '../ui/elements.js';

export function classifyElements() {
  return {
    upload: byTestId<HTMLInputElement>('classify-upload'),
    useSms: byTestId<HTMLButtonElement>('classify-use-sms'),
    dataInfo: byTestId<HTMLElement>('classify-data-info'),
    format: byTestId<HTMLSelectElement>('classify-format'),
    textColumn: byTestId<HTMLInputElement>('classify-text-column'),
    labelColumn: byTestId<HTMLInputElement>('classify-label-column'),
    base: byTestId<HTMLSelectElement>('classify-base'),
    trainable: byTestId<HTMLSelectElement>('classify-trainable'),
    pooling: byTestId<HTMLSelectElement>('classify-pooling'),
    maxLength: byTestId<HTMLInputElement>('classify-max-length'),
    batchSize: byTestId<HTMLInputElement>('classify-batch-size'),
    lr: byTestId<HTMLInputElement>('classify-lr'),
    steps: byTestId<HTMLInputElement>('classify-steps'),
    evalEvery: byTestId<HTMLInputElement>('classify-eval-every'),
    train: byTestId<HTMLButtonElement>('classify-train'),
    stop: byTestId<HTMLButtonElement>('classify-stop'),
    step: byTestId<HTMLElement>('classify-step'),
    loss: byTestId<HTMLElement>('classify-loss'),
    accuracy: byTestId<HTMLElement>('classify-accuracy'),
    testAccuracy: byTestId<HTMLElement>('classify-test-accuracy'),
    chart: byTestId<HTMLElement>('classify-chart'),
    status: byTestId<HTMLElement>('classify-status'),
    text: byTestId<HTMLInputElement>('classify-text'),
    run: byTestId<HTMLButtonElement>('classify-run'),
    result: byTestId<HTMLElement>('classify-result'),
    probabilities: byTestId<HTMLElement>('classify-probabilities'),
    info: byTestId<HTMLElement>('classifier-info'),
    load: byTestId<HTMLInputElement>('classify-load'),
    save: byTestId<HTMLButtonElement>('classify-save'),
  };
}
