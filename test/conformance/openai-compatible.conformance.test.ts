/**
 * One suite, every recorded OpenAI-compatible fixture. Each scenario is defined once and run over
 * every case in cases.ts; stream bytes are fed to the translator in seeded random chunk sizes, and
 * what the app would receive is parsed by the official `openai` SDK's own SSE stream reader.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Stream } from 'openai/core/streaming';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { GatewayError } from '../../src/core/errors.js';
import { openAiCompatibleAdapter as adapter } from '../../src/providers/openai-compatible/adapter.js';
import type { StreamStep } from '../../src/providers/types.js';
import { handDerivedNames, loadFixture, manifest, randomChunks } from '../support/fixtures.js';
import { ERROR_CASES, RESPONSE_CASES, STREAM_CASES, type StreamCase } from './cases.js';

const SEEDS = [1, 7, 42, 1234, 99991];
const OPENAI_COMPATIBLE = new Set(['openai', 'deepseek', 'qwen', 'glm', 'mistral', 'xai', 'azure-openai']);

interface Run {
  out: Buffer;
  steps: StreamStep[];
  error: GatewayError | undefined;
  facts: ReturnType<ReturnType<typeof adapter.createStreamTranslator>['facts']>;
}

function runStream(body: Buffer, opts: { seed: number; strip?: boolean; capture?: boolean; model?: string }): Run {
  const t = adapter.createStreamTranslator({
    model: opts.model ?? 'requested-model',
    stripUsageChunk: opts.strip ?? false,
    captureContent: opts.capture ?? false,
  });
  const steps: StreamStep[] = [];
  for (const chunk of randomChunks(body, opts.seed)) steps.push(t.push(chunk));
  steps.push(t.end());
  const errors = steps.filter((s) => s.error);
  assert.ok(errors.length <= 1, 'an error is reported at most once');
  return { out: Buffer.concat(steps.flatMap((s) => s.out)), steps, error: errors[0]?.error, facts: t.facts() };
}

/** Parse bytes exactly as the official OpenAI SDK does for a streamed chat completion. */
async function sdkChunks(bytes: Buffer): Promise<ChatCompletionChunk[]> {
  const res = new Response(new Uint8Array(bytes), { headers: { 'content-type': 'text/event-stream' } });
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of Stream.fromSSEResponse<ChatCompletionChunk>(res, new AbortController())) chunks.push(c);
  return chunks;
}

function reassemble(chunks: ChatCompletionChunk[]): { text: string; tools: { name: string; arguments: string }[] } {
  let text = '';
  const tools = new Map<number, { name: string; arguments: string }>();
  for (const c of chunks) {
    for (const choice of c.choices) {
      text += choice.delta.content ?? '';
      for (const [pos, tc] of (choice.delta.tool_calls ?? []).entries()) {
        const idx = typeof tc.index === 'number' ? tc.index : pos;
        const cur = tools.get(idx) ?? { name: '', arguments: '' };
        if (tc.function?.name) cur.name = tc.function.name;
        cur.arguments += tc.function?.arguments ?? '';
        tools.set(idx, cur);
      }
    }
  }
  return { text, tools: [...tools.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]) };
}

/** Offset just after the first `data:` event (comment headers of hand-derived files skipped). */
function afterFirstDataEvent(body: Buffer): number {
  const start = body.toString('latin1').search(/^data: /m);
  return body.indexOf('\n\n', start) + 2;
}

function assertText(actual: string, expected: StreamCase['text']): void {
  if (typeof expected === 'string') assert.equal(actual, expected);
  else {
    assert.ok(actual.startsWith(expected.startsWith), `text starts with ${JSON.stringify(expected.startsWith)}`);
    assert.equal([...actual].length, expected.codePoints);
  }
}

/** Remove the first `data:` event whose payload matches, returning the remaining bytes. */
function withoutEvent(body: Buffer, match: (payload: string) => boolean): Buffer {
  const text = body.toString('utf8');
  const events = text.split(/(?<=\n\n)/);
  const i = events.findIndex((e) => e.startsWith('data: ') && match(e.slice(6).trim()));
  assert.ok(i >= 0, 'event to remove exists');
  events.splice(i, 1);
  return Buffer.from(events.join(''));
}

test('every OpenAI-compatible fixture in the manifest has a conformance case', () => {
  const listed = new Set([...STREAM_CASES, ...RESPONSE_CASES, ...ERROR_CASES].map((c) => c.fixture));
  const recorded = manifest()
    .filter((m) => OPENAI_COMPATIBLE.has(m.provider) && /chat|embeddings|error/.test(m.file) && !m.file.includes('responses'))
    .filter((m) => m.endpoint.includes('chat/completions') || m.endpoint.includes('embeddings') || m.file.includes('error'))
    .map((m) => m.file.replace(/\.(json|jsonl|sse)$/, ''));
  for (const f of [...recorded, ...handDerivedNames()]) assert.ok(listed.has(f), `${f} has a case`);
});

describe('stream scenarios × every stream fixture', () => {
  for (const c of STREAM_CASES) {
    describe(c.fixture, () => {
      const fx = loadFixture(c.fixture);

      test('forwards every event byte for byte, in any chunking', () => {
        assert.equal(fx.stream, true);
        for (const seed of SEEDS) {
          const r = runStream(fx.body, { seed });
          assert.equal(r.error, undefined, `seed ${seed}: ${r.error?.message}`);
          // Hand-derived files start with `:` comment lines, which are dropped before the first event.
          const expected = c.fixture.startsWith('hand-derived/')
            ? Buffer.from(fx.body.toString('utf8').replace(/^(:[^\n]*\n)+\n/, ''))
            : fx.body;
          assert.deepEqual(r.out, expected, `seed ${seed}`);
        }
      });

      test('text and streamed tool-call arguments reassemble in the official SDK', async () => {
        const r = runStream(fx.body, { seed: 3, capture: true });
        const chunks = await sdkChunks(r.out);
        const { text, tools } = reassemble(chunks);
        assertText(text, c.text);
        assert.deepEqual(tools, c.toolCalls);
        for (const tool of tools) assert.doesNotThrow(() => JSON.parse(tool.arguments));
        assertText(r.facts.outputText ?? '', c.text);
      });

      test('usage (cache and reasoning), model, id and finish reasons are exact', () => {
        for (const seed of SEEDS) {
          const { facts } = runStream(fx.body, { seed });
          assert.deepEqual(facts.usage, c.usage);
          assert.equal(facts.responseModel, c.model);
          assert.equal(facts.responseId, c.id);
          assert.deepEqual(facts.finishReasons, c.finishReasons);
          assert.equal(facts.outputText, undefined, 'no content captured unless asked');
        }
      });

      test('the usage-only chunk is stripped when we injected it, and usage is still read', async () => {
        const r = runStream(fx.body, { seed: 11, strip: true });
        assert.equal(r.error, undefined);
        const chunks = await sdkChunks(r.out);
        assert.equal(chunks.filter((ch) => ch.choices.length === 0).length, 0);
        assert.deepEqual(r.facts.usage, c.usage);
        const kept = await sdkChunks(runStream(fx.body, { seed: 11 }).out);
        assert.equal(kept.length - chunks.length, c.usageChunk ? 1 : 0);
      });

      test('cut before [DONE] → upstream_truncated', () => {
        const cut = withoutEvent(fx.body, (p) => p === '[DONE]');
        for (const seed of SEEDS) {
          const r = runStream(cut, { seed });
          assert.equal(r.error?.kind, 'upstream_truncated');
          assert.equal(r.error?.retryable, true);
          assert.equal(r.steps.at(-1)?.error, r.error, 'reported by end()');
        }
      });

      test('cut inside an event → upstream_truncated, and the partial event is not forwarded', () => {
        const at = fx.body.lastIndexOf('data: [DONE]') - 20;
        const r = runStream(fx.body.subarray(0, at), { seed: 5 });
        assert.equal(r.error?.kind, 'upstream_truncated');
        assert.ok(r.out.length < at);
        assert.ok(r.out.toString('utf8').endsWith('\n\n'));
      });

      test('no finish_reason before [DONE] → upstream_truncated', () => {
        const finishes = c.finishReasons.length;
        let body = fx.body;
        for (let i = 0; i < finishes; i++) body = withoutEvent(body, (p) => /"finish_reason":\s*"/.test(p));
        const r = runStream(body, { seed: 9 });
        assert.equal(r.error?.kind, 'upstream_truncated');
        assert.match(r.error?.message ?? '', /finish_reason/);
      });

      test('a malformed chunk mid-stream → upstream_bad_response, earlier events forwarded', () => {
        const first = afterFirstDataEvent(fx.body);
        const body = Buffer.concat([
          fx.body.subarray(0, first),
          Buffer.from('data: {"id":"x","choices":[{"delta":\n\n'),
          fx.body.subarray(first),
        ]);
        const r = runStream(body, { seed: 13 });
        assert.equal(r.error?.kind, 'upstream_bad_response');
        assert.ok(r.out.length > 0 && r.out.length <= first);
      });

      test('an error event mid-stream → StreamStep.error with the upstream message, keys redacted', () => {
        const first = afterFirstDataEvent(fx.body);
        const err =
          'data: {"error":{"message":"Overloaded, key sk-proj-abcdef1234567890 throttled","type":"server_error","code":null}}\n\n';
        const r = runStream(Buffer.concat([fx.body.subarray(0, first), Buffer.from(err), fx.body.subarray(first)]), { seed: 17 });
        assert.ok(r.error instanceof GatewayError);
        assert.equal(r.error.kind, 'upstream_server_error');
        assert.equal(r.error.message, 'Overloaded, key [redacted] throttled');
        assert.ok(!r.out.toString('utf8').includes('Overloaded'), 'the error event is not forwarded');
      });
    });
  }
});

describe('non-stream scenarios × every response fixture', () => {
  for (const c of RESPONSE_CASES) {
    test(`${c.fixture}: body untouched; usage, model, id, finish reasons exact`, () => {
      const fx = loadFixture(c.fixture);
      const parsed = adapter.parseResponse({
        operation: c.operation,
        status: fx.status,
        headers: { 'content-type': fx.contentType },
        body: fx.body,
        model: 'requested',
      });
      assert.equal(parsed.body, fx.body);
      assert.equal(parsed.contentType, fx.contentType);
      assert.deepEqual(parsed.usage, c.usage);
      assert.equal(parsed.responseModel, c.model);
      assert.equal(parsed.responseId, c.id);
      assert.deepEqual(parsed.finishReasons, c.finishReasons);
    });

    test(`${c.fixture}: garbage and truncated bodies → upstream_bad_response`, () => {
      const fx = loadFixture(c.fixture);
      for (const body of [
        Buffer.from('<html>502 Bad Gateway</html>'),
        fx.body.subarray(0, Math.floor(fx.body.length / 2)),
        Buffer.from('[]'),
        Buffer.from('{"object":"list"}'),
      ]) {
        assert.throws(
          () => adapter.parseResponse({ operation: c.operation, status: 200, headers: {}, body, model: 'm' }),
          (e: unknown) => e instanceof GatewayError && e.kind === 'upstream_bad_response' && e.upstreamStatus === 200,
        );
      }
    });
  }
});

describe('error scenarios × every error fixture', () => {
  for (const c of ERROR_CASES) {
    test(`${c.fixture} → ${c.kind}`, () => {
      const fx = loadFixture(c.fixture);
      const e = adapter.parseError({ operation: 'chat', status: fx.status, headers: c.headers ?? {}, body: fx.body, model: 'm' });
      assert.ok(e instanceof GatewayError);
      assert.equal(e.kind, c.kind);
      assert.equal(e.status, c.status);
      assert.equal(e.upstreamStatus, c.upstreamStatus);
      assert.equal(e.message, c.message);
      assert.equal(e.param, c.param);
      assert.equal(e.code, c.code);
      assert.equal(e.retryAfterMs, c.retryAfterMs);
    });

    test(`${c.fixture} with a garbage body keeps the kind, with a generic message`, () => {
      const fx = loadFixture(c.fixture);
      const e = adapter.parseError({
        operation: 'chat',
        status: fx.status,
        headers: {},
        body: Buffer.from('<html>oops</html>'),
        model: 'm',
      });
      assert.equal(e.kind, c.kind);
      assert.equal(e.message, `Upstream returned HTTP ${fx.status}.`);
      assert.equal(e.code, c.kind);
    });
  }
});
