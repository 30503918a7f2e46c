import type { PriceEntry } from '../types.js';

// Moonshot AI (platform.moonshot.ai) USD list prices per 1M tokens, as collected in
// simonw/llm-prices data/moonshot-ai.json; the K2.5/K2.6 rows match the published rates quoted in
// https://docs.openclaw.ai/providers/moonshot ("Kimi K2.6 … $0.16 cache hit, $0.95 input, $4.00
// output; Kimi K2.5 … $0.10, $0.60, $3.00"). Cached input = cache-hit price.
// Vendor page: https://platform.moonshot.ai/docs/pricing/chat (not readable here; values read from the file below).
const SOURCE = 'https://github.com/simonw/llm-prices/blob/main/data/moonshot-ai.json';
const e = (model: string, input: number, cachedInput: number, output: number): PriceEntry => ({
  model,
  provider: 'moonshot',
  input,
  cachedInput,
  output,
  source: SOURCE,
  asOf: '2026-11-24',
});

export const MOONSHOT_PRICES: PriceEntry[] = [
  e('kimi-k2.6', 0.95, 0.16, 4),
  e('kimi-k2.5', 0.6, 0.1, 3),
  e('kimi-k2-0905-preview', 0.6, 0.15, 2.5),
  e('kimi-k2-0711-preview', 0.6, 0.15, 2.5),
  e('kimi-k2-turbo-preview', 1.15, 0.15, 8),
  e('kimi-k2-thinking', 0.6, 0.15, 2.5),
  e('kimi-k2-thinking-turbo', 1.15, 0.15, 8),
];
