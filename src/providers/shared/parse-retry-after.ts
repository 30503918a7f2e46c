/**
 * Reads how long the upstream asked us to wait, in milliseconds:
 * `retry-after-ms` (OpenAI, milliseconds, may be fractional) wins over `retry-after`
 * (RFC 9110: delay-seconds or an HTTP-date). Returns undefined when absent or unreadable.
 * Capping is the attempt loop's job.
 */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

export function parseRetryAfterMs(input: { headers: HeaderBag; nowMs: number }): number | undefined {
  const ms = headerValue(input.headers, 'retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const ra = headerValue(input.headers, 'retry-after')?.trim();
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Math.ceil(Number(ra) * 1000);
  const at = Date.parse(ra);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - input.nowMs);
}
