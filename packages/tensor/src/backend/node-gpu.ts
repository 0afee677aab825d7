import { importNodeOnly, isNode } from './environment.js';

/**
 * Loads `@tensorflow/tfjs-node-gpu` (CUDA through libtensorflow), which registers the `tensorflow`
 * backend. Its install often fails (it downloads libtensorflow); a failed import means "not installed".
 */
export async function registerNodeGpu(load?: () => Promise<unknown>): Promise<void> {
  if (!isNode) throw new Error('node-gpu runs only under Node.js');
  await (load ? load() : importNodeOnly('@tensorflow/tfjs-node-gpu'));
}
