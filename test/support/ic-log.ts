import { readFileSync } from 'node:fs';

/**
 * Reads a V8 log written with `node --log-ic --logfile=F --no-logfile-per-isolate`: which code
 * missed its inline caches at V8's runtime, and how often. A miss line is
 * `<Kind>IC,pc,time,line,column,old state,new state,map,key,…`; `code-creation` and `code-move`
 * lines say which function's code holds a pc. A site whose every call goes to the runtime shows up
 * once per call (docs/benchmarks.md, twentieth round).
 */
export interface IcSite {
  /** The code object's name as V8 logs it: function name and script URL with position. */
  code: string;
  line: number;
  column: number;
  kind: string;
  key: string;
  misses: number;
}

interface Code {
  start: number;
  size: number;
  name: string;
}

export function readIcMisses(path: string): IcSite[] {
  const codes = new Map<number, Code>();
  const sites = new Map<string, IcSite>();
  let sorted: Code[] | null = null;
  const find = (pc: number): Code | undefined => {
    sorted ??= [...codes.values()].sort((a, b) => a.start - b.start);
    let lo = 0;
    let hi = sorted.length - 1;
    let at: Code | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = sorted[mid] as Code;
      if (c.start <= pc) {
        at = c;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return at !== undefined && pc < at.start + at.size ? at : undefined;
  };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const f = line.split(',');
    if (f[0] === 'code-creation') {
      const start = Number.parseInt(f[4] as string, 16);
      codes.set(start, { start, size: Number(f[5]), name: f.slice(6).join(',') });
      sorted = null;
    } else if (f[0] === 'code-move') {
      const from = Number.parseInt(f[1] as string, 16);
      const c = codes.get(from);
      if (c !== undefined) {
        codes.delete(from);
        c.start = Number.parseInt(f[2] as string, 16);
        codes.set(c.start, c);
        sorted = null;
      }
    } else if (f[0]?.endsWith('IC') && f.length >= 9) {
      const code = find(Number.parseInt(f[1] as string, 16))?.name ?? '?';
      const k = `${code}|${f[0]}|${f[3]}|${f[4]}|${f[8]}`;
      const site = sites.get(k);
      if (site !== undefined) site.misses++;
      else sites.set(k, { code, line: Number(f[3]), column: Number(f[4]), kind: f[0], key: f[8] as string, misses: 1 });
    }
  }
  return [...sites.values()];
}
