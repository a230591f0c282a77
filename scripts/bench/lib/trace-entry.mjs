// A bench-only entry module that wraps the real Worker (functions/index.ts) and records every D1
// statement a request runs (SQL, bound values, time to answer, rows) — for the breakdown
// of a request's D1 time. Only used on a restarted instance after the latency measurements,
// which run the plain bundle. GET /__bench/trace returns and clears the records. A batch is one
// record ('BATCH of N', timed as a whole) whose `members` list its statements (SQL, values, rows),
// so a reader can replay them one by one.
/** The wrapper around an already built bundle (so it runs exactly the code that was measured). */
export const traceEntry = (bundlePath) => `
import worker from ${JSON.stringify(bundlePath)};

type Member = { sql: string; args: unknown[]; rows: number };
type Rec = { sql: string; args: unknown[]; ms: number; rows: number; via: string; members?: Member[] };
const trace: Rec[] = [];

function rowsOf(r: unknown): number {
  if (r == null) return 0;
  if (Array.isArray(r)) return r.length;
  const x = r as { results?: unknown[] };
  return Array.isArray(x.results) ? x.results.length : 1;
}

function wrapStmt(inner: D1PreparedStatement, sql: string, args: unknown[] = []): D1PreparedStatement {
  const timed = (via: string) => async (...a: unknown[]) => {
    const t = Date.now();
    const r = await (inner as any)[via](...a);
    trace.push({ sql, args, ms: Date.now() - t, rows: rowsOf(r), via });
    return r;
  };
  return { __inner: inner, __sql: sql, __args: args, bind: (...a: unknown[]) => wrapStmt(inner.bind(...a), sql, a), first: timed('first'), all: timed('all'), run: timed('run'), raw: timed('raw') } as unknown as D1PreparedStatement;
}

function wrapDb(db: D1Database): D1Database {
  return new Proxy(db, {
    get(t, p) {
      if (p === 'prepare') return (sql: string) => wrapStmt(t.prepare(sql), sql);
      if (p === 'batch') return async (stmts: any[]) => {
        const start = Date.now();
        const r = await t.batch(stmts.map((s) => s.__inner ?? s));
        const members = stmts.map((s, i) => ({ sql: s.__sql ?? '?', args: s.__args ?? [], rows: rowsOf(r[i]) }));
        trace.push({ sql: 'BATCH of ' + stmts.length, args: [], ms: Date.now() - start, rows: r.length, via: 'batch', members });
        return r;
      };
      const v = (t as any)[p];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

export default {
  async fetch(req: Request, env: any, ctx: ExecutionContext) {
    if (new URL(req.url).pathname === '/__bench/trace') return Response.json(trace.splice(0));
    return (worker as any).fetch(req, { ...env, DB: wrapDb(env.DB) }, ctx);
  },
  queue: (worker as any).queue,
};
`;
