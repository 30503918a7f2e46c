import type { PriceEntry } from '../types.js';

// Standard tier list prices. Read from https://platform.openai.com/docs/pricing (now served at
// https://developers.openai.com/api/docs/pricing, which since mid-2026 lists only current models;
// the older rows below were cross-checked against simonw/llm-prices data/openai.json and
// independent public price tables). Reasoning tokens are billed as output tokens.
const SOURCE = 'https://platform.openai.com/docs/pricing';
const AS_OF = '2026-11-24';
const e = (model: string, input: number, cachedInput: number | undefined, output: number, note?: string): PriceEntry => ({
  model,
  provider: 'openai',
  input,
  output,
  ...(cachedInput !== undefined ? { cachedInput } : {}),
  source: SOURCE,
  asOf: AS_OF,
  ...(note ? { note } : {}),
});

export const OPENAI_PRICES: PriceEntry[] = [
  e('gpt-4o', 2.5, 1.25, 10),
  e('gpt-4o-2024-05-13', 5, undefined, 15, 'The first gpt-4o snapshot kept its launch price.'),
  e('gpt-4o-mini', 0.15, 0.075, 0.6),
  e('gpt-4.1', 2, 0.5, 8),
  e('gpt-4.1-mini', 0.4, 0.1, 1.6),
  e('gpt-4.1-nano', 0.1, 0.025, 0.4),
  e('gpt-5', 1.25, 0.125, 10),
  e('gpt-5-mini', 0.25, 0.025, 2),
  e('gpt-5-nano', 0.05, 0.005, 0.4),
  e('gpt-5.1', 1.25, 0.125, 10),
  e('o3', 2, 0.5, 8, 'Price after the June 2025 reduction.'),
  e('o4-mini', 1.1, 0.275, 4.4),
  e('text-embedding-3-small', 0.02, undefined, 0),
  e('text-embedding-3-large', 0.13, undefined, 0),
];
