/**
 * A strict RFC 6902 `add` (the only op the webhook emits), as the API server applies it: the parent
 * must exist, array indexes must be in range, `-` appends. Throws like the API server would reject.
 */
export function applyJsonPatch<T>(doc: T, ops: { op: string; path: string; value: unknown }[]): T {
  const root = structuredClone(doc) as unknown;
  for (const { op, path, value } of ops) {
    if (op !== 'add') throw new Error(`unsupported op ${op}`);
    const tokens = path
      .split('/')
      .slice(1)
      .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = tokens.pop();
    if (last === undefined) throw new Error('cannot add at the root');
    let parent: unknown = root;
    for (const t of tokens) {
      if (parent === null || typeof parent !== 'object') throw new Error(`missing path at ${t} in ${path}`);
      parent = Array.isArray(parent) ? parent[Number(t)] : (parent as Record<string, unknown>)[t];
      if (parent === undefined) throw new Error(`missing path ${path}`);
    }
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new Error(`index out of range in ${path}`);
      parent.splice(i, 0, structuredClone(value));
    } else if (parent !== null && typeof parent === 'object') {
      (parent as Record<string, unknown>)[last] = structuredClone(value);
    } else {
      throw new Error(`parent of ${path} is not a container`);
    }
  }
  return root as T;
}
