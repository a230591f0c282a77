// The invariants the fuzz suite (issue 12) checks after every request: never a 5xx; every 4xx
// in the error shape with a message that names the field (or the line / body); a refused
// request leaves storage as it was; an accepted one leaves every counter equal to a recount
// of the stored items.
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { api } from '../helpers.ts';
import { storedRecords } from '../labels/webhooks-helpers.ts';
import { r2Keys } from '../reference.ts';

/** Every table a request may write (the seeded catalogue tables are left out). */
const WATCHED = [
  'api_keys', 'vendors', 'intervention_overrides', 'intervention_audit', 'intervention_records',
  'model_versions', 'slices', 'slice_commits', 'item_chunks', 'item_overlays', 'aggregates', 'slice_aggregates',
  'webhook_deliveries', 'submitted_votes', 'votes', 'pending_labels', 'probe_jobs', 'dead_letters',
];

let statements: D1PreparedStatement[] | null = null;

/** Per table: row count, total length of every value and total of every number. Cheap enough
 *  to take twice per request over thousands of runs, and any insert or rewrite moves it. */
async function fingerprintStatements(): Promise<D1PreparedStatement[]> {
  if (statements) return statements;
  const out: D1PreparedStatement[] = [];
  for (const t of WATCHED) {
    const { results } = await env.DB.prepare(`SELECT name FROM pragma_table_info('${t}')`).all<{ name: string }>();
    expect(results.length, `table ${t}`).toBeGreaterThan(0);
    const len = results.map((c) => `length(quote("${c.name}"))`).join(' + ');
    const num = results.map((c) => `(CASE WHEN typeof("${c.name}") IN ('integer', 'real') THEN "${c.name}" ELSE 0 END)`).join(' + ');
    out.push(env.DB.prepare(`SELECT '${t}' AS t, count(*) AS n, total(${len}) AS len, total(${num}) AS num FROM ${t}`));
  }
  return (statements = out);
}

export async function fingerprint(): Promise<string> {
  const res = await env.DB.batch(await fingerprintStatements());
  return JSON.stringify({ tables: res.map((r) => r.results[0]), r2: await r2Keys() });
}

type Res = { status: number; data: any };

export function expectNo5xx(r: Res, what: string) {
  expect(r.status, `${what}: ${JSON.stringify(r.data)?.slice(0, 500)}`).toBeLessThan(500);
}

/**
 * A refusal: a 4xx in the shape {"error": {code, message, details?}} whose message contains one
 * of `names` (the field path, the line, or "body"). `details` is optional in ErrorSchema.
 */
export function expectRefusal(r: Res, what: string, names: string[], status?: number | number[]) {
  const ctx = `${what}: ${r.status} ${JSON.stringify(r.data)?.slice(0, 500)}`;
  expect(r.status, ctx).toBeGreaterThanOrEqual(400);
  expect(r.status, ctx).toBeLessThan(500);
  if (status !== undefined) expect([status].flat(), ctx).toContain(r.status);
  const e = r.data?.error;
  expect(typeof e?.code, ctx).toBe('string');
  expect(typeof e?.message, ctx).toBe('string');
  expect(e.message.length, ctx).toBeGreaterThan(0);
  expect(names.some((n) => e.message.includes(n)), `${ctx}: the message names none of ${JSON.stringify(names)}`).toBe(true);
}

/** The scorecard of (region, model, version) counts exactly what its stored items recount to. */
export async function expectScorecardMatchesStore(region: string, modelId: string, version: string) {
  const { results } = await env.DB.prepare(
    `SELECT pk FROM slices WHERE region = ? AND model_id = ? AND model_version = ? AND status IN ('complete', 'probing')`,
  ).bind(region, modelId, version).all<{ pk: number }>();
  const tally = () => ({ items: 0, failures: 0, excluded: 0, pending: 0 });
  const all = { ...tally(), outcomes: { tp: 0, tn: 0, fp: 0, fn: 0 } };
  const bySig: Record<string, number> = {};
  const byPolicy: Record<string, ReturnType<typeof tally>> = {};
  for (const { pk } of results) {
    for (const rec of (await storedRecords(pk)).values()) {
      const p = (byPolicy[rec.i.policy] ??= tally());
      for (const t of [all, p]) {
        t.items++;
        if (rec.d.outcome === 'pending') t.pending++;
        if (rec.d.failure) t.failures++;
        if (rec.d.excluded) t.excluded++;
      }
      if (rec.d.outcome !== 'pending') all.outcomes[rec.d.outcome.toLowerCase() as 'tp']++;
      if (rec.d.failure && rec.d.primary) bySig[rec.d.primary] = (bySig[rec.d.primary] ?? 0) + 1;
    }
  }
  const r = await api(`/v1/regions/${region}/scorecard?model=${encodeURIComponent(modelId)}&version=${encodeURIComponent(version)}`);
  if (!results.length) return; // no stored slice of this version yet: nothing to recount
  expect(r.status, JSON.stringify(r.data)).toBe(200);
  const sc = r.data;
  expect({ items: sc.items, failures: sc.failures, excluded: sc.excluded, pending: sc.pending, outcomes: sc.outcomes })
    .toEqual(all);
  expect(Object.fromEntries(sc.by_signature.map((s: { code: string; count: number }) => [s.code, s.count]))).toEqual(bySig);
  expect(Object.fromEntries(sc.by_policy.map((p: any) => [p.policy, { items: p.items, failures: p.failures, excluded: p.excluded, pending: p.pending }])))
    .toEqual(byPolicy);
}
