import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { APIError } from 'openai';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfigText } from '../../src/config/load.js';
import { twoProviderYaml } from '../support/configs.js';
import { loadFixture } from '../support/fixtures.js';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';

const UNAUTHORIZED =
  '{"error":{"message":"Invalid Switchyard client token.","type":"authentication_error","param":null,"code":"invalid_api_key"}}';

describe('gateway mode: server.client_tokens_file', () => {
  let upstream: MockUpstream;
  let sc: TestSidecar;
  let tokensFile: string;

  before(async () => {
    upstream = await startMockUpstream();
    const f = loadFixture('openai/chat-completion-tool-calls');
    upstream.setFallback({ kind: 'bytes', status: 200, contentType: f.contentType, body: f.body });
    tokensFile = join(mkdtempSync(join(tmpdir(), 'switchyard-tokens-')), 'tokens');
    writeFileSync(tokensFile, '# team tokens\nsy-team-a-0001\n\nsy-team-b-0002\n');
    const yaml = twoProviderYaml({ primary: upstream.baseUrl }).replace(
      'shutdown_grace_ms: 5000 }',
      `shutdown_grace_ms: 5000, client_tokens_file: ${tokensFile} }`,
    );
    sc = await startSidecar({ yaml, watch: true });
  });
  after(async () => {
    await sc.close();
    await upstream.close();
  });

  test('a known token is accepted and never forwarded upstream', async () => {
    const res = await sc
      .openai({ apiKey: 'sy-team-b-0002' })
      .chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(upstream.requests.at(-1)?.headers.authorization, 'Bearer sk-primary-SECRET-0001');
  });

  test('a wrong or missing token is a 401 with an OpenAI-style body, recorded, nothing sent upstream', async () => {
    const before = upstream.requests.length;
    const records = sc.records.length;
    await assert.rejects(
      sc.openai({ apiKey: 'sy-team-c-9999' }).chat.completions.create({ model: 'x', messages: [] }),
      (e: unknown) => e instanceof APIError && e.status === 401 && e.code === 'invalid_api_key',
    );
    const wrong = await fetch(`${sc.baseURL}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' });
    assert.equal(wrong.status, 401);
    assert.equal(await wrong.text(), UNAUTHORIZED);
    const missing = await fetch(`${sc.baseURL}/models`);
    assert.equal(missing.status, 401);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /Missing Switchyard client token/);
    const passthrough = await fetch(`${sc.baseURL}/images/generations`, { method: 'POST', body: '{}' });
    assert.equal(passthrough.status, 401);
    assert.equal(upstream.requests.length, before, 'nothing reached the provider');
    assert.equal(sc.records.length, records + 2, 'the two rejected chat calls are in the ledger');
    assert.equal(sc.records.at(-1)?.errorType, 'client_unauthorized');
  });

  test('rotating the token file takes effect on reload', async () => {
    writeFileSync(tokensFile, 'sy-team-c-9999\n');
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${sc.baseURL}/models`, { headers: { authorization: 'Bearer sy-team-c-9999' } });
      if (r.status === 200) break;
      await new Promise((res) => setTimeout(res, 30));
    }
    const ok = await fetch(`${sc.baseURL}/models`, { headers: { authorization: 'Bearer sy-team-c-9999' } });
    assert.equal(ok.status, 200);
    const old = await fetch(`${sc.baseURL}/models`, { headers: { authorization: 'Bearer sy-team-a-0001' } });
    assert.equal(old.status, 401);
  });

  test('forward_client_key cannot be combined with client tokens', () => {
    const yaml = `server: { client_tokens_file: ${tokensFile} }
providers:
  byok: { protocol: openai, base_url: https://x.example/v1, forward_client_key: true }
features:
  chat: { targets: [ { provider: byok, model: m } ] }
`;
    assert.throws(
      () => loadConfigText(yaml, { source: 't.yaml', env: {} }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          't.yaml:3: providers.byok.forward_client_key: cannot be true with server.client_tokens_file (the bearer token is then the Switchyard client token)',
    );
  });
});
