// Votes that come inside submitted items (`label.votes`) are kept at the slice's commit,
// packed in submitted_votes (a few ~1 MB rows per slice: a row per vote in `votes` cost ~4.5 ms
// per 1,000 votes of ingest time), so label consensus (Dawid–Skene) and annotator quality see
// them beside the vendors' votes (SPEC §6: votes feed consensus and quality; labels/consensus.ts
// loadVotes). Their vendor is the one the item names (`label.source`, SPEC §3: "vendor id or
// 'internal'"), so per-vendor quality covers votes a team forwards inside its items; without a
// source it is SUBMITTED_VENDOR (no registered vendor can have that name). A vendor's webhook
// vote of the same annotator on the same item wins.
import { jsonRows } from '../lib/db.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import type { StoredVote } from '../../taxonomy/labels.ts';

export const SUBMITTED_VENDOR = '(submitted)';

// OR REPLACE: a retried commit writes the same rows again (the commit batch is atomic anyway).
const INSERT_SUBMITTED = 'INSERT OR REPLACE INTO submitted_votes (slice_pk, seq, region, slice_id, data) VALUES (?, ?, ?, ?, ?)';

/** A packed vote: [item_id, annotator, 0|1] or, when the item names its source, [..., vendor]. */
export type PackedVote = [string, string, number] | [string, string, number, string];

/** Collects a slice's submitted votes. */
export class SubmittedVotes {
  private readonly rows: PackedVote[] = [];
  /** label.source as submitted, for the (few) items whose parked events changed it. */
  private readonly submittedSource = new Map<string, string | undefined>();

  /** Call before parked events apply to `item` (they may set label.source to their vendor). */
  keepSource(item: EvalItem): void {
    this.submittedSource.set(item.item_id, item.label?.source);
  }

  add(item: EvalItem): void {
    const votes = item.label?.votes as StoredVote[] | undefined;
    if (!votes) return;
    const id = item.item_id;
    const vendor = this.submittedSource.has(id) ? this.submittedSource.get(id) : item.label?.source;
    // Votes a vendor delivered (parked, applied at ingest) carry their vendor: already stored.
    for (const v of votes) {
      if (v.vendor !== undefined) continue;
      this.rows.push(vendor ? [id, v.annotator, v.violating ? 1 : 0, vendor] : [id, v.annotator, v.violating ? 1 : 0]);
    }
  }

  get size() { return this.rows.length; }

  /** The inserts, for the slice's commit batch. */
  statements(d1: D1Database, slice: { region: string; sliceId: string; pk: number }): D1PreparedStatement[] {
    return jsonRows(this.rows).map((json, seq) => d1.prepare(INSERT_SUBMITTED).bind(slice.pk, seq, slice.region, slice.sliceId, json));
  }
}
