// A cell of counters being added up in memory (AggregateDelta's per policy, the operating
// counters'). Values are boxed so that adding to an existing counter is one hash lookup, not a
// get and a set: ingest adds ~20 counters per item.
export type Tally = Map<string, { v: number }>;

export function bump(t: Tally, key: string, v: number): void {
  const box = t.get(key);
  if (box) box.v += v;
  else t.set(key, { v });
}
