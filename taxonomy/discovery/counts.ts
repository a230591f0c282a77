// Additive counts behind discovery (SPEC §11 design note): per population, per one-predicate
// and per two-predicate slice, the items and their failures by primary signature. Counts add
// over items and over slices, so they can be kept at commit, moved by label edits (sign −1 for
// the old diagnosis, +1 for the new) and merged per request instead of re-reading items.

/** n items; failures by primary signature code (their sum is the failure count). */
export interface Cell { n: number; errors: Record<string, number> }

export interface DiscoveryCounts {
  population: Cell;
  /** Key: `sliceKey(predicates)`; one and two predicates on distinct features. */
  cells: Map<string, Cell>;
}

export type Predicate = [feature: string, value: string];

export const emptyCounts = (): DiscoveryCounts => ({ population: { n: 0, errors: {} }, cells: new Map() });

/** A stable key for a conjunction: predicates ordered by feature, JSON so any value is safe. */
export function sliceKey(preds: readonly Predicate[]): string {
  const sorted = [...preds].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(sorted.flat());
}

export function predicatesOf(key: string): Predicate[] {
  const flat = JSON.parse(key) as string[];
  const out: Predicate[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

function bump(cell: Cell, primary: string | null, sign: number): void {
  cell.n += sign;
  if (primary !== null) {
    const v = (cell.errors[primary] ?? 0) + sign;
    if (v === 0) delete cell.errors[primary];
    else cell.errors[primary] = v;
  }
}

export function cellAt(counts: DiscoveryCounts, key: string): Cell {
  let c = counts.cells.get(key);
  if (!c) counts.cells.set(key, (c = { n: 0, errors: {} }));
  return c;
}

/**
 * Counts one item of the population (an item with an outcome whose primary is not LBL.AMBIG):
 * `primary` is its primary signature when it is a failure, else null. `sign` −1 takes it back.
 * Features must be on distinct names (as `featuresOf` gives them).
 */
export function tally(counts: DiscoveryCounts, features: readonly Predicate[], primary: string | null, sign: 1 | -1 = 1): void {
  bump(counts.population, primary, sign);
  // Keys built as sliceKey builds them (features by name, JSON), but each predicate encoded once:
  // an item adds k(k−1)/2 pairs, at ingest, for every item.
  const enc = [...features].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([f, v]) => `${JSON.stringify(f)},${JSON.stringify(v)}`);
  for (let i = 0; i < enc.length; i++) {
    bump(cellAt(counts, `[${enc[i]}]`), primary, sign);
    for (let j = i + 1; j < enc.length; j++) bump(cellAt(counts, `[${enc[i]},${enc[j]}]`), primary, sign);
  }
}

/** Adds `from` into `into` (for merging slices, regions or partitions). */
export function mergeCounts(into: DiscoveryCounts, from: DiscoveryCounts): DiscoveryCounts {
  addCell(into.population, from.population);
  for (const [k, c] of from.cells) addCell(cellAt(into, k), c);
  return into;
}

function addCell(into: Cell, from: Cell): void {
  into.n += from.n;
  for (const [code, v] of Object.entries(from.errors)) into.errors[code] = (into.errors[code] ?? 0) + v;
}

/**
 * Errors of a cell: every failure, or with `signature` those whose primary is that code or in
 * that family (`FUS.SUPPRESS` matches `FUS.SUPPRESS.audio`).
 */
export function errorsOf(cell: Cell, signature?: string): number {
  let e = 0;
  for (const [code, v] of Object.entries(cell.errors)) {
    if (signature === undefined || code === signature || code.startsWith(signature + '.')) e += v;
  }
  return e;
}

/**
 * Counts of a population split into partitions (a policy, a region …) kept apart, pooled with
 * each partition's predicates as features: a partition's population is its predicate's cell
 * and its one-predicate cells are the two-predicate cells with its predicate. So the store can
 * keep counts without `policy` (or `region`) and still answer slices on them; the parts'
 * own cells (whatever levels they carry) are summed as they are.
 */
export function pooledCounts(parts: ReadonlyArray<{ predicates: readonly Predicate[]; counts: DiscoveryCounts }>): DiscoveryCounts {
  const out = emptyCounts();
  for (const { predicates, counts } of parts) {
    mergeCounts(out, counts);
    for (let i = 0; i < predicates.length; i++) {
      addCell(cellAt(out, sliceKey([predicates[i]])), counts.population);
      for (let j = i + 1; j < predicates.length; j++) addCell(cellAt(out, sliceKey([predicates[i], predicates[j]])), counts.population);
      for (const [key, cell] of counts.cells) {
        const preds = predicatesOf(key);
        if (preds.length === 1) addCell(cellAt(out, sliceKey([predicates[i], preds[0]])), cell);
      }
    }
  }
  return out;
}
