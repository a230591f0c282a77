// The region catalogue: the one place that checks region codes against it.
import { ApiError } from '../lib/errors.ts';

/** 404 unknown_region unless `region` is in the catalogue (a path parameter). */
export async function assertRegion(d1: D1Database, region: string): Promise<void> {
  const r = await d1.prepare('SELECT 1 AS ok FROM regions WHERE code = ?').bind(region).first();
  if (!r) throw new ApiError(404, 'unknown_region', `region: unknown region '${region}'`, { field: 'region' });
}

/** 400 naming `field` unless every code of `regions` is in the catalogue (a list in a body; '*'
 *  is the caller's to handle). One JSON parameter: a list may be longer than D1's 100 bound
 *  parameters. */
export async function assertRegions(d1: D1Database, regions: readonly string[], field: string): Promise<void> {
  const { results } = await d1.prepare('SELECT code FROM regions WHERE code IN (SELECT value FROM json_each(?))')
    .bind(JSON.stringify(regions)).all<{ code: string }>();
  const known = new Set(results.map((r) => r.code));
  const unknown = regions.filter((r) => !known.has(r));
  if (unknown.length) throw new ApiError(400, 'invalid_request', `${field}: unknown region(s) ${unknown.join(', ')}`, { field });
}

// Regions change only with a migration (a deploy, i.e. new isolates): loaded once per isolate.
let known: Promise<ReadonlySet<string>> | null = null;

/** Every region code, read from D1 once per isolate (hot paths: webhook events). */
export function regionSet(d1: D1Database): Promise<ReadonlySet<string>> {
  if (!known) {
    known = d1.prepare('SELECT code FROM regions').all<{ code: string }>().then((r) => new Set(r.results.map((x) => x.code)));
    known.catch(() => { known = null; }); // a failed read is retried by the next caller
  }
  return known;
}
