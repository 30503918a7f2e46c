import { GatewayError } from '../core/errors.js';
import type { Config, FeatureRoute } from '../config/types.js';

export const FEATURE_HEADER = 'x-switchyard-feature';
const BAGGAGE_KEY = 'switchyard.feature';

/** W3C baggage: `k=v;prop, k2=v2` with percent-encoded values. */
export function featureFromBaggage(baggage: string | undefined): string | undefined {
  if (!baggage) return undefined;
  for (const member of baggage.split(',')) {
    const eq = member.indexOf('=');
    if (eq < 0) continue;
    if (member.slice(0, eq).trim() !== BAGGAGE_KEY) continue;
    const raw =
      member
        .slice(eq + 1)
        .split(';')[0]
        ?.trim() ?? '';
    try {
      return decodeURIComponent(raw) || undefined;
    } catch {
      return raw || undefined;
    }
  }
  return undefined;
}

/**
 * Which product feature a call belongs to: the `x-switchyard-feature` header, then W3C baggage
 * `switchyard.feature`, then a `model` that names a feature route (as listed by /v1/models),
 * then the sidecar's default feature (config `default_feature` or SWITCHYARD_DEFAULT_FEATURE).
 */
export function identifyFeature(input: {
  config: Config;
  header: string | undefined;
  baggage: string | undefined;
  model: string | undefined;
}): FeatureRoute {
  const { config } = input;
  const named = input.header?.trim() || featureFromBaggage(input.baggage);
  if (named) {
    const f = config.features.get(named);
    if (f) return f;
    throw new GatewayError({
      kind: 'unknown_feature',
      message: `Unknown feature "${named}". Known features: ${[...config.features.keys()].join(', ')}.`,
      param: FEATURE_HEADER,
      code: 'unknown_feature',
    });
  }
  if (input.model && config.features.has(input.model)) return config.features.get(input.model) as FeatureRoute;
  if (config.defaultFeature) return config.features.get(config.defaultFeature) as FeatureRoute;
  throw new GatewayError({
    kind: 'unknown_feature',
    message: `No feature given and no default_feature configured: set the ${FEATURE_HEADER} header. Known features: ${[...config.features.keys()].join(', ')}.`,
    param: FEATURE_HEADER,
    code: 'missing_feature',
  });
}
