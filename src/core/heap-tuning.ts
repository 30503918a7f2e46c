import { setFlagsFromString } from 'node:v8';

/**
 * The old generation's growing factor for `switchyard serve`: 2 (V8's `--heap-growing-percent=100`)
 * unless SWITCHYARD_V8_HEAP_GROWING_PERCENT sets another (0 gives V8's own choice back).
 *
 * V8 picks the factor by itself, between 1.1 and 4. After the sidecar has been idle for a while
 * (its memory reducer shrinks the heap) it can settle near the bottom of that range when traffic
 * comes back: in the bench (docs/benchmarks.md, "seventh round") the old generation's limit then
 * sat just above its live size, a mark-compact ran every second scavenge (every 50–60 ms), and
 * the CPU per streamed call went from 66–78 µs to 120–153 µs for as long as the load lasted. A
 * sidecar sees exactly that pattern (quiet, then a burst). With a factor of 2 the old generation
 * may grow to twice its live size (tens of MB here) before the next full GC.
 *
 * V8 reads this flag each time it sets the limit, so setting it at start-up is enough.
 */
export function tuneHeapForServing(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.SWITCHYARD_V8_HEAP_GROWING_PERCENT;
  const percent = raw === undefined || raw === '' ? 100 : Number(raw);
  if (!Number.isInteger(percent) || percent < 0 || percent > 300) {
    throw new Error(`SWITCHYARD_V8_HEAP_GROWING_PERCENT must be an integer from 0 to 300, got ${JSON.stringify(raw)}`);
  }
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent === 0 ? "V8 heap growing factor: V8's own" : `V8 heap growing factor: ${1 + percent / 100}`;
}
