// The features slice discovery conditions on (SPEC §11). Array order is the order features are
// listed in a response; adding one = one entry here + one test. `attr.<key>` features come from
// the item's `attributes` and are not listed here: their keys are data, not code.
import type { EvalItem } from '../types.ts';

export interface FeatureDef {
  name: string;
  /** The item's value of this feature, or undefined when it has none (no predicate then). */
  of(item: EvalItem): string | undefined;
}

/** `prediction.score` in five bands; the last one closed: [0.8, 1]. */
export const SCORE_BANDS = Object.freeze(['[0,0.2)', '[0.2,0.4)', '[0.4,0.6)', '[0.6,0.8)', '[0.8,1]']);

export function scoreBand(score: number): string {
  // The 1e-9 keeps 0.6 (stored as 0.59999…) in its band; scores are in [0, 1] by validation.
  return SCORE_BANDS[Math.min(SCORE_BANDS.length - 1, Math.max(0, Math.floor(score * 5 + 1e-9)))];
}

// Per item at ingest: a language tag's subtag is memoised (few distinct tags, a regex split
// each), and evidence of one modality skips the copy, sort and join.
const LANGUAGE_MEMO_MAX = 1024;
const languages = new Map<string, string | undefined>();
function languageOf(tag: string): string | undefined {
  let v = languages.get(tag);
  if (v === undefined && !languages.has(tag)) {
    v = tag.split(/[-_]/)[0].toLowerCase() || undefined;
    if (languages.size < LANGUAGE_MEMO_MAX) languages.set(tag, v);
  }
  return v;
}

function evidenceOf(e: readonly unknown[] | undefined): string {
  if (!e || e.length === 0) return 'none';
  return (e.length === 1 ? String(e[0] ?? '') : [...e].sort().join('+')) || 'none';
}

export const FEATURES: readonly FeatureDef[] = Object.freeze([
  { name: 'policy', of: (i) => i.policy },
  { name: 'surface', of: (i) => i.surface },
  // Primary subtag, lower case: pt-BR and pt-PT are one language here.
  { name: 'language', of: (i) => (i.language ? languageOf(i.language) : undefined) },
  { name: 'label_source', of: (i) => (typeof i.label?.source === 'string' ? i.label.source : undefined) },
  { name: 'score_band', of: (i) => (typeof i.prediction?.score === 'number' ? scoreBand(i.prediction.score) : undefined) },
  {
    name: 'evidence',
    of: (i) => (i.label ? evidenceOf(i.label.evidence) : undefined),
  },
]);

export const ATTR_PREFIX = 'attr.';

/** Attribute values discovery uses: strings, booleans and integers (others are kept, not used). */
function attrValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return undefined;
}

/** Attribute keys one item contributes (the first by name) and the longest value used: they
 *  bound the cells one item adds (k keys → k(k−1)/2 pairs) whatever a client sends. */
export const ITEM_ATTR_KEYS = 32;
export const ATTR_VALUE_CHARS = 128;

/** Every (feature, value) of one item, fixed features first, then its attributes by key. */
export function featuresOf(item: EvalItem): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of FEATURES) {
    const v = f.of(item);
    if (v !== undefined) out.push([f.name, v]);
  }
  const attrs = item.attributes;
  if (attrs && typeof attrs === 'object' && !Array.isArray(attrs)) {
    let kept = 0;
    for (const key of Object.keys(attrs).sort()) {
      const v = attrValue((attrs as Record<string, unknown>)[key]);
      if (v === undefined || v.length > ATTR_VALUE_CHARS) continue;
      out.push([ATTR_PREFIX + key, v]);
      if (++kept === ITEM_ATTR_KEYS) break;
    }
  }
  return out;
}
