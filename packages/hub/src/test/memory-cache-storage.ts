/** Cache Storage kept in memory, so the browser code path runs in Node's tests (Node has no `caches`). */
export class MemoryCacheStorage {
  readonly caches = new Map<string, Map<string, Uint8Array>>();
  /** What happened, in order: each chunk a put read from its body (`put <key> <bytes>`), and what tests add. */
  readonly log: string[] = [];
  /** When set, every put fails with this error after reading the body (a browser out of quota). */
  failPuts: Error | undefined;

  async open(name: string): Promise<Cache> {
    const entries = this.caches.get(name) ?? new Map<string, Uint8Array>();
    this.caches.set(name, entries);
    const cache = {
      match: async (key: string) => {
        const bytes = entries.get(key);
        return bytes === undefined ? undefined : new Response(bytes.slice());
      },
      // As a browser does: the body is read to its end before anything is stored; a body that errors
      // stores nothing.
      put: async (key: string, response: Response) => {
        const chunks: Uint8Array[] = [];
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          this.log.push(`put ${key} ${value.byteLength}`);
          chunks.push(value);
        }
        if (this.failPuts) throw this.failPuts;
        entries.set(key, new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer()));
      },
      delete: async (key: string) => entries.delete(key),
    };
    return cache as unknown as Cache;
  }

  asCacheStorage(): CacheStorage {
    return this as unknown as CacheStorage;
  }
}
