import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  computeCost,
  createPricing,
  matchModel,
  PRICE_TABLE,
  PRICE_TABLE_VERSION,
  pricingOverridesSchema,
  resolvePrice,
} from '../../../src/pricing/index.js';
import type { PriceEntry } from '../../../src/pricing/index.js';

test('gpt-4o-mini with a cache hit: every bucket priced separately, exact', () => {
  // openai/chat-completion-cached-tokens.json: 1149 in (1024 cached), 353 out.
  // (125 × 0.15 + 1024 × 0.075 + 353 × 0.6) / 1e6 = (18.75 + 76.8 + 211.8) / 1e6
  const usd = computeCost({
    provider: 'openai',
    model: 'gpt-4o-mini-2024-07-18',
    usage: { inputTokens: 1149, outputTokens: 353, cacheReadTokens: 1024, reasoningTokens: 0 },
  });
  assert.equal(usd, 0.00030735);
});

test('reasoning is part of output and priced at the output rate unless a reasoning price is set', () => {
  // gpt-5-nano: 11 in, 228 out of which 192 reasoning → (11 × 0.05 + 228 × 0.4) / 1e6
  assert.equal(
    computeCost({
      provider: 'openai',
      model: 'gpt-5-nano-2025-08-07',
      usage: { inputTokens: 11, outputTokens: 228, cacheReadTokens: 0, reasoningTokens: 192 },
    }),
    0.00009175,
  );
  // With an override that prices reasoning separately: (11 × 1 + 36 × 2 + 192 × 5) / 1e6
  const overrides = { 'gpt-5-nano': { input: 1, output: 2, reasoning: 5 } };
  assert.equal(
    computeCost({
      provider: 'openai',
      model: 'gpt-5-nano-2025-08-07',
      usage: { inputTokens: 11, outputTokens: 228, reasoningTokens: 192 },
      overrides,
    }),
    0.001043,
  );
});

test('DeepSeek cache hits use the cache-hit price', () => {
  // 339 in (320 hit), 83 out: (19 × 0.28 + 320 × 0.028 + 83 × 0.42) / 1e6 = (5.32 + 8.96 + 34.86) / 1e6
  assert.equal(
    computeCost({
      provider: 'deepseek',
      model: 'deepseek-reasoner',
      usage: { inputTokens: 339, outputTokens: 83, cacheReadTokens: 320, reasoningTokens: 39 },
    }),
    0.00004914,
  );
});

test('cache writes are priced at cache_write (MiniMax), reads at cached input', () => {
  // 10,000 in = 2,000 read + 3,000 write + 5,000 fresh; 1,000 out.
  // (5000 × 0.3 + 2000 × 0.03 + 3000 × 0.375 + 1000 × 1.2) / 1e6 = (1500 + 60 + 1125 + 1200) / 1e6
  assert.equal(
    computeCost({
      provider: 'minimax',
      model: 'MiniMax-M2',
      usage: { inputTokens: 10000, outputTokens: 1000, cacheReadTokens: 2000, cacheWriteTokens: 3000 },
    }),
    0.003885,
  );
});

test('embeddings: input only', () => {
  assert.equal(computeCost({ provider: 'openai', model: 'text-embedding-3-small', usage: { inputTokens: 8 } }), 0.00000016);
});

test('unknown price or unknown usage → null, never 0', () => {
  assert.equal(computeCost({ provider: 'qwen', model: 'qwen-plus', usage: { inputTokens: 10, outputTokens: 10 } }), null);
  assert.equal(computeCost({ provider: 'x', model: 'doubao-1-5-pro-32k-250115', usage: { inputTokens: 10, outputTokens: 10 } }), null);
  assert.equal(computeCost({ provider: 'openai', model: 'gpt-4o', usage: undefined }), null);
  assert.equal(computeCost({ provider: 'openai', model: 'gpt-4o', usage: {} }), null);
  assert.equal(
    computeCost({ provider: 'openai', model: 'gpt-4o', usage: { inputTokens: 0, outputTokens: 0 } }),
    0,
    'known price, zero tokens is a real 0',
  );
});

test('model matching: exact, dated/numbered snapshot, longest wins, variants do not match', () => {
  const names = new Map(['gpt-4o', 'gpt-4o-mini', 'gpt-4o-2024-05-13', 'o3', 'doubao-1-5-pro-32k'].map((n) => [n, n]));
  const m = (s: string) => matchModel(s, names)?.value;
  assert.equal(m('GPT-4o'), 'gpt-4o');
  assert.equal(m('gpt-4o-2024-08-06'), 'gpt-4o');
  assert.equal(m('gpt-4o-2024-05-13'), 'gpt-4o-2024-05-13');
  assert.equal(m('gpt-4o-mini-2024-07-18'), 'gpt-4o-mini');
  assert.equal(m('doubao-1-5-pro-32k-250115'), 'doubao-1-5-pro-32k');
  assert.equal(m('o3-2025-04-16'), 'o3');
  assert.equal(m('o3-pro'), undefined);
  assert.equal(m('gpt-4o-mini-search-preview'), undefined);
  assert.equal(m('gpt-4'), undefined);
  assert.equal(m('gpt-4o-'), undefined);
  // In the bundled table the old gpt-4o snapshot keeps its own price.
  assert.equal(resolvePrice({ provider: 'openai', model: 'gpt-4o-2024-05-13' })?.input, 5);
  assert.equal(resolvePrice({ provider: 'openai', model: 'gpt-4o-2024-11-20' })?.input, 2.5);
  assert.equal(resolvePrice({ provider: 'mistral', model: 'mistral-small-latest' })?.origin, 'table:mistral-small');
  assert.equal(resolvePrice({ provider: 'mistral', model: 'mistral-small-2506' })?.origin, 'table:mistral-small');
});

test('overrides: provider-scoped beats model-wide beats the table; defaults for missing buckets', () => {
  const overrides = {
    'gpt-4o': { input: 1, output: 2 },
    'azure-east/gpt-4o': { input: 3, output: 4, cached_input: 0.5 },
    'qwen-cn/qwen-plus': { input: 0.8, output: 2, cached_input: 0.16 },
  };
  assert.deepEqual(resolvePrice({ provider: 'azure-east', model: 'gpt-4o-2024-08-06', overrides }), {
    input: 3,
    output: 4,
    cachedInput: 0.5,
    cacheWrite: 3,
    reasoning: 4,
    origin: 'override:azure-east/gpt-4o',
  });
  assert.equal(resolvePrice({ provider: 'openai', model: 'gpt-4o', overrides })?.origin, 'override:gpt-4o');
  assert.equal(resolvePrice({ provider: 'openai', model: 'gpt-4o-mini', overrides })?.origin, 'table:gpt-4o-mini');
  // 1000 in (200 cached), 100 out: (800 × 0.8 + 200 × 0.16 + 100 × 2) / 1e6
  assert.equal(
    computeCost({
      provider: 'qwen-cn',
      model: 'qwen-plus',
      usage: { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 200 },
      overrides,
    }),
    0.000872,
  );
  assert.equal(
    computeCost({ provider: 'qwen-intl', model: 'qwen-plus', usage: { inputTokens: 1000, outputTokens: 100 }, overrides }),
    null,
  );
});

test('over-reported buckets are clamped, never negative', () => {
  assert.equal(
    computeCost({
      provider: 'openai',
      model: 'gpt-4o',
      usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 500, reasoningTokens: 50 },
    }),
    0.000225,
  );
});

test('a converted (non-USD) entry is priced in USD like any other', () => {
  // 2.4 CNY in / 9.6 CNY out per 1M at 7.2 CNY per USD, stored as USD.
  const table: PriceEntry[] = [
    {
      model: 'cny-model',
      provider: 'test',
      input: 2.4 / 7.2,
      output: 9.6 / 7.2,
      source: 'https://example.test',
      asOf: '2026-11-24',
      converted: { currency: 'CNY', perUsd: 7.2, rateSource: 'test' },
    },
  ];
  assert.equal(computeCost({ provider: 'p', model: 'cny-model', usage: { inputTokens: 3_000_000, outputTokens: 750_000 }, table }), 2);
});

test('the overrides schema is strict', () => {
  assert.ok(
    pricingOverridesSchema.safeParse({ 'p/m': { input: 1, output: 2, cached_input: 0.1, cache_write: 1.25, reasoning: 2 } }).success,
  );
  const bad = pricingOverridesSchema.safeParse({ m: { input: 1, output: 2, cahced_input: 0.1 } });
  assert.equal(bad.success, false);
  assert.equal(pricingOverridesSchema.safeParse({ m: { input: -1, output: 2 } }).success, false);
  assert.equal(pricingOverridesSchema.safeParse({ m: { input: 1 } }).success, false);
});

test('every bundled entry has a source, a date, sane numbers, and a unique name', () => {
  assert.match(PRICE_TABLE_VERSION, /^\d{4}-\d{2}-\d{2}\.\d+$/);
  const seen = new Set<string>();
  for (const e of PRICE_TABLE) {
    for (const n of [e.model, ...(e.aliases ?? [])]) {
      assert.ok(!seen.has(n), `duplicate ${n}`);
      seen.add(n);
      assert.equal(n, n.toLowerCase());
    }
    assert.match(e.source, /^https:\/\//, e.model);
    assert.match(e.asOf, /^\d{4}-\d{2}-\d{2}$/, e.model);
    for (const v of [e.input, e.output, e.cachedInput ?? 0, e.cacheWrite ?? 0, e.reasoning ?? 0])
      assert.ok(Number.isFinite(v) && v >= 0, e.model);
    assert.ok((e.cachedInput ?? e.input) <= e.input, `${e.model}: cached input is not dearer than input`);
  }
  for (const m of [
    'gpt-4o',
    'gpt-4o-mini',
    'gpt-4.1',
    'gpt-5',
    'o3',
    'o4-mini',
    'text-embedding-3-small',
    'deepseek-chat',
    'qwen3-max',
    'kimi-k2.6',
    'glm-4.6',
    'grok-4',
    'mistral-small',
    'minimax-m2',
  ]) {
    assert.ok(seen.has(m), `${m} is priced`);
  }
});

test('createPricing: live overrides, version, one warning per unknown model', () => {
  const warnings: unknown[] = [];
  const log = { debug() {}, info() {}, error() {}, warn: (msg: string, fields?: Record<string, unknown>) => warnings.push([msg, fields]) };
  let overrides: Record<string, { input: number; output: number }> = {};
  const pricing = createPricing({ overrides: () => overrides, log });
  assert.equal(pricing.version, PRICE_TABLE_VERSION);
  const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
  assert.equal(pricing.cost({ provider: 'local', providerName: 'openai', model: 'llama-3', usage }), null);
  assert.equal(pricing.cost({ provider: 'local', providerName: 'openai', model: 'llama-3', usage }), null);
  assert.equal(warnings.length, 1);
  assert.deepEqual(warnings[0], [
    'no price for model; cost recorded as null',
    { provider: 'local', model: 'llama-3', priceTableVersion: PRICE_TABLE_VERSION },
  ]);
  overrides = { 'local/llama-3': { input: 0.5, output: 1.5 } };
  assert.equal(pricing.cost({ provider: 'local', model: 'llama-3', usage }), 2);
  assert.equal(pricing.cost({ provider: 'openai', model: 'gpt-4o', usage }), 12.5);
  assert.equal(warnings.length, 1);
});
