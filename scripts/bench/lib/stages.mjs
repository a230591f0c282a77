// Stage costs of ingest in the real runtime: a probe Worker (bench-only entry, bundled from the
// same functions/ingest/* and taxonomy/* code) runs in Miniflare with the same local D1 and R2,
// and runs one stage of the pipeline per request on a body it holds in memory. Each request's
// wall time, seen from Node, is that stage's cost (workerd runs the Worker and the D1/R2
// simulators on one thread, as in the ingest benchmark). Each stage runs twice; the faster counts.
import { startWorker, threadCpu, cpuDelta } from './worker.mjs';

const PROBE_ENTRY = `
import { ItemValidator, parseJsonLine, validateHeader } from './functions/ingest/validate.ts';
import { readLines } from './functions/ingest/lines.ts';
import { SliceProcessor } from './functions/ingest/processor.ts';
import { bucketCount } from './functions/ingest/item-store.ts';

let body: Uint8Array | undefined;
let pk = 1_000_000;
const PART = 8 * 1024 * 1024;
const stream = () => new Blob([body!]).stream();

function stubD1(): D1Database {
  const stmt = { bind: () => stmt };
  return { prepare: () => stmt, batch: async () => [] } as unknown as D1Database;
}

async function consume(d1: D1Database, src: ReadableStream<Uint8Array>): Promise<number> {
  const proc = new SliceProcessor(d1, pk++, bucketCount(body!.byteLength));
  let first = true;
  for await (const l of readLines(src)) {
    if (first) { first = false; continue; }
    await proc.add(JSON.parse(l.text), l.text);
  }
  await proc.finish();
  return proc.rowsWritten;
}

async function stage(name: string, env: { DB: D1Database; SLICES: R2Bucket }, req: Request): Promise<number> {
  switch (name) {
    case 'receive': { let n = 0; const r = req.body!.getReader(); for (;;) { const { value, done } = await r.read(); if (done) break; n += value.byteLength; } return n; }
    case 'split': { let n = 0; for await (const _ of readLines(stream())) n++; return n; }
    case 'parse': { let n = 0; for await (const l of readLines(stream())) { parseJsonLine(l.text, l.no); n++; } return n; }
    case 'validate': {
      const v = new ItemValidator(); let first = true;
      for await (const l of readLines(stream())) {
        const x = parseJsonLine(l.text, l.no);
        if (first) { validateHeader(x, l.no); first = false; } else v.accept(x, { line: l.no });
      }
      return v.count;
    }
    case 'sha': {
      const d = new crypto.DigestStream('SHA-256'); const w = d.getWriter();
      for (let o = 0; o < body!.byteLength; o += 65536) await w.write(body!.subarray(o, o + 65536));
      await w.close(); return (await d.digest).byteLength;
    }
    case 'r2-put': {
      const up = await env.SLICES.createMultipartUpload('probe/body.ndjson');
      const parts: R2UploadedPart[] = [];
      for (let o = 0; o < body!.byteLength; o += PART) parts.push(await up.uploadPart(parts.length + 1, body!.slice(o, o + PART)));
      await up.complete(parts); return parts.length;
    }
    case 'r2-read': { const o = await env.SLICES.get('probe/body.ndjson'); let n = 0; for await (const _ of readLines(o!.body)) n++; return n; }
    case 'consumer-stub': return consume(stubD1(), stream());
    case 'consumer-d1': return consume(env.DB, stream());
  }
  throw new Error('unknown stage ' + name);
}

export default {
  async fetch(req: Request, env: { DB: D1Database; SLICES: R2Bucket }): Promise<Response> {
    const u = new URL(req.url);
    if (u.pathname === '/load') { body = new Uint8Array(await req.arrayBuffer()); return Response.json({ bytes: body.byteLength }); }
    const n = await stage(u.searchParams.get('stage') ?? '', env, req);
    return Response.json({ n });
  },
};
`;

const STAGES = ['receive', 'split', 'parse', 'validate', 'sha', 'r2-put', 'r2-read', 'consumer-stub', 'consumer-d1'];

/** {ms, cpu: {stage: ms}, rows: [{where, stage, ms (wall), cpuMs}]} for one NDJSON body (Buffer). */
export async function stageCosts(body, { log = () => {} } = {}) {
  const w = await startWorker({ entrySource: PROBE_ENTRY });
  try {
    // Wall time from Node, and the CPU time of the whole workerd process (Worker + simulators;
    // /proc, 10 ms resolution), which a busy machine inflates much less than wall time.
    const call = async (path, b) => {
      const c0 = threadCpu(w.pid);
      const t = performance.now();
      const res = await fetch(new URL(path, w.url), { method: 'POST', body: b });
      const j = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(`probe ${path} → ${res.status} ${JSON.stringify(j)}`);
      return { wall: performance.now() - t, cpu: cpuDelta(c0, threadCpu(w.pid)).total };
    };
    await call('/load', body);
    const ms = {};
    const cpu = {};
    for (const s of STAGES) {
      const a = await call(`/run?stage=${s}`, s === 'receive' ? body : undefined);
      const b = await call(`/run?stage=${s}`, s === 'receive' ? body : undefined);
      ms[s] = Math.min(a.wall, b.wall);
      cpu[s] = Math.min(a.cpu, b.cpu);
      log(`  stage ${s}: ${Math.round(ms[s])} ms wall, ${Math.round(cpu[s])} ms workerd CPU`);
    }
    const rowsOf = (x) => [
      { where: 'submit', stage: 'receive the HTTP body (stream it into the isolate)', ms: x.receive },
      { where: 'submit + consumer', stage: 'split lines (TextDecoder, indexOf, slice/trim) — each phase does it once', ms: x.split },
      { where: 'submit + consumer', stage: 'JSON.parse per line — each phase does it once', ms: x.parse - x.split },
      { where: 'submit', stage: 'zod ItemSchema.safeParse + duplicate-id set (ItemValidator.accept)', ms: x.validate - x.parse },
      { where: 'submit', stage: 'SHA-256 (DigestStream)', ms: x.sha },
      { where: 'submit', stage: 'R2 multipart upload, 8 MiB parts (local R2 simulator)', ms: x['r2-put'] },
      { where: 'consumer', stage: 'R2 read + split, minus split from memory (the R2 part)', ms: x['r2-read'] - x.split },
      { where: 'consumer', stage: 'diagnose + aggregate deltas + record JSON + pack parts + build INSERTs (D1 stubbed)', ms: x['consumer-stub'] - x.parse },
      { where: 'consumer', stage: 'D1 writes of the item parts (local D1: SQLite in workerd)', ms: x['consumer-d1'] - x['consumer-stub'] },
    ];
    const wallRows = rowsOf(ms);
    const cpuRows = rowsOf(cpu);
    const rows = wallRows.map((r, i) => ({ ...r, cpuMs: Math.max(0, cpuRows[i].ms) }));
    return { ms, cpu, rows };
  } finally {
    await w.dispose();
  }
}
