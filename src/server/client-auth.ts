import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { Config } from '../config/types.js';

/**
 * Gateway mode: when `server.client_tokens_file` is set, every `/v1` call must carry one of its
 * tokens as `Authorization: Bearer …` (what the OpenAI SDK sends as its api key). Compared as
 * SHA-256 digests in constant time; the token is never logged or forwarded upstream.
 */
export function checkClientToken(config: Config, headers: IncomingHttpHeaders): GatewayError | undefined {
  const digests = config.server.clientTokenDigests;
  if (!digests) return undefined;
  const auth = headers.authorization;
  const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  if (token) {
    const digest = createHash('sha256').update(token).digest();
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, digest) || ok;
    if (ok) return undefined;
  }
  return new GatewayError({
    kind: 'client_unauthorized',
    message: token
      ? 'Invalid Switchyard client token.'
      : 'Missing Switchyard client token: send it as "Authorization: Bearer <token>" (the OpenAI SDK api key).',
    code: 'invalid_api_key',
  });
}
