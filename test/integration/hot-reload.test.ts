import assert from 'node:assert/strict';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { watchConfig } from '../../src/config/watch.js';
import { twoProviderYaml } from '../support/configs.js';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.js';
import { startSidecar, type TestSidecar } from '../support/sidecar.js';
import { until } from '../support/until.js';
import { writeFileSync as write } from 'node:fs';

/** Lays out a directory the way the kubelet mounts a ConfigMap: `file -> ..data/file`, `..data -> ..<ts>`. */
function configMapDir(yaml: string): { dir: string; swap(next: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cm-'));
  let n = 0;
  const version = (text: string) => {
    const v = `..2026_11_24_${n++}`;
    mkdirSync(join(dir, v));
    writeFileSync(join(dir, v, 'switchyard.yaml'), text);
    return v;
  };
  symlinkSync(version(yaml), join(dir, '..data'));
  symlinkSync('..data/switchyard.yaml', join(dir, 'switchyard.yaml'));
  return {
    dir,
    swap(next) {
      const v = version(next);
      symlinkSync(v, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    },
  };
}

describe('config hot reload', () => {
  let upstream: MockUpstream;
  before(async () => {
    upstream = await startMockUpstream();
  });
  after(() => upstream.close());

  test('a ConfigMap symlink swap reloads; an invalid config is rejected and the old one keeps serving', async () => {
    const good = twoProviderYaml({ primary: upstream.baseUrl });
    const cm = configMapDir(good);
    const path = join(cm.dir, 'switchyard.yaml');
    const lines: string[] = [];
    const initial = loadConfigFile(path, {});
    const holder = watchConfig({ path, initial, log: createLogger({ write: (l) => void lines.push(l) }), env: {}, debounceMs: 20 });
    try {
      const next = good.replace('  coding:', '  search:\n    targets: [ { provider: primary, model: gpt-4o-mini } ]\n  coding:');
      cm.swap(next);
      await until(() => holder.current.features.has('search'), 'the new feature');
      assert.notEqual(holder.current.hash, initial.hash);
      const reloaded = lines.map((l) => JSON.parse(l) as { msg: string; config_hash?: string }).find((l) => l.msg === 'config reloaded');
      assert.equal(reloaded?.config_hash, holder.current.hash, 'the new config hash is logged');

      const goodHash = holder.current.hash;
      cm.swap(next.replace('providers:', 'providers:\n  broken: { preset: nope }'));
      await until(() => lines.some((l) => l.includes('config reload rejected')), 'the rejection log');
      const rejected = JSON.parse(lines.find((l) => l.includes('config reload rejected')) as string) as { problems: string[] };
      assert.match(rejected.problems.join('\n'), /providers\.broken\.preset: unknown preset "nope"/);
      assert.equal(holder.current.hash, goodHash, 'the previous config keeps serving');
    } finally {
      holder.close();
    }
  });

  describe('through a running sidecar', () => {
    let sc: TestSidecar;
    before(async () => {
      sc = await startSidecar({ yaml: twoProviderYaml({ primary: upstream.baseUrl }), watch: true });
    });
    after(() => sc.close());

    test('files next to the config (a spool, say) do not trigger reloads', async () => {
      const before = sc.logs.length;
      write(join(dirname(sc.configPath as string), 'spool-batch-000001.jsonl'), '{}\n');
      await new Promise((r) => setTimeout(r, 400));
      const reloads = sc.logs.slice(before).filter((l) => /config (reloaded|re-read|reload rejected)/.test(l));
      assert.deepEqual(reloads, []);
    });

    test('a rewritten file changes routing without a restart; a broken one does not', async () => {
      const path = sc.configPath as string;
      write(path, twoProviderYaml({ primary: upstream.baseUrl }).replace('coding:', 'research:'));
      await until(async () => (await sc.openai().models.list()).data.some((m) => m.id === 'research'), '/v1/models to list the new route');
      write(path, 'features: [');
      await until(() => sc.logs.some((l) => l.includes('config reload rejected')), 'rejection');
      const ids = (await sc.openai().models.list()).data.map((m) => m.id);
      assert.ok(ids.includes('research'), 'still serving the last good config');
    });
  });
});
