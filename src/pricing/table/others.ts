import type { PriceEntry } from '../types.js';

// xAI: https://docs.x.ai/docs/models (USD per 1M; values as collected in simonw/llm-prices
// data/xai.json). Grok 4 / 4 Fast double above 128k context; only the ≤128k tier is modelled.
// Reasoning tokens are billed as output (our Usage already counts them in output).
const XAI = 'https://github.com/simonw/llm-prices/blob/main/data/xai.json';
// Mistral: https://mistral.ai/pricing#api-pricing (values as collected in simonw/llm-prices
// data/mistral.json). Dated ids only where the alias may move to a differently priced model.
const MISTRAL = 'https://github.com/simonw/llm-prices/blob/main/data/mistral.json';
const AS_OF = '2026-11-24';

export const XAI_PRICES: PriceEntry[] = [
  { model: 'grok-4', provider: 'xai', input: 3, cachedInput: 0.75, output: 15, source: XAI, asOf: AS_OF, note: '≤128k context tier.' },
  {
    model: 'grok-4-fast',
    provider: 'xai',
    input: 0.2,
    cachedInput: 0.05,
    output: 0.5,
    source: XAI,
    asOf: AS_OF,
    note: '≤128k context tier.',
  },
  { model: 'grok-3', provider: 'xai', input: 3, cachedInput: 0.75, output: 15, source: XAI, asOf: AS_OF },
  { model: 'grok-3-mini', provider: 'xai', input: 0.3, cachedInput: 0.075, output: 0.5, source: XAI, asOf: AS_OF },
  { model: 'grok-code-fast-1', provider: 'xai', input: 0.2, cachedInput: 0.02, output: 1.5, source: XAI, asOf: AS_OF },
];

export const MISTRAL_PRICES: PriceEntry[] = [
  {
    model: 'mistral-small',
    aliases: ['mistral-small-latest'],
    provider: 'mistral',
    input: 0.1,
    output: 0.3,
    source: MISTRAL,
    asOf: AS_OF,
    note: 'Mistral Small 3.x.',
  },
  { model: 'mistral-medium-2505', provider: 'mistral', input: 0.4, output: 2, source: MISTRAL, asOf: AS_OF },
  { model: 'mistral-large-2411', provider: 'mistral', input: 2, output: 6, source: MISTRAL, asOf: AS_OF },
  { model: 'codestral', aliases: ['codestral-latest'], provider: 'mistral', input: 0.3, output: 0.9, source: MISTRAL, asOf: AS_OF },
  { model: 'ministral-8b', aliases: ['ministral-8b-latest'], provider: 'mistral', input: 0.1, output: 0.1, source: MISTRAL, asOf: AS_OF },
];

// Qwen3-Max, international (Singapore) price for the 0–32K input tier, $1.2 in / $6 out per 1M
// (https://www.alibabacloud.com/help/en/model-studio/models; same figures on
// https://vercel.com/ai-gateway/models/qwen3-max). Longer prompts cost more: not modelled.
export const QWEN_PRICES: PriceEntry[] = [
  {
    model: 'qwen3-max',
    provider: 'qwen',
    input: 1.2,
    output: 6,
    source: 'https://vercel.com/ai-gateway/models/qwen3-max',
    asOf: AS_OF,
    note: 'Intl 0–32K input tier only; mainland (CNY) and longer-context tiers differ.',
  },
];

// MiniMax: https://platform.minimax.io/docs/guides/pricing — M2 family $0.3 in / $1.2 out,
// cache read $0.03, cache write $0.375 per 1M (as listed in https://docs.litellm.ai/docs/providers/minimax
// and simonw/llm-prices data/minimax.json).
export const MINIMAX_PRICES: PriceEntry[] = ['minimax-m2', 'minimax-m2.1', 'minimax-m2.5'].map((model) => ({
  model,
  provider: 'minimax',
  input: 0.3,
  cachedInput: 0.03,
  cacheWrite: 0.375,
  output: 1.2,
  source: 'https://docs.litellm.ai/docs/providers/minimax',
  asOf: AS_OF,
}));
