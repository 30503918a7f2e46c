import { z } from 'zod';

/**
 * Config `pricing:` — USD per 1M tokens, keyed by `<provider>/<model>` (the provider's config
 * name) or `<model>`. Strict: unknown keys are errors. Embed `pricingOverridesSchema` as the
 * `pricing` field of the config schema.
 */
const usdPerMillion = z.number().nonnegative().finite();

export const priceOverrideSchema = z.strictObject({
  input: usdPerMillion,
  output: usdPerMillion,
  cached_input: usdPerMillion.optional(),
  cache_write: usdPerMillion.optional(),
  reasoning: usdPerMillion.optional(),
});

export const pricingOverridesSchema = z.record(z.string().min(1), priceOverrideSchema);

export type PriceOverrideInput = z.infer<typeof priceOverrideSchema>;
export type PricingOverrides = z.infer<typeof pricingOverridesSchema>;
