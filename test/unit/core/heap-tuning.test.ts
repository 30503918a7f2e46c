import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { SERVE_NODE_FLAGS, tuneHeapForServing, youngGenerationNote } from '../../../src/core/heap-tuning.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'switchyard.mjs');

/**
 * `switchyard serve` sets V8's old-generation growing factor (docs/benchmarks.md, seventh round):
 * 2 by default, another from SWITCHYARD_V8_HEAP_GROWING_PERCENT, V8's own with 0; a bad value is a
 * clear start-up error, not a silent default.
 */
test('the growing factor: 2 by default, the env value, or V8 own with 0', () => {
  assert.equal(tuneHeapForServing({}), 'V8 heap growing factor: 2');
  assert.equal(tuneHeapForServing({ SWITCHYARD_V8_HEAP_GROWING_PERCENT: '' }), 'V8 heap growing factor: 2');
  assert.equal(tuneHeapForServing({ SWITCHYARD_V8_HEAP_GROWING_PERCENT: '50' }), 'V8 heap growing factor: 1.5');
  assert.equal(tuneHeapForServing({ SWITCHYARD_V8_HEAP_GROWING_PERCENT: '0' }), "V8 heap growing factor: V8's own");
});

test('a value that is not an integer from 0 to 300 is refused with its name', () => {
  for (const bad of ['abc', '-1', '301', '1.5', '100%']) {
    assert.throws(
      () => tuneHeapForServing({ SWITCHYARD_V8_HEAP_GROWING_PERCENT: bad }),
      (e: Error) => e.message.includes('SWITCHYARD_V8_HEAP_GROWING_PERCENT') && e.message.includes(JSON.stringify(bad)),
    );
  }
});

test('switchyard serve stops with that message and exit code 1 before it listens', () => {
  const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--health-port', '0'], {
    env: { ...process.env, SWITCHYARD_V8_HEAP_GROWING_PERCENT: 'lots' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /SWITCHYARD_V8_HEAP_GROWING_PERCENT must be an integer from 0 to 300, got "lots"/);
});

/**
 * The young generation's size is fixed by V8 flags on node's command line (SERVE_NODE_FLAGS): the
 * three ways `serve` is started carry them, and the log says which sizing a process has.
 */
test('youngGenerationNote names the semi-space flags given, or says V8 sizes it', () => {
  assert.deepEqual(youngGenerationNote([...SERVE_NODE_FLAGS], ''), {
    line: 'V8 young generation: --max-semi-space-size=32 --min-semi-space-size=32',
    ownSizing: false,
  });
  assert.deepEqual(youngGenerationNote(['--import', 'tsx'], '--max_semi_space_size=64'), {
    line: 'V8 young generation: --max_semi_space_size=64',
    ownSizing: false,
  });
  const own = youngGenerationNote(['--enable-source-maps'], '--max-old-space-size=512');
  assert.equal(own.ownSizing, true);
  assert.match(
    own.line,
    /V8's own sizing \(node was started without --max-semi-space-size=32 --min-semi-space-size=32; see docs\/config.md\)/,
  );
});

test('npm start, the bin as a program and the image all start node with SERVE_NODE_FLAGS', () => {
  const flags = SERVE_NODE_FLAGS.join(' ');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, `node ${flags} bin/switchyard.mjs serve`);
  assert.equal(readFileSync(BIN, 'utf8').split('\n')[0], `#!/usr/bin/env -S node ${flags}`);
  const entrypoint = /^ENTRYPOINT (.+)$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  assert.deepEqual(JSON.parse(entrypoint ?? 'null'), ['node', ...SERVE_NODE_FLAGS, 'bin/switchyard.mjs']);
});

/** Starts `serve` on free ports, returns its log lines up to "switchyard listening", then stops it. */
async function serveLog(command: string, args: string[]): Promise<string[]> {
  const child = spawn(command, [...args, 'serve', '--port', '0', '--health-port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SWITCHYARD_LOG: 'debug', NODE_OPTIONS: '' },
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    for await (const line of createInterface({ input: child.stderr })) {
      lines.push(line);
      if (line.includes('"switchyard listening"')) break;
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  assert.ok(
    lines.some((l) => l.includes('"switchyard listening"')),
    lines.join('\n'),
  );
  return lines;
}

test('serve run through the bin shebang has the fixed young generation; plain `node bin` logs that it has not', async () => {
  const viaShebang = await serveLog(BIN, []);
  const fixed = viaShebang.find((l) => l.includes('V8 young generation'));
  assert.ok(fixed, viaShebang.join('\n'));
  assert.equal(
    (JSON.parse(fixed) as { level: string; msg: string }).msg,
    'V8 young generation: --max-semi-space-size=32 --min-semi-space-size=32',
  );
  assert.equal((JSON.parse(fixed) as { level: string }).level, 'debug');

  const plain = await serveLog(process.execPath, [BIN]);
  const own = plain.find((l) => l.includes('V8 young generation'));
  assert.ok(own, plain.join('\n'));
  assert.equal((JSON.parse(own) as { level: string }).level, 'info');
  assert.match(own, /V8's own sizing/);
});
