import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'switchyard.mjs');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

describe('switchyard CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));

  test('validate: a good file exits 0 and names its hash; secrets are expanded but never printed', () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(
      file,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: YAML for the config's own ${VAR} expansion, not a JS template
      'providers:\n  openai: { protocol: openai, base_url: https://api.openai.com/v1, api_key: "${SY_CLI_KEY}" }\nfeatures:\n  chat: { targets: [ { provider: openai, model: gpt-4o-mini } ] }\ndefault_feature: chat\n',
    );
    const r = run(['validate', file], { SY_CLI_KEY: 'sk-live-cli-secret' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /good\.yaml: ok \(config hash [0-9a-f]{12}; 1 providers, 1 features, default feature chat\)/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('sk-live-cli-secret'));
  });

  test('validate: a bad file exits 1 with every problem, its line and YAML path', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'server: { lisen: 127.0.0.1:4000, max_body_bytes: -1 }\nproviders:\n  openai: { protocol: openai, base_url: https://api.openai.com/v1 }\nfeatures:\n  chat: { targets: [ { provider: openai, model: m } ] }\n',
    );
    const r = run(['validate', file]);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `${file}:1: server.max_body_bytes: must be more than 0\n${file}:1: server.lisen: unknown key (did you mean "listen"?)\n2 problems in ${file}\n`,
    );
    // Cross-references are checked once the file's shape is valid, and reported the same way.
    writeFileSync(
      file,
      'providers:\n  openai: { protocol: openai, base_url: https://api.openai.com/v1 }\nfeatures:\n  chat: { targets: [ { provider: opanai, model: m } ] }\n',
    );
    const refs = run(['validate', file]);
    assert.equal(refs.status, 1);
    assert.equal(
      refs.stderr,
      `${file}:4: features.chat.targets[0].provider: unknown provider "opanai" (did you mean "openai"?)\n1 problem in ${file}\n`,
    );
  });

  test('a missing env var is named; an unknown command or option is a usage error (exit 2)', () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(
      file,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: YAML for the config's own ${VAR} expansion, not a JS template
      'providers:\n  a: { protocol: openai, base_url: https://x.example/v1, api_key: "${SY_CLI_UNSET_VAR}" }\nfeatures:\n  chat: { targets: [ { provider: a, model: m } ] }\n',
    );
    const r = run(['validate', file], { SY_CLI_UNSET_VAR: '' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /providers\.a\.api_key: environment variable SY_CLI_UNSET_VAR is not set/);
    assert.equal(run(['frobnicate']).status, 2);
    const bad = run(['serve', '--no-such-flag']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option --no-such-flag/);
  });

  test('--help lists every command', () => {
    const r = run(['--help']);
    assert.equal(r.status, 0);
    for (const c of ['serve', 'validate', 'migrate', 'cost', 'sql', 'clickhouse-dev', 'loadgen', 'inject-webhook'])
      assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  });
});
