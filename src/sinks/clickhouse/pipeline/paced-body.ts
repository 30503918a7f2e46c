import { setImmediate as nextLoopTurn } from 'node:timers/promises';

/**
 * Bytes per write of an insert's body to the socket: a quarter MiB, a fraction of a millisecond of
 * kernel copy. 64 KiB slices (the loopback MTU) cost the kernel about 1 µs per KB against 0.75, and
 * a saturated sidecar at c = 64 about 2 % of its throughput (docs/benchmarks.md, twenty-fourth
 * round); whole megabytes stall the proxy (below).
 */
export const BODY_SLICE_BYTES = 256 * 1024;

/**
 * An insert's body, in slices of `sliceBytes` with a turn of the event loop between them. Written
 * whole, a batch of megabytes goes into the socket in one system call: the kernel copies as much as
 * the socket takes (megabytes on loopback) while the proxy's requests wait, then they all come due
 * at once, and a closed loop of callers (and the upstreams) stalls behind the burst. In slices,
 * requests are served between writes. The slices are views of the body: nothing is copied. A body
 * in parts goes part by part, each sliced the same way, a turn taken after every `sliceBytes` or so.
 */
export async function* pacedBody(body: Buffer | readonly Buffer[], sliceBytes = BODY_SLICE_BYTES): AsyncGenerator<Buffer, void, undefined> {
  let sinceTurn = 0;
  for (const part of Buffer.isBuffer(body) ? [body] : body) {
    for (let at = 0; at < part.length; at += sliceBytes) {
      if (sinceTurn >= sliceBytes) {
        await nextLoopTurn();
        sinceTurn = 0;
      }
      const slice = part.subarray(at, at + sliceBytes);
      sinceTurn += slice.length;
      yield slice;
    }
  }
}
