import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

/**
 * The LOCAL SIMULATOR: a fake OpenAI-compatible upstream built into the sidecar for demos and
 * smoke tests (`preset: simulator`). It is not an AI model: it answers with canned text and
 * plausible token counts. `error_rate` makes it answer some calls with 503 so fallbacks show up
 * on the demo dashboards.
 */
export interface SimulatorOptions {
  host: string;
  port: number;
  errorRate?: number;
  latencyMs?: number;
  random?: () => number;
}

const WORDS = 'This reply comes from the Switchyard local simulator , not from a real model .'.split(' ');

export function startSimulator(opts: SimulatorOptions): Promise<Server> {
  const random = opts.random ?? Math.random;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const delay = opts.latencyMs ?? 0;
      setTimeout(() => handle(req, res, Buffer.concat(chunks), opts.errorRate ?? 0, random), delay);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, errorRate: number, random: () => number): void {
  const path = (req.url ?? '').split('?')[0];
  if (req.method === 'GET' && path === '/v1/models') {
    json(res, 200, { object: 'list', data: [{ id: 'sim-fast', object: 'model', created: 0, owned_by: 'simulator' }] });
    return;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    json(res, 400, { error: { message: 'invalid JSON', type: 'invalid_request_error', param: null, code: null } });
    return;
  }
  if (random() < errorRate) {
    json(res, 503, { error: { message: 'The simulator is overloaded (simulated error).', type: 'server_error', param: null, code: null } });
    return;
  }
  const model = typeof body.model === 'string' ? body.model : 'sim-fast';
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const promptTokens = 8 + JSON.stringify(messages).length / 4;
  const inputTokens = Math.round(promptTokens);
  if (path === '/v1/embeddings') {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    json(res, 200, {
      object: 'list',
      model,
      data: inputs.map((_, index) => ({
        object: 'embedding',
        index,
        embedding: Array.from({ length: 8 }, (_, i) => Number(((index + 1) * (i + 1) * 0.01).toFixed(4))),
      })),
      usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
    });
    return;
  }
  if (path !== '/v1/chat/completions') {
    json(res, 404, { error: { message: `simulator has no ${path}`, type: 'invalid_request_error', param: null, code: 'not_found' } });
    return;
  }
  const id = `chatcmpl-sim${randomBytes(6).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const outputTokens = WORDS.length;
  const usage = { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
  if (body.stream !== true) {
    json(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: WORDS.join(' ') }, finish_reason: 'stop' }],
      usage,
    });
    return;
  }
  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const base = { id, object: 'chat.completion.chunk', created, model };
  const events = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...WORDS.map((w, i) => ({ ...base, choices: [{ index: 0, delta: { content: i === 0 ? w : ` ${w}` }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ...(includeUsage ? [{ ...base, choices: [], usage }] : []),
  ];
  let i = 0;
  const tick = () => {
    if (res.destroyed) return;
    const ev = events[i++];
    if (!ev) {
      res.end('data: [DONE]\n\n');
      return;
    }
    res.write(`data: ${JSON.stringify(ev)}\n\n`);
    setImmediate(tick);
  };
  tick();
}
