/** Public surface of src/pricing. */
export { computeCost, isPriceKnown, resolvePrice, type CostInput } from './compute-cost.js';
export { createPricing, type Pricing } from './create-pricing.js';
export { matchModel } from './match-model.js';
export { priceOverrideSchema, pricingOverridesSchema, type PriceOverrideInput, type PricingOverrides } from './overrides-schema.js';
export { PRICE_TABLE, PRICE_TABLE_VERSION } from './table/index.js';
export type { PriceEntry, PriceOverride, ResolvedPrice } from './types.js';
