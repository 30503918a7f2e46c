/**
 * One chat completion through the gateway with plain `fetch` (no SDK): streamed or not, named
 * feature in `x-switchyard-feature`. Resolves with the status; never throws for HTTP errors.
 */
export interface ChatCall {
  baseUrl: string;
  feature: string;
  model: string;
  stream: boolean;
  prompt: string;
  apiKey: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ChatResult {
  status: number | 'network';
  ok: boolean;
  error?: string;
}

export async function sendChat(c: ChatCall): Promise<ChatResult> {
  const signal = c.signal ? AbortSignal.any([c.signal, AbortSignal.timeout(c.timeoutMs)]) : AbortSignal.timeout(c.timeoutMs);
  let res: Response;
  try {
    res = await fetch(`${c.baseUrl.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${c.apiKey}`,
        'x-switchyard-feature': c.feature,
      },
      body: JSON.stringify({ model: c.model, stream: c.stream, messages: [{ role: 'user', content: c.prompt }] }),
      signal,
    });
  } catch (e) {
    return { status: 'network', ok: false, error: e instanceof Error ? e.name : 'error' };
  }
  try {
    const text = await res.text();
    if (!res.ok) return { status: res.status, ok: false };
    if (c.stream) {
      // A complete stream ends with the [DONE] sentinel; a stream cut short counts as a failure.
      const done = /^data: \[DONE\]\s*$/m.test(text);
      return done ? { status: res.status, ok: true } : { status: res.status, ok: false, error: 'truncated stream' };
    }
    const body = JSON.parse(text) as { choices?: unknown };
    return Array.isArray(body.choices) ? { status: res.status, ok: true } : { status: res.status, ok: false, error: 'no choices' };
  } catch (e) {
    return { status: res.status, ok: false, error: e instanceof Error ? e.name : 'error' };
  }
}
