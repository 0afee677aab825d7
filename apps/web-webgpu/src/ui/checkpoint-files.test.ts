import { describe, expect, it } from 'vitest';
import { pickCheckpointFiles } from './checkpoint-files.js';

describe('pickCheckpointFiles', () => {
  it('finds config.json and model.safetensors in any order', () => {
    const files = [{ name: 'model.safetensors' }, { name: 'config.json' }];
    expect(pickCheckpointFiles(files)).toEqual({ config: files[1], weights: files[0] });
  });

  it('names what was chosen when the pair is incomplete', () => {
    expect(() => pickCheckpointFiles([{ name: 'config.json' }])).toThrow(
      'Choose the two files of a checkpoint together, config.json and model.safetensors (chosen: config.json)',
    );
    expect(() => pickCheckpointFiles([])).toThrow('(chosen: none)');
  });
});
