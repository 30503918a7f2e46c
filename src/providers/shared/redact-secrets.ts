/**
 * Removes anything that looks like a credential from upstream text before it can reach an
 * error message, a log line or a span. Upstreams echo keys back, for example OpenAI's
 * "Incorrect API key provided: sk-proj-abc***xyz". Also caps the length, so a provider that
 * echoes a request fragment cannot smuggle much of it into our messages.
 */
const REDACTED = '[redacted]';

const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  // Bearer / Basic credentials: keep the scheme word.
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  // Key-looking query parameters: keep the parameter name.
  [/([?&](?:key|api_key|apikey|token|access_token)=)[^&\s"']+/gi, `$1${REDACTED}`],
  // Prefixed keys: OpenAI sk-/sk-proj-, Anthropic sk-ant-, xAI xai-, pk-/rk-.
  [/\b(?:sk|xai|pk|rk)-[A-Za-z0-9_\-*]{6,}(?:\.[A-Za-z0-9_\-*]+)*/g, REDACTED],
  // Google API keys.
  [/\bAIza[0-9A-Za-z_-]{20,}/g, REDACTED],
  // Zhipu keys (<32 hex>.<secret>), JWTs, UUID-free long opaque tokens.
  [/\b[A-Za-z0-9_-]{32,}(?:\.[A-Za-z0-9_-]{6,}){0,2}\b/g, REDACTED],
];

export const MAX_MESSAGE_LENGTH = 500;

export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, replacement] of RULES) out = out.replace(re, replacement);
  return out;
}

/** Redact, collapse whitespace and cap the length of an upstream message. */
export function sanitizeUpstreamMessage(text: string): string {
  const clean = redactSecrets(text).replace(/\s+/g, ' ').trim();
  return clean.length > MAX_MESSAGE_LENGTH ? `${clean.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : clean;
}
