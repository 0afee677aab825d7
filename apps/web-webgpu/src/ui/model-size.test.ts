import { preset } from '@scratchgpt/gpt-model';
import { describe, expect, it } from 'vitest';
import { describeModelSize, pickerPresets, presetLabel } from './model-size.js';

describe('the model-size picker', () => {
  it('offers the small presets up to GPT-2 small, smallest first', () => {
    expect(pickerPresets).toEqual(['gpt-nano', 'gpt-tiny', 'gpt-micro', 'gpt-mini', 'gpt2-small']);
    expect(presetLabel('gpt-nano')).toBe('gpt-nano · 4.9M parameters');
  });

  it("states GPT-2 small's parameters and memory as the book counts them", () => {
    expect(describeModelSize(preset('gpt2-small'))).toBe(
      '12 layers, 12 heads, 768-d: 163,009,536 parameters · 621.8 MB of float32 weights · about 2.43 GB to train (weights, gradients, AdamW moments) before activations',
    );
  });

  it('counts the position table of the chosen context', () => {
    const short = describeModelSize(preset('gpt-nano', { contextLength: 16 }));
    const long = describeModelSize(preset('gpt-nano'));
    expect(short).toMatch(/^3 layers, 3 heads, 48-d: 4,\d{3},\d{3} parameters/);
    expect(short).not.toBe(long);
  });
});
