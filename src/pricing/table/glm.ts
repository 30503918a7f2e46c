import type { PriceEntry } from '../types.js';

// Z.AI (international GLM platform) USD list prices per 1M tokens, https://docs.z.ai/guides/overview/pricing,
// as collected in simonw/llm-prices data/z.ai.json. The mainland BigModel platform bills in CNY
// at different rates: add a `pricing:` override for a `region: cn` GLM provider.
// Vendor page: https://docs.z.ai/guides/overview/pricing (values read from the file below).
const SOURCE = 'https://github.com/simonw/llm-prices/blob/main/data/z.ai.json';
const e = (model: string, input: number, cachedInput: number, output: number): PriceEntry => ({
  model,
  provider: 'glm',
  input,
  cachedInput,
  output,
  source: SOURCE,
  asOf: '2026-11-24',
  note: 'Z.AI (intl) USD price; BigModel (cn) CNY prices differ.',
});

export const GLM_PRICES: PriceEntry[] = [
  e('glm-5', 1, 0.2, 3.2),
  e('glm-4.7', 0.6, 0.11, 2.2),
  e('glm-4.6', 0.6, 0.11, 2.2),
  e('glm-4.5', 0.6, 0.11, 2.2),
  e('glm-4.5-air', 0.2, 0.03, 1.1),
  e('glm-4.5-x', 2.2, 0.45, 8.9),
];
