/**
 * The Hub settings Hugging Face's own clients read from the environment, so scratchgpt and Python share
 * one cache and one login: `HF_ENDPOINT`, `HF_TOKEN` (else the token `huggingface-cli login` saved),
 * `HF_HUB_OFFLINE`, and the cache `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
 * `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`, and `HF_HUB_DOWNLOAD_TIMEOUT`
 * (seconds the Hub may stay silent, 10 by default as in Python).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ENDPOINT, trimEndpoint } from '../endpoint.js';
import { HubError } from '../errors.js';
import { DEFAULT_TIMEOUT_MS } from '../transfer.js';

/** A day: longer silences are no deadline at all, and Node's timers overflow past 2^31 ms. */
export const MAX_TIMEOUT_SECONDS = 86_400;

export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  /** Use the cache only, never the network. */
  offline: boolean;
  /** The Hugging Face cache (`models--owner--name/{blobs,snapshots,refs}`). */
  cacheDir: string;
  /** scratchgpt's own cache, for checkpoint directories it assembles (the book's copies). */
  scratchgptCacheDir: string;
  /** The longest the Hub may stay silent: before it answers, and between two chunks of a body. */
  timeoutMs: number;
}

type Env = Record<string, string | undefined>;

export function hubSettingsFromEnv(env: Env = process.env): HubSettings {
  return {
    endpoint: trimEndpoint(env.HF_ENDPOINT || DEFAULT_ENDPOINT),
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || savedToken(env),
    offline: isTrue(env.HF_HUB_OFFLINE),
    cacheDir: hubCacheDir(env),
    scratchgptCacheDir: env.SCRATCHGPT_CACHE || join(cacheHome(env), 'scratchgpt'),
    timeoutMs: env.HF_HUB_DOWNLOAD_TIMEOUT
      ? parseTimeoutSeconds(env.HF_HUB_DOWNLOAD_TIMEOUT, 'HF_HUB_DOWNLOAD_TIMEOUT')
      : DEFAULT_TIMEOUT_MS,
  };
}

/** Seconds as written by a user (a variable or a flag, named in the message) to milliseconds. */
export function parseTimeoutSeconds(seconds: string, setting: string): number {
  const value = /^\s*\d+(\.\d+)?\s*$/.test(seconds) ? Number(seconds) : Number.NaN;
  if (!(value > 0 && value <= MAX_TIMEOUT_SECONDS)) {
    throw new HubError(
      'invalid-setting',
      `${setting} must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}, got '${seconds.slice(0, 40)}'`,
    );
  }
  return Math.ceil(value * 1000);
}

export function hubCacheDir(env: Env = process.env): string {
  return env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(hfHome(env), 'hub');
}

function hfHome(env: Env): string {
  return env.HF_HOME || join(cacheHome(env), 'huggingface');
}

function cacheHome(env: Env): string {
  return env.XDG_CACHE_HOME || join(homedir(), '.cache');
}

/** The token `huggingface-cli login` writes to `$HF_HOME/token` (or `$HF_TOKEN_PATH`). */
function savedToken(env: Env): string | undefined {
  try {
    const token = readFileSync(env.HF_TOKEN_PATH || join(hfHome(env), 'token'), 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/** Python's reading of boolean environment variables: 1, ON, YES or TRUE, in any case. */
function isTrue(value: string | undefined): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((value ?? '').trim().toUpperCase());
}
