import type { Operation } from '../core/call-record.js';
import type { GatewayError } from '../core/errors.js';
import type { Usage } from '../core/usage.js';

/**
 * The adapter contract. An adapter is one WIRE PROTOCOL (openai-compatible, anthropic, gemini);
 * vendors are data (VendorProfile) on top of it. Adapters are pure: plain data in, plain data out.
 * No sockets, timers, env, logging or OTel here; `src/gateway/upstream-client.ts` does the I/O.
 *
 * The app always speaks OpenAI. A same-protocol adapter forwards unknown request fields and the
 * response bytes untouched and only observes usage; a cross-protocol adapter (Anthropic, Gemini)
 * translates both ways and rejects a field it cannot express with `unsupported_field` (400).
 */
export type WireProtocol = 'openai' | 'anthropic' | 'gemini';

export type AuthStyle = 'bearer' | 'x-api-key' | 'x-goog-api-key';

/** How the vendor reports usage in a stream. */
export type StreamUsageMode =
  /** Needs `stream_options.include_usage: true`; sends a final chunk with `choices: []`. */
  | 'stream_options'
  /** Always sends usage (on the finish chunk or a final chunk); rejects or ignores stream_options. */
  | 'always';

/** A vendor as data: base URLs per region, auth style and named quirks. */
export interface VendorProfile {
  /** Preset name used in config (`preset: deepseek`). */
  id: string;
  /** Human label for docs and /v1/models. */
  label: string;
  protocol: WireProtocol;
  /** Value for `gen_ai.provider.name` (GenAI semconv well-known values where one exists). */
  genAiProviderName: string;
  /** region -> base URL (no trailing slash). `default` names the region used when none is set. */
  baseUrls: Readonly<Record<string, string>>;
  defaultRegion: string;
  auth: AuthStyle;
  streamUsage: StreamUsageMode;
  /** Extra headers every request carries (never secrets). */
  headers?: Readonly<Record<string, string>>;
  /** Public documentation the profile was written from (base URL, auth, streaming usage). */
  docs?: string;
}

/** A provider from config, resolved: profile + base URL + a way to read its key. */
export interface ResolvedProvider {
  /** Config key, for example `openai`, `qwen-cn`. */
  name: string;
  profile: VendorProfile;
  protocol: WireProtocol;
  baseUrl: string;
  /** The secret. Read it only when building the upstream request; never log or record it. */
  apiKey: () => string | undefined;
  forwardClientKey: boolean;
  headers: Readonly<Record<string, string>>;
}

export interface BuildRequestInput {
  operation: Exclude<Operation, 'passthrough'>;
  /** The app's parsed JSON body (not mutated by adapters). */
  body: Readonly<Record<string, unknown>>;
  /** The app's raw body bytes, for same-protocol forwarding when nothing needs changing. */
  rawBody: Buffer;
  /** The upstream model to call (after route resolution). */
  model: string;
  provider: ResolvedProvider;
  /** The app's bearer token, used only when `forwardClientKey` is set. */
  clientKey?: string;
}

export interface UpstreamRequest {
  /** Absolute URL. */
  url: string;
  method: 'POST' | 'GET';
  /** A fresh object per request; the upstream client sends it with the trace propagation headers added. */
  headers: Record<string, string>;
  body: Buffer | string;
  stream: boolean;
  /** True when the adapter added `stream_options.include_usage` the app did not ask for. */
  injectedUsage: boolean;
}

/** What the adapter learned from a response (non-stream or the end of a stream). */
export interface ResponseFacts {
  usage?: Usage;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  /** Text of the completion; only read when content capture is on. */
  outputText?: string;
}

export interface ParsedResponse extends ResponseFacts {
  /** Bytes to send to the app (the upstream's bytes untouched for same-protocol). */
  body: Buffer;
  contentType: string;
}

export interface UpstreamResponseInput {
  operation: Exclude<Operation, 'passthrough'>;
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
  /** Model asked for, so translators can fill `model` when the vendor omits it. */
  model: string;
  /** Clock for an HTTP-date `Retry-After` (adapters read no clock themselves); default Date.now(). */
  nowMs?: number;
}

/** Output of one push into a stream translator. */
export interface StreamStep {
  /** Bytes to write to the app, in order. Empty when the input held no complete event. */
  out: Buffer[];
  /** A malformed or error event arrived: the stream is broken (truncated/garbage/provider error). */
  error?: GatewayError;
}

export interface StreamTranslator {
  /** Feed upstream bytes as they arrive. */
  push(chunk: Buffer): StreamStep;
  /** Upstream ended. Returns any final bytes, or an error when the stream was truncated. */
  end(): StreamStep;
  /** Facts gathered so far (usage, model, id, finish reasons). */
  facts(): ResponseFacts;
  /** Complete events seen so far (the commit point waits for the first one). */
  readonly eventCount: number;
}

export interface StreamTranslatorInput {
  model: string;
  /** Drop the usage-only chunk we asked for but the app did not. */
  stripUsageChunk: boolean;
  captureContent: boolean;
  /**
   * Wall clock, for cross-protocol translators that must stamp `created` on the OpenAI chunks
   * they write (Anthropic, Gemini). Unused by the OpenAI-compatible translator.
   */
  nowMs?: number;
}

export interface ProviderAdapter {
  readonly protocol: WireProtocol;
  /** Operations this adapter translates (the rest are passthrough for openai, 400 otherwise). */
  readonly operations: ReadonlyArray<Exclude<Operation, 'passthrough'>>;
  buildRequest(input: BuildRequestInput): UpstreamRequest;
  /** Parse a 2xx non-stream response; throws GatewayError(upstream_bad_response) on garbage. */
  parseResponse(input: UpstreamResponseInput): ParsedResponse;
  /** Turn a non-2xx response into the right GatewayError (status kind, Retry-After, message). */
  parseError(input: UpstreamResponseInput): GatewayError;
  createStreamTranslator(input: StreamTranslatorInput): StreamTranslator;
}
