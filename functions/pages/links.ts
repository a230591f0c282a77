// The URLs of the evidence pages (SPEC §10), built in one place so every count that links to
// its items (heatmap, region page) and the items page itself agree on the query names:
// /scorecards/{region}/items?model=&version=&policy=&signature=&outcome=&slice_id= (then any feature filters)
// and each item's diagnosis page /scorecards/{region}/slices/{slice}/items/{item}.

export type ItemOutcome = 'TP' | 'TN' | 'FP' | 'FN' | 'pending';

/** One cell of the items: region × model version, narrowed by the optional filters. */
export interface ItemsCell {
  region: string;
  model: string;
  version: string;
  policy?: string | null;
  /** A primary signature code or a family prefix (FUS.SUPPRESS matches FUS.SUPPRESS.audio). */
  signature?: string | null;
  outcome?: ItemOutcome | null;
  slice_id?: string | null;
  /** 'discovery': the items slice discovery counts (a slice's items). */
  population?: 'discovery' | null;
  /** Discovery features (SPEC §11) as the items route filters them: [['surface', 'short'], ['attr.tier', 'new']]. */
  features?: ReadonlyArray<readonly [string, string]>;
}

const enc = encodeURIComponent;

/** The items page of a cell: model and version always, the other filters when set, in one fixed order. */
export function itemsHref(cell: ItemsCell): string {
  const q: Array<[string, string]> = [['model', cell.model], ['version', cell.version]];
  for (const k of ['policy', 'signature', 'outcome', 'slice_id', 'population'] as const) {
    const v = cell[k];
    if (v) q.push([k, v]);
  }
  for (const [k, v] of cell.features ?? []) q.push([k, v]);
  return `/scorecards/${enc(cell.region)}/items?${q.map(([k, v]) => `${k}=${enc(v)}`).join('&')}`;
}

/** One item's diagnosis page. */
export const itemHref = (region: string, sliceId: string, itemId: string) =>
  `/scorecards/${enc(region)}/slices/${enc(sliceId)}/items/${enc(itemId)}`;
