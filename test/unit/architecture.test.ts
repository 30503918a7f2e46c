import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/**
 * Imports flow one way (shared/design/ARCHITECTURE.md). Each folder under src/ may import only the
 * folders listed here. Two deliberate edges beyond the design table, both schema/data only:
 * config → providers (vendor presets are data the config resolves) and config → pricing/sinks
 * (the `pricing:` and `telemetry.clickhouse` section schemas live with their owners).
 */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  providers: ['core'],
  pricing: ['core'],
  config: ['core', 'providers', 'pricing', 'sinks'],
  telemetry: ['core', 'config'],
  sinks: ['core', 'telemetry'],
  gateway: ['core', 'config', 'providers', 'pricing', 'telemetry'],
  server: ['core', 'config', 'gateway'],
  simulator: ['core'],
  webhook: ['core', 'cli'],
  loadgen: ['core', 'cli'],
  cli: ['core', 'config', 'sinks', 'main', 'webhook', 'loadgen', 'telemetry'],
  main: ['*'],
};

const SRC = resolve(import.meta.dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const area = (file: string) => {
  const rel = relative(SRC, file);
  return rel.includes('/') ? (rel.split('/')[0] as string) : rel.replace(/\.(ts|js)$/, '');
};

test('every src/ import follows the folder rules', () => {
  const violations: string[] = [];
  let checked = 0;
  for (const file of files(SRC)) {
    const from = area(file);
    const allowed = ALLOWED[from];
    assert.ok(allowed, `src/${relative(SRC, file)} is in a folder the rules do not know (${from})`);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      const target = area(resolve(dirname(file), m[1] as string));
      checked++;
      if (target === from || allowed.includes('*') || allowed.includes(target)) continue;
      violations.push(`src/${relative(SRC, file)} imports ${target} (${m[1]})`);
    }
  }
  assert.ok(checked > 100, `checked ${checked} imports`);
  assert.deepEqual(violations, []);
});
