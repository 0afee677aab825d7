/** The bundled SMS Spam Collection and its fixture (../../fixtures/sms-split/, from tools/reference). */
import { readFileSync } from 'node:fs';

export const smsPath = new URL('../../../../data/sms-spam-collection.tsv', import.meta.url);

export function smsContent(): string {
  return readFileSync(smsPath, 'utf8');
}

export interface SmsFixture {
  sha256: string;
  rows: number;
  counts: Record<string, number>;
  /** Texts of a few rows, by row number. */
  texts: Record<string, string>;
  balanced: number[];
  train: number[];
  validation: number[];
  test: number[];
}

export const smsFixture = JSON.parse(
  readFileSync(new URL('../../fixtures/sms-split/sms-split.json', import.meta.url), 'utf8'),
) as SmsFixture;
