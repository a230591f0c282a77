// The feature filters of the items route (SPEC §10/§11): the query parameters a discovered
// slice's items_url carries — `surface`, `language`, `label_source`, `score_band`, `evidence` and
// `attr.<key>` — checked and turned into the partition's (feature, value) pairs. The partition
// compares them with the item's features.ts values, so the listing is the slice discovery counted.
import { ATTR_PREFIX, ATTR_VALUE_CHARS, SCORE_BANDS } from '../../taxonomy/discovery/features.ts';
import { badRequest } from '../lib/errors.ts';

/** The fixed features filterable here (`policy` is the route's own filter). */
export const FEATURE_FILTERS = ['surface', 'language', 'label_source', 'score_band', 'evidence'] as const;
/** Attribute filters per request: each one is a scan of the cell's rows. */
export const MAX_ATTR_FILTERS = 4;
const ATTR_KEY_CHARS = 64;

const bad = (field: string, why: string) => badRequest(`${field}: ${why}`, { field });

/** The feature filters among the query parameters (`query`: each name's first value), in the
 *  order fixed features then attributes by name; 400 naming a bad one. */
export function featureFilters(query: Record<string, string | undefined>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const attrs = Object.keys(query).filter((k) => k.startsWith(ATTR_PREFIX)).sort();
  if (attrs.length > MAX_ATTR_FILTERS) throw bad(attrs[MAX_ATTR_FILTERS], `at most ${MAX_ATTR_FILTERS} attr.<key> filters`);
  for (const name of [...FEATURE_FILTERS, ...attrs]) {
    const v = query[name];
    if (v === undefined) continue;
    if (v === '' || v.length > ATTR_VALUE_CHARS) throw bad(name, `1–${ATTR_VALUE_CHARS} characters`);
    const key = name.slice(ATTR_PREFIX.length);
    if (name.startsWith(ATTR_PREFIX) && (!key || key.length > ATTR_KEY_CHARS || key.includes('"'))) {
      throw bad(name, `an attribute key of 1–${ATTR_KEY_CHARS} characters without '"'`);
    }
    if (name === 'score_band' && !SCORE_BANDS.includes(v)) throw bad(name, `one of ${SCORE_BANDS.join(', ')}`);
    // Discovery's language is the primary subtag in lower case; pt-BR would match no item.
    if (name === 'language' && !/^[a-z0-9]+$/.test(v)) throw bad(name, `a primary language subtag in lower case ('pt', not '${v}')`);
    out.push([name, v]);
  }
  return out;
}
