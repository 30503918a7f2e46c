/**
 * Recorded provider responses (../shared/fixtures/providers, see its README and manifest.json)
 * and the hand-derived ones under test/fixtures/hand-derived/, loaded as the exact bytes a mock
 * upstream must send. `.jsonl` recordings are framed per manifest.json (`jsonl-openai-chat` →
 * `data: <line>\n\n` per line then `data: [DONE]\n\n`, …).
 *
 * Names are the path without extension: `openai/chat-stream-text`, `hand-derived/moonshot-chat-stream`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
export const SHARED_FIXTURES_DIR = process.env.SWITCHYARD_FIXTURES_DIR ?? resolve(REPO, '../shared/fixtures/providers');
export const HAND_DERIVED_DIR = resolve(REPO, 'test/fixtures/hand-derived');

export type Framing = 'raw' | 'file' | 'jsonl-openai-chat' | 'jsonl-openai-responses' | 'jsonl-gemini';

export interface FixtureCase {
  file: string;
  provider: string;
  endpoint: string;
  stream: boolean;
  status: number | null;
  content_type: string;
  framing: Framing;
  exercises: string;
}

export interface LoadedFixture {
  name: string;
  provider: string;
  status: number;
  contentType: string;
  /** Exact bytes to serve (framed for .jsonl). */
  body: Buffer;
  stream: boolean;
  framing: Framing;
}

let manifestCache: FixtureCase[] | undefined;

export function manifest(): FixtureCase[] {
  if (!manifestCache) {
    const doc = JSON.parse(readFileSync(join(SHARED_FIXTURES_DIR, 'manifest.json'), 'utf8')) as { cases: FixtureCase[] };
    manifestCache = doc.cases;
  }
  return manifestCache;
}

export function frame(framing: Framing, bytes: Buffer): Buffer {
  if (framing === 'raw' || framing === 'file') return bytes;
  const lines = bytes
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (framing === 'jsonl-openai-chat') return Buffer.from(`${lines.map((l) => `data: ${l}\n\n`).join('')}data: [DONE]\n\n`);
  if (framing === 'jsonl-gemini') return Buffer.from(lines.map((l) => `data: ${l}\r\n\r\n`).join(''));
  return Buffer.from(lines.map((l) => `event: ${(JSON.parse(l) as { type: string }).type}\ndata: ${l}\n\n`).join(''));
}

function stripExt(file: string): string {
  return file.replace(/\.(json|jsonl|sse|yaml)$/, '');
}

/** Hand-derived fixtures: `<name>.sse` (first line a `:` comment naming its source) or `<name>.json` + `<name>.source.md`. */
function loadHandDerived(name: string): LoadedFixture | undefined {
  const base = name.replace(/^hand-derived\//, '');
  const sse = join(HAND_DERIVED_DIR, `${base}.sse`);
  if (existsSync(sse)) {
    return {
      name,
      provider: base.split('-')[0] ?? base,
      status: 200,
      contentType: 'text/event-stream; charset=utf-8',
      body: readFileSync(sse),
      stream: true,
      framing: 'raw',
    };
  }
  const json = join(HAND_DERIVED_DIR, `${base}.json`);
  if (existsSync(json)) {
    const source = readFileSync(join(HAND_DERIVED_DIR, `${base}.source.md`), 'utf8');
    const status = Number(/^status:\s*(\d{3})/m.exec(source)?.[1] ?? 200);
    return {
      name,
      provider: base.split('-')[0] ?? base,
      status,
      contentType: 'application/json',
      body: readFileSync(json),
      stream: false,
      framing: 'raw',
    };
  }
  return undefined;
}

/** Load a fixture by name (see module doc). Throws when it does not exist. */
export function loadFixture(name: string): LoadedFixture {
  if (name.startsWith('hand-derived/')) {
    const f = loadHandDerived(name);
    if (!f) throw new Error(`no hand-derived fixture ${name}`);
    return f;
  }
  const c = manifest().find((m) => stripExt(m.file) === name || m.file === name);
  if (!c) throw new Error(`no fixture ${name} in manifest.json`);
  if (c.status === null) throw new Error(`fixture ${name} is not a response`);
  return {
    name: stripExt(c.file),
    provider: c.provider,
    status: c.status,
    contentType: c.framing.startsWith('jsonl') ? 'text/event-stream; charset=utf-8' : c.content_type,
    body: frame(c.framing, readFileSync(join(SHARED_FIXTURES_DIR, c.file))),
    stream: c.stream,
    framing: c.framing,
  };
}

/** Names of every hand-derived fixture. */
export function handDerivedNames(): string[] {
  if (!existsSync(HAND_DERIVED_DIR)) return [];
  return readdirSync(HAND_DERIVED_DIR)
    .filter((f) => /\.(sse|json)$/.test(f) && !f.endsWith('.source.md'))
    .map((f) => `hand-derived/${stripExt(f)}`);
}

/** Seeded PRNG (mulberry32) so chunkings are random but reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Split bytes into random chunks of 1..maxSize bytes. */
export function randomChunks(bytes: Buffer, seed: number, maxSize = 41): Buffer[] {
  const rnd = seededRandom(seed);
  const out: Buffer[] = [];
  let off = 0;
  while (off < bytes.length) {
    const n = 1 + Math.floor(rnd() * maxSize);
    out.push(bytes.subarray(off, off + n));
    off += n;
  }
  return out;
}
