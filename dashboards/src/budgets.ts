/**
 * Spend budgets per feature. Each entry becomes one alert rule per window it names: spend over
 * the last hour above `usdPerHour`, spend over the last 24 hours above `usdPerDay`.
 * To add a budget alert for a new feature, add one line here and run `npm run dashboards`.
 */
export interface FeatureBudget {
  /** The feature name as it appears in ai_calls.feature (x-switchyard-feature / baggage / pod default). */
  feature: string;
  usdPerHour?: number;
  usdPerDay?: number;
}

export const BUDGETS: readonly FeatureBudget[] = [
  { feature: 'support-chat', usdPerHour: 5, usdPerDay: 50 },
  { feature: 'search-summarize', usdPerHour: 2, usdPerDay: 20 },
  { feature: 'code-review', usdPerDay: 30 },
];
