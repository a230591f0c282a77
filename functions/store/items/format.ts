// The stored form of item parts (item_chunks.data), read and written here only.
//
// A record whose diagnosis is the common one — not a failure, no signature, not excluded —
// stores just its outcome (`"d":"TN"`) instead of the whole object: ~75 bytes less for most
// items, 14 % of what a slice's parts hold, and D1's write cost follows the bytes.
//
// A part is the JSON array of its records with `"` and `'` exchanged. D1's wire format is JSON:
// every text parameter is escaped on its way to the database and unescaped there, and a part of
// JSON has ~40 `"` per record, each escaped and unescaped on every write — a third of D1's cost
// per byte of a part. With the two characters exchanged a part has almost none. The exchange
// is its own inverse; parts written before it (plain JSON: `[{"d":…`) are read as they are.
import type { Diagnosis, EvalItem, SegmentFacts } from '../../../taxonomy/types.ts';

/** A stored record: the diagnosis, the effective threshold, the item as submitted (labels and
 *  probes updated in place later), and for live items the neighbouring segments' facts seen at
 *  ingest, so a re-diagnosis can evaluate TMP.FLIP without reading the stream again.
 *  `c` (labels): P(violating) from the last label-consensus run (Dawid–Skene), absent before one
 *  and dropped when the item's votes change; a re-diagnosis passes the posterior of the item's
 *  current label as ctx.consensusPosterior (see editor.ts rediagnose).
 *  `s` (live items): the item ids claiming segment n−1 (`p`) and n+1 (`x`) of the stream, as
 *  seen when the item was stored, so a label change of one can re-evaluate the other's
 *  TMP.FLIP (neighbours.ts). */
export interface StoredItem {
  d: Diagnosis; t: number; i: EvalItem; n?: { prev?: SegmentFacts; next?: SegmentFacts }; c?: number;
  s?: NeighbourIds;
}

export interface NeighbourIds { p?: string[]; x?: string[] }


export const plainDiagnosis = (outcome: Diagnosis['outcome']): Diagnosis =>
  ({ outcome, failure: false, primary: null, secondary: [], excluded: false });

/** `s` with every `"` turned into `'` and every `'` into `"`. */
export function swapQuotes(s: string): string {
  const pieces = s.split('"');
  for (let i = 0; i < pieces.length; i++) if (pieces[i].includes("'")) pieces[i] = pieces[i].replaceAll("'", '"');
  return pieces.join("'");
}

/** swapQuotes on UTF-8 bytes, in place (both are ASCII: never inside a multi-byte sequence). */
export function swapQuoteBytes(b: Uint8Array, len: number): void {
  for (let i = 0; i < len; i++) {
    const c = b[i];
    if (c === 0x22) b[i] = 0x27;
    else if (c === 0x27) b[i] = 0x22;
  }
}

/** A part's stored text from its records' JSON texts (the writer's path works on bytes: writer.ts). */
export const partText = (records: readonly unknown[]): string => swapQuotes(JSON.stringify(records));

/** What `instr` looks for to find the part holding `itemId`: its JSON string, as stored now and
 *  as stored by writers before the exchange. */
export const partNeedles = (itemId: string): [string, string] => {
  const json = JSON.stringify(itemId);
  return [swapQuotes(json), json];
};

/** The records of one part (item_chunks.data), every diagnosis whole. A record always starts
 *  `{` and a key, so the third character tells the exchanged form (`'`) from plain JSON. */
export function parseRecords(data: string): StoredItem[] {
  const text = data.charCodeAt(2) === 0x27 ? swapQuotes(data) : data;
  const recs = JSON.parse(text) as Array<Omit<StoredItem, 'd'> & { d: Diagnosis | Diagnosis['outcome'] }>;
  for (const r of recs) if (typeof r.d === 'string') r.d = plainDiagnosis(r.d);
  return recs as StoredItem[];
}

/** Set by the probe consumer on an item the GPU backend cannot score (functions/probes/isolate.ts);
 *  refused on input (ingest/validate.ts). */
export const PROBE_ERROR_FIELD = 'probe_error';
