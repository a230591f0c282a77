// Reading stored item records. A record whose diagnosis is the common one — not a failure, no
// signature, not excluded — stores just its outcome (`"d":"TN"`) instead of the whole object:
// ~75 bytes less for most items, 14 % of what a slice's parts hold, and D1's write cost follows
// the bytes. Every reader of item parts goes through parseRecords.
import type { Diagnosis } from '../../taxonomy/types.ts';
import type { StoredItem } from './item-store.ts';

export const plainDiagnosis = (outcome: Diagnosis['outcome']): Diagnosis =>
  ({ outcome, failure: false, primary: null, secondary: [], excluded: false });

/** The records of one part (item_chunks.data), every diagnosis whole. */
export function parseRecords(data: string): StoredItem[] {
  const recs = JSON.parse(data) as Array<Omit<StoredItem, 'd'> & { d: Diagnosis | Diagnosis['outcome'] }>;
  for (const r of recs) if (typeof r.d === 'string') r.d = plainDiagnosis(r.d);
  return recs as StoredItem[];
}
