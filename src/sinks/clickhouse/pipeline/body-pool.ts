/**
 * Memory for batch bodies, reused. A fresh body of a few MB for every batch (a full `otel_traces`
 * batch is about 4 MB) costs more than writing its rows: the allocator maps new pages, the kernel
 * faults them in zeroed, and unmaps them when the body is collected. Here a large body is a view
 * over an ArrayBuffer that comes back to the pool when delivery is done with the batch (`give`:
 * inserted, spooled or dropped). Until then nothing else writes to it, so a batch is immutable for
 * as long as anyone may read it: the inserter (the request has ended) and the spool (the file is
 * written) are done with the body when delivery gives it back. Small bodies are plain allocations;
 * memory the pool did not hand out, or handed back twice, is ignored. At most `maxFree` buffers wait.
 */
/** Smaller bodies are plain allocations. */
export const POOLED_MIN = 256 * 1024;
const GRANULE = 256 * 1024;

export class BodyPool {
  readonly #free: ArrayBuffer[] = [];
  readonly #lent = new WeakSet<ArrayBuffer>();

  constructor(private readonly maxFree = 4) {}

  /** A Buffer of exactly `bytes` bytes, contents undefined. */
  take(bytes: number): Buffer {
    if (bytes < POOLED_MIN) return Buffer.allocUnsafeSlow(bytes);
    let memory: ArrayBuffer | undefined;
    const free = this.#free;
    for (let i = free.length - 1; i >= 0; i--) {
      if ((free[i] as ArrayBuffer).byteLength >= bytes) {
        memory = free[i] as ArrayBuffer;
        free.splice(i, 1);
        break;
      }
    }
    memory ??= Buffer.allocUnsafeSlow(Math.ceil(bytes / GRANULE) * GRANULE).buffer as ArrayBuffer;
    this.#lent.add(memory);
    return Buffer.from(memory, 0, bytes);
  }

  /** Takes back a body from `take` that nothing reads any more. */
  give(body: Buffer): void {
    const memory = body.buffer as ArrayBuffer;
    if (!this.#lent.has(memory)) return;
    this.#lent.delete(memory);
    if (this.#free.length < this.maxFree) this.#free.push(memory);
  }
}
