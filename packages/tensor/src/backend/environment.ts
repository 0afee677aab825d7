/** True under Node.js (also inside vitest), false in browsers and workers. */
export const isNode: boolean =
  typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions.node != null;

/**
 * Imports a package by a specifier bundlers cannot follow. Used for Node-only optional packages
 * (tfjs-node-gpu, Dawn's `webgpu`) so a browser bundle never tries to include them.
 */
export function importNodeOnly(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

/** The message of anything thrown, on one line. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
