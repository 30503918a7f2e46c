import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { twoProviderYaml } from '../support/configs.js';
import { loadFixture } from '../support/fixtures.js';
import { readIcMisses } from '../support/ic-log.js';
import { jsonReply, type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { spawnSidecar } from '../support/spawn-sidecar.js';

/**
 * A guard for the twentieth round's fix (docs/benchmarks.md): objects built by spreads on the
 * request path made about 14 property lookups per call miss V8's inline caches and go to its
 * runtime, which cost 15–20 % of a call. The sidecar runs here as its own process under
 * `--log-ic`, serves calls from the official SDK, and no site of its own code (or of undici's,
 * which it hands its request objects) may miss on more than a small share of them: a site misses a
 * few times while it warms up, then not again.
 */
const CALLS_PER_MODE = 300;
const ROOT = resolve(import.meta.dirname, '..', '..');

async function inParallel(n: number, width: number, call: () => Promise<void>): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (left-- > 0) await call();
    }),
  );
}

/** The sites of the sidecar's code (and undici's) that missed on more than a quarter of `calls`. */
function hotSites(logPath: string, calls: number): string[] {
  const sites = readIcMisses(logPath);
  assert.ok(sites.length > 0, 'the log holds inline-cache events');
  // The sidecar's code, and undici's, which gets its request objects from the sidecar.
  const ours = sites.filter((s) => ['dist/', 'src/', 'node_modules/undici/'].some((d) => s.code.includes(`${ROOT}/${d}`)));
  assert.ok(ours.length > 0, "the log maps misses to the sidecar's own code");
  return ours
    .filter((s) => s.misses > calls / 4)
    .map((s) => `${s.kind} ${s.key} at ${s.code} ${s.line}:${s.column} (${s.misses} misses in ${calls} calls)`);
}

async function loggedSidecar(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-ic-'));
  const configPath = join(dir, 'switchyard.yaml');
  const logPath = join(dir, 'v8.log');
  writeFileSync(configPath, yaml);
  const sidecar = await spawnSidecar(configPath, {}, ['--log-ic', `--logfile=${logPath}`, '--no-logfile-per-isolate']);
  const client = new OpenAI({ baseURL: `${sidecar.apiUrl}/v1`, apiKey: 'app', maxRetries: 0 });
  return { sidecar, client, logPath };
}

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('inline caches on the request path', () => {
  let upstream: MockUpstream;
  let backup: MockUpstream;
  before(async () => {
    upstream = await startMockUpstream();
    backup = await startMockUpstream();
  });
  after(async () => {
    await upstream.close();
    await backup.close();
  });

  test('no site of the sidecar misses V8 inline caches on every call', async () => {
    const { sidecar, client, logPath } = await loggedSidecar(twoProviderYaml({ primary: upstream.baseUrl }));
    const whole = loadFixture('openai/chat-completion-tool-calls');
    upstream.setFallback({ kind: 'bytes', status: whole.status, contentType: whole.contentType, body: whole.body });
    await inParallel(CALLS_PER_MODE, 8, async () => {
      const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      assert.ok(r.choices.length > 0);
    });
    const streamed = loadFixture('openai/chat-stream-text');
    upstream.setFallback({ kind: 'bytes', status: streamed.status, contentType: streamed.contentType, body: streamed.body });
    await inParallel(CALLS_PER_MODE, 8, async () => {
      const s = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      let chunks = 0;
      for await (const _ of s) chunks++;
      assert.ok(chunks > 0);
    });
    assert.equal(await sidecar.stop(), 0);
    assert.deepEqual(hotSites(logPath, 2 * CALLS_PER_MODE), []);
  });

  test('nor when every call fails over: a 503 from the first provider, then the fallback', async () => {
    const { sidecar, client, logPath } = await loggedSidecar(twoProviderYaml({ primary: upstream.baseUrl, secondary: backup.baseUrl }));
    upstream.setFallback(jsonReply(503, { error: { message: 'down', type: 'server_error' } }));
    const whole = loadFixture('openai/chat-completion-tool-calls');
    backup.setFallback({ kind: 'bytes', status: whole.status, contentType: whole.contentType, body: whole.body });
    await inParallel(CALLS_PER_MODE, 8, async () => {
      const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      assert.ok(r.choices.length > 0);
    });
    assert.equal(await sidecar.stop(), 0);
    assert.ok(backup.requests.length >= CALLS_PER_MODE, 'every call reached the fallback');
    assert.deepEqual(hotSites(logPath, CALLS_PER_MODE), []);
  });
});
