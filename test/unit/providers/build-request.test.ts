import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAiCompatibleAdapter as adapter } from '../../../src/providers/openai-compatible/adapter.js';
import { getProfile, PRESET_IDS, resolveBaseUrl } from '../../../src/providers/profiles.js';
import type { ResolvedProvider, VendorProfile } from '../../../src/providers/types.js';

function provider(presetId: string, over: Partial<ResolvedProvider> = {}): ResolvedProvider {
  const profile = getProfile(presetId) as VendorProfile;
  return {
    name: presetId,
    profile,
    protocol: profile.protocol,
    baseUrl: resolveBaseUrl({ profile }) ?? 'http://127.0.0.1:9/v1/',
    apiKey: () => 'sk-provider-key',
    forwardClientKey: false,
    headers: {},
    ...over,
  };
}

function build(body: Record<string, unknown>, p: ResolvedProvider, extra: { model?: string; clientKey?: string; raw?: Buffer } = {}) {
  const rawBody = extra.raw ?? Buffer.from(JSON.stringify(body));
  return {
    rawBody,
    req: adapter.buildRequest({
      operation: 'chat',
      body,
      rawBody,
      model: extra.model ?? String(body.model),
      provider: p,
      ...(extra.clientKey ? { clientKey: extra.clientKey } : {}),
    }),
  };
}

test('nothing to change: the app raw bytes go upstream as they are', () => {
  const raw = Buffer.from('{"model":"deepseek-chat", "messages":[],"x_unknown":{"keep":1},"stream":true}');
  const { req } = build(JSON.parse(raw.toString()) as Record<string, unknown>, provider('deepseek'), { raw });
  assert.equal(req.body, raw);
  assert.equal(req.url, 'https://api.deepseek.com/chat/completions');
  assert.equal(req.stream, true);
  assert.equal(req.injectedUsage, false, 'deepseek always sends usage');
  assert.equal(req.headers.accept, 'text/event-stream');
});

test('streaming to a stream_options vendor injects include_usage and keeps every other field', () => {
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { other: 1 }, foo: [1] };
  const { req } = build(body, provider('openai'));
  assert.equal(req.injectedUsage, true);
  assert.deepEqual(JSON.parse(String(req.body)), { ...body, stream_options: { other: 1, include_usage: true } });
  assert.equal(req.url, 'https://api.openai.com/v1/chat/completions');
});

test('the app asked for usage itself: nothing injected, raw bytes kept', () => {
  const body = { model: 'qwen-plus', messages: [], stream: true, stream_options: { include_usage: true } };
  const { req, rawBody } = build(body, provider('qwen'));
  assert.equal(req.injectedUsage, false);
  assert.equal(req.body, rawBody);
  assert.equal(req.url, 'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions');
});

test('include_usage:false from the app is overridden (we need usage) and reported as injected', () => {
  const { req } = build({ model: 'm', messages: [], stream: true, stream_options: { include_usage: false } }, provider('xai'));
  assert.equal(req.injectedUsage, true);
  assert.deepEqual((JSON.parse(String(req.body)) as { stream_options: unknown }).stream_options, { include_usage: true });
});

test('non-stream requests never get stream_options', () => {
  const { req, rawBody } = build({ model: 'gpt-4o', messages: [] }, provider('openai'));
  assert.equal(req.injectedUsage, false);
  assert.equal(req.stream, false);
  assert.equal(req.body, rawBody);
  assert.equal(req.headers.accept, 'application/json');
});

test('the route model replaces the app model, in place', () => {
  const { req } = build({ model: 'fast', messages: [], temperature: 0 }, provider('mistral'), { model: 'mistral-small-latest' });
  assert.equal(String(req.body), '{"model":"mistral-small-latest","messages":[],"temperature":0}');
});

test('auth: provider key in the profile style; the client key only with forwardClientKey', () => {
  const body = { model: 'm', messages: [] };
  const bearer = build(body, provider('glm'), { clientKey: 'sk-client' }).req.headers;
  assert.equal(bearer.authorization, 'Bearer sk-provider-key');
  const forwarded = build(body, provider('glm', { forwardClientKey: true }), { clientKey: 'sk-client' }).req.headers;
  assert.equal(forwarded.authorization, 'Bearer sk-client');
  const xKey = build(body, provider('openai', { profile: { ...(getProfile('openai') as VendorProfile), auth: 'x-api-key' } })).req.headers;
  assert.equal(xKey['x-api-key'], 'sk-provider-key');
  assert.equal(xKey.authorization, undefined);
  const none = build(body, provider('simulator', { apiKey: () => undefined, baseUrl: 'http://127.0.0.1:4010/v1' })).req;
  assert.equal(none.headers.authorization, undefined);
  assert.equal(none.url, 'http://127.0.0.1:4010/v1/chat/completions');
});

test('extra headers from profile and provider are sent; they cannot replace our auth', () => {
  const p = provider('openai', { headers: { 'openai-organization': 'org-1', authorization: 'Bearer nope' } });
  const h = build({ model: 'm', messages: [] }, p).req.headers;
  assert.equal(h['openai-organization'], 'org-1');
  assert.equal(h.authorization, 'Bearer sk-provider-key');
});

test('embeddings go to /embeddings and are never streamed', () => {
  const body = { model: 'text-embedding-3-small', input: 'x', stream: true };
  const rawBody = Buffer.from(JSON.stringify(body));
  const req = adapter.buildRequest({
    operation: 'embeddings',
    body,
    rawBody,
    model: 'text-embedding-3-small',
    provider: provider('openai'),
  });
  assert.equal(req.url, 'https://api.openai.com/v1/embeddings');
  assert.equal(req.stream, false);
  assert.equal(req.injectedUsage, false);
  assert.equal(req.body, rawBody);
});

test('presets: ids, regions, simulator label', () => {
  assert.deepEqual(PRESET_IDS, ['openai', 'deepseek', 'qwen', 'moonshot', 'glm', 'doubao', 'mistral', 'xai', 'minimax', 'simulator']);
  const qwen = getProfile('qwen') as VendorProfile;
  assert.equal(resolveBaseUrl({ profile: qwen, region: 'intl' }), 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1');
  assert.equal(resolveBaseUrl({ profile: qwen, region: 'mars' }), undefined);
  assert.equal(resolveBaseUrl({ profile: getProfile('moonshot') as VendorProfile, region: 'intl' }), 'https://api.moonshot.ai/v1');
  assert.equal(resolveBaseUrl({ profile: getProfile('glm') as VendorProfile, region: 'intl' }), 'https://api.z.ai/api/paas/v4');
  const sim = getProfile('simulator') as VendorProfile;
  assert.equal(sim.label, 'Local simulator (not a real provider)');
  assert.equal(sim.genAiProviderName, 'switchyard.simulator');
  assert.equal(resolveBaseUrl({ profile: sim }), undefined);
  assert.equal(resolveBaseUrl({ profile: sim, override: 'http://127.0.0.1:4010/v1/' }), 'http://127.0.0.1:4010/v1');
  for (const id of PRESET_IDS) {
    const p = getProfile(id) as VendorProfile;
    assert.ok(Object.isFrozen(p), `${id} frozen`);
    if (id !== 'simulator') assert.match(p.docs ?? '', /^https:\/\//, `${id} cites its docs`);
    for (const url of Object.values(p.baseUrls)) assert.doesNotMatch(url, /\/$/);
  }
});
