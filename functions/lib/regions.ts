// Region codes: which of a list are unknown (one JSON parameter, so any list size binds — D1
// allows only 100 parameters), and the whole set held per isolate for hot paths.

/** The codes of `codes` that the regions table does not hold, in the order given. */
export async function unknownRegions(d1: D1Database, codes: readonly string[]): Promise<string[]> {
  if (!codes.length) return [];
  const { results } = await d1.prepare('SELECT j.value AS code FROM json_each(?) AS j WHERE j.value NOT IN (SELECT code FROM regions) ORDER BY j.key')
    .bind(JSON.stringify(codes)).all<{ code: string }>();
  return results.map((r) => r.code);
}

// Regions change only with a migration (a deploy, i.e. new isolates): loaded once per isolate.
let known: Promise<ReadonlySet<string>> | null = null;

/** Every region code, read from D1 once per isolate. */
export function regionSet(d1: D1Database): Promise<ReadonlySet<string>> {
  if (!known) {
    known = d1.prepare('SELECT code FROM regions').all<{ code: string }>().then((r) => new Set(r.results.map((x) => x.code)));
    known.catch(() => { known = null; }); // a failed read is retried by the next caller
  }
  return known;
}
