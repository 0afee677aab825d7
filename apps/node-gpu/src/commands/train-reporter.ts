/** Turns training events into JSON lines (--json), the progress bar, and log lines for people. */
import type { TrainEvent } from '@scratchgpt/trainer';
import type { Output } from '../output.js';
import { ProgressBar } from '../progress.js';

export class TrainReporter {
  readonly #output: Output;
  readonly #progress: ProgressBar;
  readonly #started = performance.now();
  #totalSteps = 0;
  #stepsThisRun = 0;
  #skippedThisRun = 0;

  constructor(output: Output) {
    this.#output = output;
    this.#progress = new ProgressBar(output.isTTY);
  }

  /** A line for people, above the progress bar. */
  log(line: string): void {
    this.#progress.log(line);
  }

  done(): void {
    this.#progress.done();
  }

  report(event: TrainEvent): void {
    const output = this.#output;
    switch (event.event) {
      case 'start':
        this.#totalSteps = event.totalSteps;
        if (event.resumed) this.log(`resumed at step ${event.step} of ${event.totalSteps}`);
        return;
      case 'progress':
        return;
      case 'step':
        this.#stepsThisRun++;
        output.event({
          event: 'step',
          step: event.step,
          loss: event.loss,
          lr: event.lr,
          tokensSeen: event.tokensSeen,
          tokensPerSec: event.tokensPerSec,
          ...(event.lossScale !== undefined ? { lossScale: event.lossScale, skipped: event.skipped } : {}),
        });
        if (event.skipped) this.#skippedThisRun++;
        if (event.skipped && !output.json) {
          this.log(
            `step ${String(event.step).padStart(5)}: skipped, its gradients overflowed in f16; loss scale now ${event.lossScale}`,
          );
        }
        this.#progress.update({
          step: event.step,
          totalSteps: this.#totalSteps,
          loss: event.loss,
          tokensPerSec: event.tokensPerSec,
          stepsThisRun: this.#stepsThisRun,
          secondsThisRun: (performance.now() - this.#started) / 1000,
          ...(event.lossScale !== undefined
            ? { lossScale: event.lossScale, skippedSteps: this.#skippedThisRun }
            : {}),
        });
        return;
      case 'eval': {
        output.event({ event: 'eval', step: event.step, trainLoss: event.trainLoss, valLoss: event.valLoss });
        const val = event.valLoss == null ? '' : `, val ${event.valLoss.toFixed(3)}`;
        if (!output.json) {
          this.log(
            `step ${String(event.step).padStart(5)}: train loss ${event.trainLoss.toFixed(3)}${val} (${event.tokensSeen.toLocaleString('en-US')} tokens seen)`,
          );
        }
        return;
      }
      case 'sample':
        output.event({ event: 'sample', step: event.step, text: event.text });
        if (!output.json) this.log(`sample at step ${event.step}: ${event.text}`);
        return;
      case 'checkpoint':
        output.event({ event: 'checkpoint', step: event.step, checkpoint: event.location });
        return;
      case 'done':
        this.done();
        output.event({ event: 'done', step: event.step, reason: event.reason, checkpoint: event.checkpoint });
        if (!output.json) {
          const verb = event.reason === 'aborted' ? 'stopped' : 'finished';
          const resume = event.reason === 'aborted' ? ` (resume with --model ${event.checkpoint})` : '';
          output.note(`${verb} at step ${event.step}; checkpoint in ${event.checkpoint}${resume}`);
        }
        return;
    }
  }
}
