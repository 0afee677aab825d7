import { describe, expect, it } from 'vitest';
import { trainMessage } from './training.js';

describe('trainMessage', () => {
  it("keeps the fields the page draws, under the page's message type", () => {
    expect(
      trainMessage({
        event: 'step',
        step: 3,
        epoch: 1,
        loss: 2.5,
        lr: 4e-4,
        gradNorm: null,
        tokensSeen: 96,
        tokensPerSec: 1200,
      }),
    ).toEqual({ type: 'step', step: 3, loss: 2.5, tokensPerSec: 1200, tokensSeen: 96 });
    expect(trainMessage({ event: 'eval', step: 3, tokensSeen: 96, trainLoss: 2.5, valLoss: null })).toEqual({
      type: 'eval',
      step: 3,
      trainLoss: 2.5,
      valLoss: null,
    });
  });

  it('sends the end of a run as `trained`, without its state', () => {
    const done = {
      event: 'done',
      step: 9,
      tokensSeen: 288,
      reason: 'aborted',
      checkpoint: 'memory',
    } as const;
    expect(trainMessage({ ...done, state: {} as never })).toEqual({
      type: 'trained',
      step: 9,
      reason: 'aborted',
    });
  });

  it('leaves out the events the page does not draw', () => {
    expect(trainMessage({ event: 'sample', step: 1, text: 'Every effort' })).toBeUndefined();
    expect(trainMessage({ event: 'checkpoint', step: 1, location: 'memory' })).toBeUndefined();
  });
});
