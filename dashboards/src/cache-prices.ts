import { Expr, sql, str } from './sql/expr.js';

/**
 * Cache-read discounts per model, USD per million input tokens: the uncached input price and the
 * cached-read price. The ledger stores the call's total cost, not its per-bucket prices, so the
 * Cost dashboard computes cache savings as
 *   cache_read_tokens × (input price − cached price)
 * from this list, matched on final_model. A model not listed saves 0 on the dashboard (the
 * "cache reads on unlisted models" stat shows how many tokens that leaves out). Keep it in step
 * with the bundled price table in src/pricing; it is an approximation by design (no tiered prices).
 */
export interface CachePrice {
  model: string;
  inputUsdPerMTok: number;
  cachedInputUsdPerMTok: number;
}

export const CACHE_PRICES: readonly CachePrice[] = [
  { model: 'gpt-4o', inputUsdPerMTok: 2.5, cachedInputUsdPerMTok: 1.25 },
  { model: 'gpt-4o-mini', inputUsdPerMTok: 0.15, cachedInputUsdPerMTok: 0.075 },
  { model: 'gpt-4.1', inputUsdPerMTok: 2, cachedInputUsdPerMTok: 0.5 },
  { model: 'gpt-4.1-mini', inputUsdPerMTok: 0.4, cachedInputUsdPerMTok: 0.1 },
  { model: 'claude-sonnet-4-20250514', inputUsdPerMTok: 3, cachedInputUsdPerMTok: 0.3 },
  { model: 'claude-3-5-haiku-20241022', inputUsdPerMTok: 0.8, cachedInputUsdPerMTok: 0.08 },
  { model: 'gemini-2.5-flash', inputUsdPerMTok: 0.3, cachedInputUsdPerMTok: 0.075 },
  { model: 'deepseek-chat', inputUsdPerMTok: 0.27, cachedInputUsdPerMTok: 0.07 },
];

/** USD saved per cached token for `model` (an expression over the model column). */
export function cacheSavingPerToken(model: Expr, prices: readonly CachePrice[] = CACHE_PRICES): Expr {
  const keys = prices.map((p) => str(p.model).sql).join(', ');
  const values = prices.map((p) => String(Number(((p.inputUsdPerMTok - p.cachedInputUsdPerMTok) / 1e6).toPrecision(12)))).join(', ');
  return sql`transform(${model}, [${new Expr(keys)}], [${new Expr(values)}], 0.)`;
}

export function isListedModel(model: Expr, prices: readonly CachePrice[] = CACHE_PRICES): Expr {
  return sql`${model} IN (${new Expr(prices.map((p) => str(p.model).sql).join(', '))})`;
}
