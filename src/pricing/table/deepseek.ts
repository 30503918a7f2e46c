import type { PriceEntry } from '../types.js';

// https://api-docs.deepseek.com/quick_start/pricing — DeepSeek-V3.2 list prices (both aliases:
// deepseek-chat = non-thinking, deepseek-reasoner = thinking): cache miss $0.28, cache hit
// $0.028, output $0.42 per 1M (as also recorded by RooCode's provider table, "Updated Dec 9, 2025").
// Later in 2026 DeepSeek moved these aliases to V4 models with peak/off-peak prices, which a
// flat table cannot express: override in config if you need exact costs.
const base = {
  provider: 'deepseek',
  input: 0.28,
  cachedInput: 0.028,
  output: 0.42,
  source: 'https://api-docs.deepseek.com/quick_start/pricing',
  asOf: '2025-12-09',
  note: 'V3.2 flat price; 2026 V4 peak/off-peak pricing not modelled.',
};

export const DEEPSEEK_PRICES: PriceEntry[] = [
  { model: 'deepseek-chat', ...base },
  { model: 'deepseek-reasoner', ...base },
];
