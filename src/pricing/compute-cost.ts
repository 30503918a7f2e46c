import type { Usage } from '../core/usage.js';
import { matchModel } from './match-model.js';
import { PRICE_TABLE } from './table/index.js';
import type { PriceEntry, PriceOverride, ResolvedPrice } from './types.js';

export interface CostInput {
  /** The provider's config name (as used in `pricing:` keys, `<provider>/<model>`). */
  provider: string;
  /** Model actually billed (the response model when known, else the one asked for). */
  model: string;
  usage: Usage | undefined;
  overrides?: Readonly<Record<string, PriceOverride>>;
  /** For tests and tools; defaults to the bundled table. */
  table?: readonly PriceEntry[];
}

const tableIndexCache = new WeakMap<readonly PriceEntry[], Map<string, PriceEntry>>();

function indexTable(table: readonly PriceEntry[]): Map<string, PriceEntry> {
  let idx = tableIndexCache.get(table);
  if (!idx) {
    idx = new Map();
    for (const e of table) {
      idx.set(e.model.toLowerCase(), e);
      for (const a of e.aliases ?? []) idx.set(a.toLowerCase(), e);
    }
    tableIndexCache.set(table, idx);
  }
  return idx;
}

function fromOverride(o: PriceOverride, origin: string): ResolvedPrice {
  return {
    input: o.input,
    output: o.output,
    cachedInput: o.cached_input ?? o.input,
    cacheWrite: o.cache_write ?? o.input,
    reasoning: o.reasoning ?? o.output,
    origin,
  };
}

function overrideFor(input: CostInput): ResolvedPrice | undefined {
  const overrides = input.overrides;
  if (!overrides) return undefined;
  const scoped = new Map<string, PriceOverride>();
  const global = new Map<string, PriceOverride>();
  const prefix = `${input.provider.toLowerCase()}/`;
  for (const [key, value] of Object.entries(overrides)) {
    const k = key.toLowerCase();
    if (k.startsWith(prefix)) scoped.set(k.slice(prefix.length), value);
    else if (!k.includes('/')) global.set(k, value);
  }
  const hit = matchModel(input.model, scoped);
  if (hit) return fromOverride(hit.value, `override:${input.provider}/${hit.name}`);
  const g = matchModel(input.model, global);
  return g ? fromOverride(g.value, `override:${g.name}`) : undefined;
}

/**
 * The price for a provider/model: a provider-scoped override, else a model override, else the
 * bundled table (rules in match-model.ts). Undefined when unknown.
 */
export function resolvePrice(input: Omit<CostInput, 'usage'>): ResolvedPrice | undefined {
  const o = overrideFor(input as CostInput);
  if (o) return o;
  const hit = matchModel(input.model, indexTable(input.table ?? PRICE_TABLE));
  if (!hit) return undefined;
  const e = hit.value;
  return fromOverride(
    { input: e.input, output: e.output, cached_input: e.cachedInput, cache_write: e.cacheWrite, reasoning: e.reasoning },
    `table:${e.model}`,
  );
}

/** Cost is reported to 1e-10 USD, so sums of float products compare exactly. */
function round(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}

/**
 * USD for one attempt's usage, or null when the price or the usage is unknown (never 0 for
 * "unknown"). Each bucket is priced separately; Usage semantics (src/core/usage.ts) say input
 * includes cache reads and writes and output includes reasoning, so:
 *   fresh input = input − cache read − cache write
 *   visible output = output − reasoning
 *   cost = (fresh·in + read·cached_in + write·cache_write + visible·out + reasoning·reasoning) / 1e6
 * Buckets larger than their total are clamped (a vendor's over-report cannot make cost negative).
 */
export function computeCost(input: CostInput): number | null {
  const u = input.usage;
  if (!u || (u.inputTokens === undefined && u.outputTokens === undefined)) return null;
  const price = resolvePrice(input);
  return price ? costAt(price, u) : null;
}

/** computeCost with the price already resolved (callers that cache resolvePrice). */
export function costAt(price: ResolvedPrice, u: Usage | undefined): number | null {
  if (!u || (u.inputTokens === undefined && u.outputTokens === undefined)) return null;
  const inTokens = u.inputTokens ?? 0;
  const outTokens = u.outputTokens ?? 0;
  const read = Math.min(u.cacheReadTokens ?? 0, inTokens);
  const write = Math.min(u.cacheWriteTokens ?? 0, inTokens - read);
  const reasoning = Math.min(u.reasoningTokens ?? 0, outTokens);
  const perMillion =
    (inTokens - read - write) * price.input +
    read * price.cachedInput +
    write * price.cacheWrite +
    (outTokens - reasoning) * price.output +
    reasoning * price.reasoning;
  return round(perMillion / 1e6);
}

/** True when a price is known for this provider/model (for warn-once logic). */
export function isPriceKnown(input: Omit<CostInput, 'usage'>): boolean {
  return resolvePrice(input) !== undefined;
}
