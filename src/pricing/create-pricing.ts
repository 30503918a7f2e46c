import type { Logger } from '../core/log.js';
import type { Usage } from '../core/usage.js';
import { costAt, resolvePrice } from './compute-cost.js';
import { PRICE_TABLE_VERSION } from './table/index.js';
import type { PriceOverride, ResolvedPrice } from './types.js';

export interface Pricing {
  version: string;
  /** USD or null; logs one warning per unknown provider/model (never per call). */
  cost(input: { provider: string; providerName?: string; model: string; usage: Usage }): number | null;
}

/**
 * The pricing service for the composition root: bundled table + live config overrides (read on
 * every call, so a hot-reloaded config applies at once) + warn-once for unknown prices.
 */
export function createPricing(opts: { overrides: () => Readonly<Record<string, PriceOverride>>; log?: Logger }): Pricing {
  const warned = new Set<string>();
  // Resolved prices per overrides object (a reload brings a new one), per provider/model.
  const resolved = new WeakMap<object, Map<string, ResolvedPrice | null>>();
  const priceFor = (provider: string, model: string, overrides: Readonly<Record<string, PriceOverride>>) => {
    let byModel = resolved.get(overrides);
    if (byModel === undefined) {
      byModel = new Map();
      resolved.set(overrides, byModel);
    }
    const key = `${provider}\u0000${model}`;
    let price = byModel.get(key);
    if (price === undefined) {
      price = resolvePrice({ provider, model, overrides }) ?? null;
      if (byModel.size < 10_000) byModel.set(key, price);
    }
    return price;
  };
  return {
    version: PRICE_TABLE_VERSION,
    cost({ provider, model, usage }) {
      const price = priceFor(provider, model, opts.overrides());
      const usd = price === null ? null : costAt(price, usage);
      if (price === null) {
        const key = `${provider}/${model}`;
        if (!warned.has(key) && warned.size < 10_000) {
          warned.add(key);
          opts.log?.warn('no price for model; cost recorded as null', { provider, model, priceTableVersion: PRICE_TABLE_VERSION });
        }
      }
      return usd;
    },
  };
}
