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

/**
 * V8 flags `switchyard serve` is started with (package.json `start`, the bin's shebang, the image's
 * ENTRYPOINT): a young generation of a fixed 32 MiB per semi-space. They cannot be set once the
 * process runs (V8 sizes its heap at start), and NODE_OPTIONS does not take the second.
 *
 * By default V8 starts the young generation at 1 MiB, grows it under load up to 16 MiB and shrinks
 * it when allocation slows; every regrowth commits fresh pages, and each page faults in. In the
 * bench's side-by-side groups (sidecars loaded in turn, as a sidecar sees bursts after quiet spells)
 * the sidecars took 0.5–1.2 minor page faults per call with V8's sizing and 0.13–0.46 with these
 * flags, and 10 % (ClickHouse sink off) to 16 % (on) less CPU per call (docs/benchmarks.md,
 * sixteenth round). The price is memory: about 27 MiB more resident after load (171 against
 * 144 MiB in that test).
 */
export const SERVE_NODE_FLAGS = ['--max-semi-space-size=32', '--min-semi-space-size=32'] as const;

/**
 * The serve log's line on the young generation: the semi-space flags node was started with, or a
 * note that V8 sizes it itself (`ownSizing`: serve logs that at info, the other at debug).
 */
export function youngGenerationNote(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): { line: string; ownSizing: boolean } {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => /^--(max|min)[-_]semi[-_]space[-_]size(=|$)/.test(a));
  if (given.length > 0) return { line: `V8 young generation: ${given.join(' ')}`, ownSizing: false };
  return {
    line: `V8 young generation: V8's own sizing (node was started without ${SERVE_NODE_FLAGS.join(' ')}; see docs/config.md)`,
    ownSizing: true,
  };
}
