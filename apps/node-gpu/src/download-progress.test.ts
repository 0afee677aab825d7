import { describe, expect, it } from 'vitest';
import { downloadLine, formatBytes } from './download-progress.js';

describe('the download bar', () => {
  it('shows the file, bytes of its size, the share, speed and time left', () => {
    expect(
      downloadLine({ file: 'model.safetensors', loaded: 312_400_000, total: 548_100_000 }, 11_200_000),
    ).toBe('model.safetensors ███████████░░░░░░░░░ 312.4 MB / 548.1 MB 56% · 11.2 MB/s · ETA 21s');
    expect(downloadLine({ file: 'config.json', loaded: 665, total: 665 }, 0)).toBe(
      'config.json ████████████████████ 665 B / 665 B 100% · 0 B/s · ETA 0s',
    );
  });

  it('counts bytes in decimal units, as download sizes are quoted', () => {
    expect([999, 1_500, 548_105_000, 6_431_000_000].map(formatBytes)).toEqual([
      '999 B',
      '1.5 kB',
      '548.1 MB',
      '6.43 GB',
    ]);
  });
});
