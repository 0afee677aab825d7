import { tf } from '@scratchgpt/tensor';
import cli from '../package.json' with { type: 'json' };

/** `scratchgpt --version`: this CLI's version and what it runs on. */
export function versionLine(): string {
  return `scratchgpt ${cli.version} (TensorFlow.js ${tf.version_core}, Node.js ${process.versions.node})`;
}
