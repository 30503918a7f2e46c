import { PRICE_TABLE } from '../../src/pricing/index.js';
import type { PriceEntry } from '../../src/pricing/index.js';
import { Expr, sql, str } from './sql/expr.js';

/**
 * Cache savings per model, from the sidecar's own bundled price table (src/pricing): one source of
 * truth. The ledger stores each call's total cost, not its per-bucket prices, so the Cost
 * dashboard computes
 *   cache_read_tokens × (input price − cached input price)
 * per final_model, with the price the table gives that model. The SQL reproduces the table's
 * matching rules (src/pricing/match-model.ts): an exact name or alias, else the LONGEST name `p`
 * with final_model = `p-<digit>…` (a dated snapshot), case-insensitive; nothing else matches.
 * Config `pricing:` overrides are per deployment and invisible here: a model priced only by an
 * override (the simulator's sim-*) counts 0 saved and shows `priced = false`.
 *
 * The expression is generated deterministically from PRICE_TABLE, so changing a price changes the
 * generated dashboards and the drift test fails until they are regenerated.
 */
interface PricedName {
  name: string;
  usdSavedPerToken: number;
}

/** USD saved per cached input token for one entry (0 when it has no cached price). */
export function savingPerToken(e: Pick<PriceEntry, 'input' | 'cachedInput'>): number {
  return Number(((e.input - (e.cachedInput ?? e.input)) / 1e6).toPrecision(12));
}

/** Every name the table matches (ids and aliases, lower case), longest first, then by name. */
export function pricedNames(table: readonly PriceEntry[] = PRICE_TABLE): PricedName[] {
  const out = new Map<string, PricedName>();
  for (const e of table) {
    for (const name of [e.model, ...(e.aliases ?? [])]) {
      const key = name.toLowerCase();
      if (!out.has(key)) out.set(key, { name: key, usdSavedPerToken: savingPerToken(e) });
    }
  }
  return [...out.values()].sort((a, b) => b.name.length - a.name.length || (a.name < b.name ? -1 : 1));
}

/** The table name `model` resolves to, or '' (match-model.ts rules, longest name first). */
export function matchedPriceName(model: Expr, table: readonly PriceEntry[] = PRICE_TABLE): Expr {
  const names = new Expr(
    pricedNames(table)
      .map((p) => str(p.name).sql)
      .join(', '),
  );
  return sql`arrayFirst(n -> lower(${model}) = n OR (startsWith(lower(${model}), concat(n, '-')) AND match(substring(lower(${model}), length(n) + 2, 1), '^[0-9]$')), [${names}])`;
}

/** USD saved per cached token for `model` (an expression over the model column); 0 when unpriced. */
export function cacheSavingPerToken(model: Expr, table: readonly PriceEntry[] = PRICE_TABLE): Expr {
  const priced = pricedNames(table);
  const keys = new Expr(priced.map((p) => str(p.name).sql).join(', '));
  const values = new Expr(priced.map((p) => String(p.usdSavedPerToken)).join(', '));
  return sql`transform(${matchedPriceName(model, table)}, [${keys}], [${values}], 0.)`;
}

/** True when the bundled table has a price for `model`. */
export function isPricedModel(model: Expr, table: readonly PriceEntry[] = PRICE_TABLE): Expr {
  return sql`${matchedPriceName(model, table)} != ''`;
}
