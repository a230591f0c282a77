// What the item diagnosis page shows beside the item route's answer (item-diagnosis.ts): the
// catalogue text of every signature that fired (as GET /v1/signatures/{code} reads it), and the
// item's votes — who voted what, when, through which delivery.
//
// Label history: the store keeps the item's current label (overlay over the item store) and
// each annotator's latest vote (the votes table, with its delivery; the delivery ledger has when
// it arrived); an annotator's earlier votes and earlier labels are replaced, not kept.
import { familyOf, textForCode } from '../../taxonomy/signatures/index.ts';
import type { StoredVote } from '../../taxonomy/labels.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { SUBMITTED_VENDOR } from '../store/submitted-votes.ts';
import { signatureEntry } from './catalog.ts';

export interface SignatureText { code: string; family: string; description: string; rule: string }

/** The catalogue's description and rule of each code, worded for the code (modality filled in). */
export async function signatureTexts(d1: D1Database, codes: readonly string[]): Promise<Map<string, SignatureText>> {
  const families = [...new Set(codes.map(familyOf))];
  const entries = new Map(await Promise.all(families.map(async (f) => [f, await signatureEntry(d1, f)] as const)));
  const out = new Map<string, SignatureText>();
  for (const code of codes) {
    const e = entries.get(familyOf(code));
    if (e) out.set(code, { code, family: familyOf(code), description: textForCode(code, e.row.description), rule: textForCode(code, e.row.rule) });
  }
  return out;
}

export interface ItemVote {
  annotator: string; vendor: string; violating: boolean;
  labelled_at: string | null; delivery_id: string | null; received_at: string | null;
  evidence?: string[]; adversarial?: boolean;
}

type VoteRow = { annotator: string; vendor: string; violating: number; labelled_at: string; delivery_id: string; received_at: string | null };

/** The item's votes: vendors' (votes table, one per annotator, the latest) and those submitted with the item. */
export async function itemVotes(d1: D1Database, region: string, sliceId: string, item: EvalItem): Promise<ItemVote[]> {
  const { results } = await d1.prepare(
    `SELECT v.annotator, v.vendor, v.violating, v.labelled_at, v.delivery_id, d.received_at FROM votes v
     LEFT JOIN webhook_deliveries d ON d.vendor = v.vendor AND d.delivery_id = v.delivery_id
     WHERE v.region = ? AND v.slice_id = ? AND v.item_id = ?`,
  ).bind(region, sliceId, item.item_id).all<VoteRow>();
  const onItem = new Map(((item.label?.votes ?? []) as StoredVote[]).map((v) => [v.annotator, v]));
  const out: ItemVote[] = results.map((r) => {
    const v = onItem.get(r.annotator);
    return {
      annotator: r.annotator, vendor: r.vendor, violating: r.violating === 1, labelled_at: r.labelled_at, delivery_id: r.delivery_id, received_at: r.received_at,
      ...(v?.evidence ? { evidence: v.evidence } : {}), ...(v?.adversarial !== undefined ? { adversarial: v.adversarial } : {}),
    };
  });
  const seen = new Set(out.map((v) => v.annotator));
  for (const v of onItem.values()) {
    if (seen.has(v.annotator)) continue;
    out.push({
      annotator: v.annotator, vendor: v.vendor ?? SUBMITTED_VENDOR, violating: v.violating, labelled_at: v.labelled_at ?? null, delivery_id: null, received_at: null,
      ...(v.evidence ? { evidence: v.evidence } : {}), ...(v.adversarial !== undefined ? { adversarial: v.adversarial } : {}),
    });
  }
  return out.sort((a, b) => (a.labelled_at ?? '').localeCompare(b.labelled_at ?? '') || a.annotator.localeCompare(b.annotator));
}
