import { registerAllCpuKernels } from '../kernels/cpu/register-all.js';

export async function registerCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  registerAllCpuKernels();
}
