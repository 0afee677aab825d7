/** Cache Storage kept in memory, so the browser code path runs in Node's tests (Node has no `caches`). */
export class MemoryCacheStorage {
  readonly caches = new Map<string, Map<string, Uint8Array>>();

  async open(name: string): Promise<Cache> {
    const entries = this.caches.get(name) ?? new Map<string, Uint8Array>();
    this.caches.set(name, entries);
    const cache = {
      match: async (key: string) => {
        const bytes = entries.get(key);
        return bytes === undefined ? undefined : new Response(bytes.slice());
      },
      put: async (key: string, response: Response) => {
        entries.set(key, new Uint8Array(await response.arrayBuffer()));
      },
      delete: async (key: string) => entries.delete(key),
    };
    return cache as unknown as Cache;
  }

  asCacheStorage(): CacheStorage {
    return this as unknown as CacheStorage;
  }
}
