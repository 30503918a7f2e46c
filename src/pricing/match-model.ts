/**
 * Model-name matching, shared by the bundled table and config overrides. Case-insensitive.
 *
 * 1. An exact name (an entry's id or one of its aliases) wins.
 * 2. Otherwise the LONGEST known name `p` such that the model is `p-<digit>…` matches: that is a
 *    dated or numbered snapshot of `p` — `gpt-4o-mini-2024-07-18` → `gpt-4o-mini`,
 *    `doubao-1-5-pro-32k-250115` → `doubao-1-5-pro-32k`, `mistral-small-2506` → `mistral-small`.
 *    An explicit snapshot entry (`gpt-4o-2024-05-13`) is longer, so it wins over its family.
 * 3. Nothing else matches. In particular a different variant is NOT its family's price:
 *    `o3-pro` is not `o3`, `gpt-5-pro` is not `gpt-5`, `gpt-4o-mini-search-preview` is not
 *    `gpt-4o-mini`. Unknown → cost null, never a guess.
 */
export function matchModel<T>(model: string, names: ReadonlyMap<string, T>): { name: string; value: T } | undefined {
  const wanted = model.toLowerCase();
  const exact = names.get(wanted);
  if (exact !== undefined) return { name: wanted, value: exact };
  let best: { name: string; value: T } | undefined;
  for (const [name, value] of names) {
    if (wanted.length <= name.length + 1 || !wanted.startsWith(name) || wanted[name.length] !== '-') continue;
    const next = wanted.charCodeAt(name.length + 1);
    if (next < 48 || next > 57) continue;
    if (!best || name.length > best.name.length) best = { name, value };
  }
  return best;
}
