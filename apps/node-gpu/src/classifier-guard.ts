/**
 * A classifier (a run of `classify train`, or a directory with classifier.json) keeps its GPT body
 * as an ordinary checkpoint, so a GPT loader reads it; but its head scores classes, and its tied
 * vocabulary head was never trained for the next token. Commands that need the next token refuse it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLASSIFIER_SETTINGS_FILE } from '@scratchgpt/classifier';
import { CommandError } from './errors.js';
import { type DirectoryContents, modelFilesOf } from './run-directory.js';

/** Throws when `--model DIRECTORY` is a classifier; `instead` is the command to use, DIR for the directory. */
export function refuseClassifier(directory: string, contents: DirectoryContents, instead: string): void {
  const classifierRun = contents.kind === 'run' && contents.manifest.task === 'classify';
  const files =
    contents.kind === 'run' || contents.kind === 'checkpoint' ? modelFilesOf(directory, contents) : undefined;
  if (!classifierRun && (files === undefined || !existsSync(join(files, CLASSIFIER_SETTINGS_FILE)))) return;
  throw new CommandError(
    `--model ${directory} is a classifier: its head scores classes, not the next token; use 'scratchgpt ${instead.replace('DIR', directory)}'`,
  );
}
