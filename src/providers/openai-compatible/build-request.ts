import { GatewayError } from '../../core/errors.js';
import { isRecord } from '../shared/json.js';
import type { BuildRequestInput, ResolvedProvider, UpstreamRequest } from '../types.js';

const PATHS = { chat: '/chat/completions', embeddings: '/embeddings' } as const;

const AUTH_HEADER = { bearer: 'authorization', 'x-api-key': 'x-api-key', 'x-goog-api-key': 'x-goog-api-key' } as const;

/**
 * What is the same on every request to a provider, made once per provider object (a config reload
 * makes new ones): the headers (profile's, provider's, content type) and the endpoint URLs (base
 * URL without trailing slashes + the operation's path).
 */
interface ProviderStatics {
  headers: Readonly<Record<string, string>>;
  urls: Readonly<Record<keyof typeof PATHS, string>>;
}
const STATICS = new WeakMap<ResolvedProvider, ProviderStatics>();
function staticsOf(provider: ResolvedProvider): ProviderStatics {
  let st = STATICS.get(provider);
  if (!st) {
    const base = provider.baseUrl.replace(/\/+$/, '');
    st = {
      headers: { ...provider.profile.headers, ...provider.headers, 'content-type': 'application/json' },
      urls: { chat: `${base}${PATHS.chat}`, embeddings: `${base}${PATHS.embeddings}` },
    };
    STATICS.set(provider, st);
  }
  return st;
}

/** True when the app itself asked for the usage chunk. */
function appAskedForUsage(body: Readonly<Record<string, unknown>>): boolean {
  return isRecord(body.stream_options) && body.stream_options.include_usage === true;
}

/**
 * App request → upstream request, for an OpenAI-compatible vendor.
 * - URL: the provider's base URL + `/chat/completions` or `/embeddings`.
 * - Body: every field the app sent is kept; `model` becomes the route's model; when streaming,
 *   the profile needs `stream_options` and the app did not ask, `stream_options.include_usage`
 *   is added (and `injectedUsage` says so, so the extra chunk can be stripped). When nothing
 *   changes, the app's raw bytes go upstream as they are.
 * - Headers: content type, accept, the profile's and provider's extra headers, and the provider's
 *   key in the profile's auth style — or the app's own key only when `forwardClientKey` is set.
 *   The app's headers are never copied.
 */
export function buildOpenAiRequest(input: BuildRequestInput): UpstreamRequest {
  const { body, provider, operation } = input;
  if (operation !== 'chat' && operation !== 'embeddings') {
    throw new GatewayError({ kind: 'invalid_request', message: `Operation ${String(operation)} is not translated.` });
  }
  const stream = operation === 'chat' && body.stream === true;
  const inject = stream && provider.profile.streamUsage === 'stream_options' && !appAskedForUsage(body);
  const modelChanged = body.model !== input.model;

  let outBody: Buffer | string = input.rawBody;
  if (inject || modelChanged) {
    const next: Record<string, unknown> = { ...body, model: input.model };
    if (inject) {
      const existing = isRecord(body.stream_options) ? body.stream_options : {};
      next.stream_options = { ...existing, include_usage: true };
    }
    outBody = JSON.stringify(next);
  }

  const statics = staticsOf(provider);
  const headers: Record<string, string> = { ...statics.headers };
  headers.accept = stream ? 'text/event-stream' : 'application/json';
  const key = provider.forwardClientKey ? input.clientKey : provider.apiKey();
  if (key) headers[AUTH_HEADER[provider.profile.auth]] = provider.profile.auth === 'bearer' ? `Bearer ${key}` : key;
  return {
    url: statics.urls[operation],
    method: 'POST',
    headers,
    body: outBody,
    stream,
    injectedUsage: inject,
  };
}
