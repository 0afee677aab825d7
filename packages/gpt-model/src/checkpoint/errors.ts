export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
