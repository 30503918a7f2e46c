import type { Logger } from '../core/log.js';
import type { Usage } from '../core/usage.js';
import { computeCost, isPriceKnown } from './compute-cost.js';
import { PRICE_TABLE_VERSION } from './table/index.js';
import type { PriceOverride } from './types.js';

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
  return {
    version: PRICE_TABLE_VERSION,
    cost({ provider, model, usage }) {
      const overrides = opts.overrides();
      const usd = computeCost({ provider, model, usage, overrides });
      if (usd === null && !isPriceKnown({ provider, model, overrides })) {
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
