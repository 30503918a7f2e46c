import { GatewayError } from '../core/errors.js';
import type { Config, FeatureRoute, Target } from '../config/types.js';

export interface Route {
  feature: FeatureRoute;
  /** The feature name, or `alias:<name>` / `model:<name>` when the app's model chose the first target. */
  label: string;
  targets: readonly Target[];
}

/**
 * The ordered targets for one call.
 * - `model_override: true` (default): the feature's targets; the app's `model` is only recorded.
 * - `model_override: false`: an alias from `models:` goes first, then the feature's targets as
 *   fallbacks; a model that equals one of the feature's target models moves that target first;
 *   the feature's own name means "the route as configured"; anything else is a 404 naming it.
 */
export function resolveRoute(input: { config: Config; feature: FeatureRoute; model: string | undefined }): Route {
  const { config, feature, model } = input;
  if (feature.modelOverride || !model || model === feature.name) {
    return { feature, label: feature.name, targets: feature.targets };
  }
  const alias = config.models.get(model);
  if (alias) {
    const rest = feature.targets.filter((t) => t.label !== alias.label);
    return { feature, label: `alias:${model}`, targets: [alias, ...rest] };
  }
  const idx = feature.targets.findIndex((t) => t.model === model || t.label === model);
  if (idx >= 0) {
    const first = feature.targets[idx] as Target;
    return { feature, label: `model:${model}`, targets: [first, ...feature.targets.filter((_, i) => i !== idx)] };
  }
  const known = [...config.models.keys(), ...new Set(feature.targets.map((t) => t.model))];
  throw new GatewayError({
    kind: 'unknown_model',
    message: `The model "${model}" is not available for feature "${feature.name}". Use one of: ${known.join(', ')}.`,
    param: 'model',
    code: 'model_not_found',
  });
}
