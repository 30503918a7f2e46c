/**
 * Series keyed by several attribute values, as nested Maps: one Map.get per value, and no
 * composite key string to build, flatten and hash on every record (which cost more than the
 * rest of recording a metric). Keys are compared as Map keys do: `undefined`, `''` and `0` are
 * three different keys.
 */
export type Level = Map<unknown, unknown>;

/** The map under `key` in `m`, created if missing. */
export function level(m: Level, key: unknown): Level {
  let next = m.get(key) as Level | undefined;
  if (next === undefined) {
    next = new Map();
    m.set(key, next);
  }
  return next;
}
