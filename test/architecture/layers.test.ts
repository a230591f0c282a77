// The layering rules of ARCHITECTURE.md, checked over the import graph of functions/: ingest,
// labels, probes and notify depend on store/ and taxonomy/ (notify also on services/), never on each other; store/ depends on no
// layer above it; route files hold no SQL (services do); and no import cycle anywhere.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FUNCTIONS = join(ROOT, 'functions');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

/** file (relative to the repo) → the files of functions/ it imports (type-only imports too). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files(FUNCTIONS)) {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/g)]
      .map((m) => relative(ROOT, resolve(dirname(f), m[1])))
      .filter((d) => d.startsWith('functions/'));
    graph.set(relative(ROOT, f), deps);
  }
  return graph;
}

const layerOf = (f: string) => f.split('/')[1];

/** One cycle of the graph as a path of files, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done') return null;
    if (state.get(f) === 'open') return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) {
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

describe('layers of functions/', () => {
  const graph = importGraph();

  it('the graph is read (every import of a moved file resolves to a file)', () => {
    expect(graph.size).toBeGreaterThan(50);
    for (const [f, deps] of graph) for (const d of deps) expect(graph.has(d), `${f} imports ${d}`).toBe(true);
  });

  it('ingest/, labels/, probes/ and notify/ import none of each other', () => {
    const middle = ['ingest', 'labels', 'probes', 'notify'];
    const crossing = [...graph].flatMap(([f, deps]) => deps
      .filter((d) => middle.includes(layerOf(f)) && middle.includes(layerOf(d)) && layerOf(d) !== layerOf(f))
      .map((d) => `${f} → ${d}`));
    expect(crossing).toEqual([]);
  });

  it('store/ imports no layer above it', () => {
    const above = ['ingest', 'labels', 'probes', 'notify', 'routes', 'services', 'pages', 'middleware'];
    const up = [...graph].flatMap(([f, deps]) => layerOf(f) === 'store' ? deps.filter((d) => above.includes(layerOf(d))).map((d) => `${f} → ${d}`) : []);
    expect(up).toEqual([]);
  });

  it('route files hold no SQL and switch off no response typing', () => {
    const offending = [...graph.keys()].filter((f) => f.startsWith('functions/routes/')).flatMap((f) => {
      const text = readFileSync(join(ROOT, f), 'utf8');
      return [/\.prepare\(/, /\.batch\(/, /\bas never\b/].filter((re) => re.test(text)).map((re) => `${f}: ${re.source}`);
    });
    expect(offending).toEqual([]);
  });

  it('no import cycle', () => {
    expect(findCycle(graph)).toBeNull();
  });

  it('the cycle finder finds a cycle (a check that can fail)', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
  });
});
