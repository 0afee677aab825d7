import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HubError } from '../errors.js';
import { hubCacheDir, hubSettingsFromEnv } from './settings.js';

describe('settings from the environment, as Python reads them', () => {
  it('finds the cache in HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b', XDG_CACHE_HOME: '/c' })).toBe('/a');
    expect(hubCacheDir({ HF_HOME: '/b', XDG_CACHE_HOME: '/c' })).toBe('/b/hub');
    expect(hubCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/huggingface/hub');
    expect(hubCacheDir({})).toBe(join(homedir(), '.cache', 'huggingface', 'hub'));
  });

  it('reads HF_ENDPOINT, HF_TOKEN (else the saved login) and HF_HUB_OFFLINE', () => {
    const home = mkdtempSync(join(tmpdir(), 'scratchgpt-hf-home-'));
    writeFileSync(join(home, 'token'), 'hf_saved\n');
    expect(
      hubSettingsFromEnv({ HF_HOME: home, HF_ENDPOINT: 'https://mirror.example/', HF_HUB_OFFLINE: 'yes' }),
    ).toEqual({
      endpoint: 'https://mirror.example',
      token: 'hf_saved',
      offline: true,
      cacheDir: join(home, 'hub'),
      scratchgptCacheDir: join(homedir(), '.cache', 'scratchgpt'),
      timeoutMs: 10_000,
    });
    const explicit = hubSettingsFromEnv({
      HF_HOME: home,
      HF_TOKEN: 'hf_env',
      HF_HUB_OFFLINE: '0',
      SCRATCHGPT_CACHE: '/s',
    });
    expect(explicit).toMatchObject({
      endpoint: 'https://huggingface.co',
      token: 'hf_env',
      offline: false,
      scratchgptCacheDir: '/s',
    });
  });

  it('reads HF_HUB_DOWNLOAD_TIMEOUT in seconds, and refuses one that is no deadline', () => {
    expect(hubSettingsFromEnv({ HF_HUB_DOWNLOAD_TIMEOUT: '2.5' }).timeoutMs).toBe(2_500);
    for (const value of ['0', '-1', 'ten', '1e3', '86401', '4294967296']) {
      expect(() => hubSettingsFromEnv({ HF_HUB_DOWNLOAD_TIMEOUT: value })).toThrow(
        new HubError(
          'invalid-setting',
          `HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds above 0 and at most 86400, got '${value}'`,
        ),
      );
    }
  });
});
