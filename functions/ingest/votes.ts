// [labels] Votes that come inside submitted items (`label.votes`) join the votes table at the
// slice's commit, so label consensus (Dawid–Skene) and annotator quality see them beside the
// vendors' votes (SPEC §6: votes feed consensus and quality). Their vendor is SUBMITTED_VENDOR
// (no registered vendor can have that name) and their time the slice's claim; a vendor's vote
// of the same annotator on the same item is kept (it was applied to the item already).
import { jsonRows } from '../labels/store.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import type { StoredVote } from '../../taxonomy/labels.ts';

export const SUBMITTED_VENDOR = '(submitted)';

const INSERT_SUBMITTED = `INSERT INTO votes (region, slice_id, item_id, annotator, vendor, violating, labelled_at, delivery_id)
  SELECT ?1, ?2, j.value ->> 0, j.value ->> 1, ?3, j.value ->> 2, ?4, ?5 FROM json_each(?6) AS j WHERE true
  ON CONFLICT (region, slice_id, item_id, annotator) DO NOTHING`;

/** Collects a slice's submitted votes: [item_id, annotator, 0|1]. */
export class SubmittedVotes {
  private readonly rows: Array<[string, string, number]> = [];

  add(item: EvalItem): void {
    const votes = item.label?.votes as StoredVote[] | undefined;
    if (!votes) return;
    // Votes a vendor delivered (parked, applied at ingest) carry their vendor: already stored.
    for (const v of votes) if (v.vendor === undefined) this.rows.push([item.item_id, v.annotator, v.violating ? 1 : 0]);
  }

  get size() { return this.rows.length; }

  /** The inserts, for the slice's commit batch. */
  statements(d1: D1Database, slice: { region: string; sliceId: string; pk: number; at: string }): D1PreparedStatement[] {
    return jsonRows(this.rows).map((json) => d1.prepare(INSERT_SUBMITTED)
      .bind(slice.region, slice.sliceId, SUBMITTED_VENDOR, slice.at, `slice:${slice.pk}`, json));
  }
}
