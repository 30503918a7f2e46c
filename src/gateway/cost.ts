import type { Logger } from '../core/log.js';
import type { RawPrice } from '../config/schema.js';
import { computeCost, PRICE_TABLE_VERSION } from '../pricing/index.js';
import type { CostFn } from './deps.js';

/**
 * Cost of one attempt from the bundled price table plus the config's `pricing:` overrides.
 * An unknown price is `null` (never 0) and logs one warning per provider/model.
 */
export function createCostFn(opts: { overrides: () => Readonly<Record<string, RawPrice>>; log: Logger }): { cost: CostFn; version: string } {
  const warned = new Set<string>();
  const cost: CostFn = ({ provider, providerName, model, usage }) => {
    const usd = computeCost({ provider: providerName, model, usage, overrides: opts.overrides(), providerKey: provider });
    if (usd === null) {
      const key = `${provider}/${model}`;
      if (!warned.has(key)) {
        warned.add(key);
        opts.log.warn('no price for model; cost recorded as null (add it under `pricing:` in the config)', { provider, model });
      }
    }
    return usd;
  };
  return { cost, version: PRICE_TABLE_VERSION };
}
