import { GatewayError } from '../../core/errors.js';
import { isRecord } from '../shared/json.js';
import type { BuildRequestInput, ResolvedProvider, UpstreamRequest } from '../types.js';

const PATHS = { chat: '/chat/completions', embeddings: '/embeddings' } as const;

function authHeaders(provider: ResolvedProvider, clientKey: string | undefined): Record<string, string> {
  const key = provider.forwardClientKey ? clientKey : provider.apiKey();
  if (!key) return {};
  switch (provider.profile.auth) {
    case 'bearer':
      return { authorization: `Bearer ${key}` };
    case 'x-api-key':
      return { 'x-api-key': key };
    case 'x-goog-api-key':
      return { 'x-goog-api-key': key };
  }
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

  const headers: Record<string, string> = {
    ...provider.profile.headers,
    ...provider.headers,
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...authHeaders(provider, input.clientKey),
  };
  return {
    url: `${provider.baseUrl.replace(/\/+$/, '')}${PATHS[operation]}`,
    method: 'POST',
    headers,
    body: outBody,
    stream,
    injectedUsage: inject,
  };
}
