import { z } from 'zod';
import { type PriceOverrideInput, pricingOverridesSchema } from '../pricing/overrides-schema.js';
import { parseListenAddress } from './listen-address.js';

/**
 * The public config format (`switchyard.yaml`). Strict at every level: unknown keys are errors.
 * Names here are the public interface; see docs/config.md. Cross-references (providers named by
 * targets and aliases, presets, regions) are checked in resolve.ts, which has the whole picture.
 */
const listen = z.string().refine((s) => parseListenAddress(s) !== undefined, {
  message: 'expected "host:port", for example 127.0.0.1:4000',
});
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const name = z.string().min(1);

export const serverSchema = z
  .strictObject({
    listen: listen.default('127.0.0.1:4000'),
    health_listen: listen.default('0.0.0.0:4001'),
    max_body_bytes: positiveInt.default(20 * 1024 * 1024),
    shutdown_grace_ms: nonNegativeInt.default(25_000),
    retry_after_cap_ms: nonNegativeInt.default(10_000),
    /** Gateway mode: callers must send one of these tokens as `Authorization: Bearer …`. */
    client_tokens_file: name.optional(),
  })
  .prefault({});

export const providerSchema = z.strictObject({
  preset: name.optional(),
  protocol: z.enum(['openai', 'anthropic', 'gemini']).optional(),
  base_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  region: name.optional(),
  api_key: z.string().optional(),
  api_key_file: name.optional(),
  forward_client_key: z.boolean().default(false),
  headers: z.record(z.string(), z.string()).optional(),
});

export const targetSchema = z.strictObject({ provider: name, model: name });

export const retrySchema = z
  .strictObject({
    max_attempts: z.number().int().min(1).max(10).default(2),
    initial_backoff_ms: nonNegativeInt.default(100),
    max_backoff_ms: nonNegativeInt.default(2000),
  })
  .prefault({});

export const featureSchema = z.strictObject({
  targets: z.array(targetSchema).min(1, { message: 'needs at least one target' }),
  retry: retrySchema,
  timeout_ms: positiveInt.default(30_000),
  model_override: z.boolean().default(true),
  fallback_on_client_error: z.boolean().default(false),
});

export const telemetrySchema = z
  .strictObject({
    service_name: name.default('switchyard'),
    otlp: z
      .strictObject({
        endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
        headers: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
    capture_content: z.boolean().default(false),
    /** Validated by the ClickHouse sink's own schema (validate-sections.ts); `false` turns the ledger off. */
    clickhouse: z.unknown().optional(),
  })
  .prefault({});

export const configSchema = z.strictObject({
  server: serverSchema,
  providers: z.record(name, providerSchema),
  models: z.record(name, targetSchema).default({}),
  features: z.record(name, featureSchema),
  default_feature: name.optional(),
  pricing: pricingOverridesSchema.default({}),
  telemetry: telemetrySchema,
  simulator: z
    .strictObject({
      listen,
      error_rate: z.number().min(0).max(1).default(0),
      latency_ms: nonNegativeInt.default(0),
    })
    .optional(),
});

export type RawConfig = z.infer<typeof configSchema>;
export type RawProvider = z.infer<typeof providerSchema>;
export type RawFeature = z.infer<typeof featureSchema>;
export type RawPrice = PriceOverrideInput;
