export async function registerCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
}
