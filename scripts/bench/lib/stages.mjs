// Stage costs of ingest in the real runtime: a probe Worker (bench-only entry, bundled from the
// same functions/ingest/* and taxonomy/* code) runs in Miniflare with the same local D1 and R2,
// and runs one stage of the pipeline per request on a body it holds in memory. Each request's
// wall time, seen from Node, is that stage's cost (workerd runs the Worker and the D1/R2
// simulators on one thread, as in the ingest benchmark). Each stage runs twice; the faster counts.
// The stages follow the stream path (functions/ingest/stream.ts), which the ingest benchmark
// times; the R2 stages are the queue path's (slices above STREAM_INGEST_BYTES or without a
// content-length), listed apart.
import { startWorker, threadCpu, cpuDelta } from './worker.mjs';

const PROBE_ENTRY = `
import { ItemValidator, parseJsonLine, validateHeader } from './functions/ingest/validate.ts';
import { chunkReader, readLineBatches, readLines } from './functions/ingest/lines.ts';
import { SliceProcessor } from './functions/ingest/processor.ts';
import { bucketCount } from './functions/store/items/writer.ts';

let body: Uint8Array | undefined;
let pk = 1_000_000;
const PART = 8 * 1024 * 1024;
const SHA_CHUNK = 256 * 1024; // the stream path hashes each chunk it reads (>= 256 KB)
const stream = () => new Blob([body!]).stream();

function stubD1(): D1Database {
  const stmt = { bind: () => stmt };
  return { prepare: () => stmt, batch: async () => [] } as unknown as D1Database;
}

/** The stream path's loop (stream.ts), without the hash and the claim/commit: validate, diagnose, write parts. */
async function streamLoop(d1: D1Database, src: ReadableStream<Uint8Array>): Promise<number> {
  const proc = new SliceProcessor(d1, pk++, bucketCount(body!.byteLength));
  const v = new ItemValidator();
  let first = true;
  for await (const batch of readLineBatches(src)) {
    for (const l of batch) {
      if (first) { first = false; continue; }
      const writing = proc.add(v.accept(parseJsonLine(l.text, l.no), { line: l.no }), l.text);
      if (writing) await writing;
    }
  }
  await proc.finish();
  return proc.rowsWritten;
}

async function stage(name: string, env: { DB: D1Database; SLICES: R2Bucket }, req: Request): Promise<number> {
  switch (name) {
    case 'receive': { let n = 0; const next = chunkReader(req.body!); for (let c = await next(); c !== undefined; c = await next()) n += c.byteLength; return n; }
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
      for (let o = 0; o < body!.byteLength; o += SHA_CHUNK) await w.write(body!.subarray(o, o + SHA_CHUNK));
      await w.close(); return (await d.digest).byteLength;
    }
    case 'stream-stub': return streamLoop(stubD1(), stream());
    case 'stream-d1': return streamLoop(env.DB, stream());
    case 'r2-put': {
      const up = await env.SLICES.createMultipartUpload('probe/body.ndjson');
      const parts: R2UploadedPart[] = [];
      for (let o = 0; o < body!.byteLength; o += PART) parts.push(await up.uploadPart(parts.length + 1, body!.slice(o, o + PART)));
      await up.complete(parts); return parts.length;
    }
    case 'r2-read': { const o = await env.SLICES.get('probe/body.ndjson'); let n = 0; for await (const _ of readLines(o!.body)) n++; return n; }
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

const STAGES = ['receive', 'split', 'parse', 'validate', 'sha', 'stream-stub', 'stream-d1', 'r2-put', 'r2-read'];

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
    // where: 'stream' (the stream path, one pass; the ingest benchmark's path) or 'queue' (what
    // the queue path adds on top of the same stages).
    const rowsOf = (x) => [
      { where: 'stream', stage: 'receive the HTTP body (BYOB `readAtLeast`, ≥ 256 KB per read)', ms: x.receive },
      { where: 'stream', stage: 'split lines (TextDecoder, indexOf, slice/trim)', ms: x.split },
      { where: 'stream', stage: 'JSON.parse per line', ms: x.parse - x.split },
      { where: 'stream', stage: 'validation (ItemValidator.accept: hand-written fast checks, zod only for an item they cannot vouch for) + duplicate-id set', ms: x.validate - x.parse },
      { where: 'stream', stage: 'SHA-256 (DigestStream, 256 KB writes)', ms: x.sha },
      { where: 'stream', stage: 'diagnose + aggregate deltas + record JSON + pack parts + build INSERTs (D1 stubbed)', ms: x['stream-stub'] - x.validate },
      { where: 'stream', stage: 'D1 writes of the item parts (local D1: SQLite in workerd)', ms: x['stream-d1'] - x['stream-stub'] },
      { where: 'queue', stage: 'submit: R2 multipart upload, 8 MiB parts (local R2 simulator)', ms: x['r2-put'] },
      { where: 'queue', stage: 'consumer: R2 read, minus split from memory (the R2 part)', ms: x['r2-read'] - x.split },
      { where: 'queue', stage: 'consumer: split and JSON.parse again (the submit did them once)', ms: x.parse },
    ];
    const wallRows = rowsOf(ms);
    const cpuRows = rowsOf(cpu);
    const rows = wallRows.map((r, i) => ({ ...r, cpuMs: Math.max(0, cpuRows[i].ms) }));
    return { ms, cpu, rows };
  } finally {
    await w.dispose();
  }
}
