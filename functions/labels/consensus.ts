// Label consensus and annotator quality over the votes table (SPEC §6): binary Dawid–Skene
// (violating or not) over every vote, then
// - per-annotator / per-vendor quality: accuracy (expected share of right votes: the mean
//   posterior of the label given), agreement with the consensus label, and the confusion matrix
//   estimated from the posteriors (rows: true class not violating / violating; columns: the vote);
// - POST /v1/admin/consensus: each voted item's label becomes the consensus (unless adjudicated)
//   and its posterior is stored with it, so LBL.AMBIG reads "posterior of the label < 0.80";
//   items are re-diagnosed and every counter moves with them. Bounded: `limit` items per call
//   (whole buckets), resumable with `cursor`; idempotent (the same votes give the same result,
//   and unchanged records are not rewritten).
import { dawidSkene, type DawidSkeneResult, type LabelVote } from '../../taxonomy/consensus.ts';
import { applyConsensusLabel } from '../../taxonomy/labels.ts';
import { bucketOf } from '../store/items/writer.ts';
import { chunk } from '../lib/db.ts';
import { planLabelEdits, type OnWritten } from './apply.ts';
import { strandedPending } from '../store/pending-labels.ts';
import { SUBMITTED_VENDOR, type PackedVote } from '../store/submitted-votes.ts';
import { planSliceEdit } from '../store/items/slice-edit.ts';
import { findSlices, rediagnose, sliceKey, type Editor, type ItemStore, type SliceRef, type WrittenRecord } from '../store/items/editor.ts';
import { withRetry } from '../store/guards.ts';

export interface VoteRow { region: string; slice_id: string; item_id: string; annotator: string; vendor: string; violating: number }

const PAGE = 20_000;

/** Every vote, paged by rowid: the vendors' (votes), then those inside submitted items
 *  (submitted_votes, under the item's label.source: see store/submitted-votes.ts) but where a
 *  vendor's webhook vote of the same annotator on the same item exists. */
export async function loadVotes(d1: D1Database): Promise<VoteRow[]> {
  const out: VoteRow[] = [];
  for (let after = -1; ;) {
    const { results } = await d1.prepare(
      'SELECT rowid AS r, region, slice_id, item_id, annotator, vendor, violating FROM votes WHERE rowid > ? ORDER BY rowid LIMIT ?',
    ).bind(after, PAGE).all<VoteRow & { r: number }>();
    for (const x of results) out.push(x);
    if (results.length < PAGE) break;
    after = results[results.length - 1].r;
  }
  const byVendor = new Set(out.map((v) => `${itemKey(v)}\u0000${v.annotator}`));
  for (let after = -1; ;) {
    const { results } = await d1.prepare('SELECT rowid AS r, region, slice_id, data FROM submitted_votes WHERE rowid > ? ORDER BY rowid LIMIT ?')
      .bind(after, SUBMITTED_PAGE).all<{ r: number; region: string; slice_id: string; data: string }>();
    for (const row of results) {
      for (const [item_id, annotator, violating, vendor] of JSON.parse(row.data) as PackedVote[]) {
        const v: VoteRow = { region: row.region, slice_id: row.slice_id, item_id, annotator, vendor: vendor ?? SUBMITTED_VENDOR, violating };
        if (!byVendor.has(`${itemKey(v)}\u0000${annotator}`)) out.push(v);
      }
    }
    if (results.length < SUBMITTED_PAGE) return out;
    after = results[results.length - 1].r;
  }
}

/** submitted_votes rows per read (each up to ~1 MB of JSON). */
const SUBMITTED_PAGE = 8;

const itemKey = (v: Pick<VoteRow, 'region' | 'slice_id' | 'item_id'>) => `${v.region}\u0000${v.slice_id}\u0000${v.item_id}`;

export interface Consensus {
  rows: VoteRow[];
  ds: DawidSkeneResult<boolean>;
  /** P(violating) per item key. */
  p: Map<string, number>;
}

export async function runDawidSkene(d1: D1Database): Promise<Consensus> {
  const rows = await loadVotes(d1);
  const votes: LabelVote<boolean>[] = rows.map((r) => ({ item: itemKey(r), annotator: r.annotator, label: r.violating === 1 }));
  const ds = dawidSkene(votes, { classes: [false, true] });
  return { rows, ds, p: new Map(ds.items.map((x) => [x.item, x.posterior[1]])) };
}

export function consensusInfo(c: Consensus) {
  return {
    method: 'dawid-skene' as const, classes: ['not_violating', 'violating'],
    votes: c.rows.length, items: c.ds.items.length, annotators: c.ds.annotators.length,
    prevalence: c.ds.priors[1], iterations: c.ds.iterations, converged: c.ds.converged,
  };
}

export interface QualityStats {
  votes: number;
  items: number;
  /** Mean posterior of the label given: the expected share of right votes. */
  accuracy: number | null;
  /** Share of votes equal to the consensus label (ties of the posterior count as agreeing). */
  agreement: number | null;
  /** P(vote | true class): rows not violating / violating, columns not violating / violating; null rows without mass. */
  confusion: Array<[number, number] | null>;
  sensitivity: number | null;
  specificity: number | null;
}

export function qualityOf(c: Consensus, rows: readonly VoteRow[]): QualityStats {
  const soft = [[0, 0], [0, 0]];
  let acc = 0;
  let agree = 0;
  const items = new Set<string>();
  for (const r of rows) {
    const key = itemKey(r);
    items.add(key);
    const p = c.p.get(key)!;
    const g = r.violating === 1 ? 1 : 0;
    soft[0][g] += 1 - p;
    soft[1][g] += p;
    acc += g ? p : 1 - p;
    if (p === 0.5 || (p > 0.5) === (g === 1)) agree++;
  }
  const n = rows.length;
  const row = (k: 0 | 1): [number, number] | null => {
    const s = soft[k][0] + soft[k][1];
    return s > 0 ? [soft[k][0] / s, soft[k][1] / s] : null;
  };
  const confusion = [row(0), row(1)];
  return {
    votes: n, items: items.size,
    accuracy: n ? acc / n : null, agreement: n ? agree / n : null, confusion,
    sensitivity: confusion[1] ? confusion[1][1] : null, specificity: confusion[0] ? confusion[0][0] : null,
  };
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) { const k = key(x); const l = m.get(k); if (l) l.push(x); else m.set(k, [x]); }
  return m;
}

export function vendorQuality(c: Consensus, vendor: string) {
  const mine = c.rows.filter((r) => r.vendor === vendor);
  const annotators = [...groupBy(mine, (r) => r.annotator)]
    .map(([annotator, rows]) => ({ annotator, ...qualityOf(c, rows) }))
    .sort((a, b) => b.votes - a.votes || a.annotator.localeCompare(b.annotator));
  return { vendor, consensus: consensusInfo(c), summary: { annotators: annotators.length, ...qualityOf(c, mine) }, annotators };
}

export function annotatorQuality(c: Consensus, annotator: string) {
  const mine = c.rows.filter((r) => r.annotator === annotator);
  if (mine.length === 0) return null;
  const vendors = [...groupBy(mine, (r) => r.vendor)].map(([vendor, rows]) => ({ vendor, ...qualityOf(c, rows) }))
    .sort((a, b) => b.votes - a.votes || a.vendor.localeCompare(b.vendor));
  return { annotator, consensus: consensusInfo(c), ...qualityOf(c, mine), vendors };
}

// ---------------------------------------------------------------------------------------------

export const CONSENSUS_LIMITS = { defaultItems: 5_000, maxItems: 50_000, bucketsPerBatch: 50, stranded: 1_000 } as const;

interface Group { slice: SliceRef; bucket: number; items: Map<string, number> }

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Parked events whose slice has arrived since (parked while it was processing): applied now.
 *  Runs after every ingest commit (for that slice), from the cron, and before consensus. */
export async function drainStranded(store: ItemStore, slice?: { region: string; slice_id: string }, onWritten?: OnWritten): Promise<{ applied: number; parked: number }> {
  const d1 = store.DB;
  const rows = await strandedPending(d1, CONSENSUS_LIMITS.stranded, slice);
  if (rows.length === 0) return { applied: 0, parked: 0 };
  return withRetry(async () => {
    // The stranded events as one unit (as if one delivery had brought them all).
    const plan = await planLabelEdits(store, [rows]);
    const ids = plan.outcomes[0].applied.map((i) => rows[i].id);
    const deletes = chunk(ids, 100).map((part) => d1.prepare(`DELETE FROM pending_labels WHERE id IN (${part.map(() => '?').join(',')})`).bind(...part));
    try {
      if (plan.statements.length || deletes.length) await d1.batch([...plan.statements, ...deletes]);
      plan.committed();
      await afterCommit(onWritten, plan.written);
      return { applied: ids.length, parked: plan.outcomes[0].parked.length };
    } catch (e) {
      plan.failed();
      throw e;
    }
  });
}

/** What a committed batch wrote goes to `onWritten` (the item partitions); its failure never
 *  undoes or repeats the commit — the cron's syncStale catches a partition up. */
async function afterCommit(onWritten: OnWritten | undefined, written: WrittenRecord[]): Promise<void> {
  if (!onWritten || !written.length) return;
  try {
    await onWritten(written);
  } catch (e) {
    console.error(`after a label edit: ${(e as Error).message}`);
  }
}

/** A consensus run over the voted items; `onWritten` is told the records each batch wrote. */
export async function runConsensus(store: ItemStore, opts: { limit?: number; cursor?: number } = {}, onWritten?: OnWritten) {
  const d1 = store.DB;
  const limit = Math.min(opts.limit ?? CONSENSUS_LIMITS.defaultItems, CONSENSUS_LIMITS.maxItems);
  const stranded = await drainStranded(store, undefined, onWritten);
  const c = await runDawidSkene(d1);

  // Voted items of stored slices, grouped by (slice, bucket) in a stable order: the cursor
  // is an index into this list.
  const byItemSlice = groupBy(c.ds.items, (x) => { const [region, sliceId] = x.item.split('\u0000'); return sliceKey(region, sliceId); });
  const slices = await findSlices(d1, [...byItemSlice.keys()].map((k) => { const [region, slice_id] = k.split('\u0000'); return { region, slice_id }; }));
  const groups: Group[] = [];
  let unstored = 0;
  for (const [key, items] of byItemSlice) {
    const slice = slices.get(key);
    if (!slice) { unstored += items.length; continue; }
    const byBucket = new Map<number, Map<string, number>>();
    for (const x of items) {
      const itemId = x.item.split('\u0000')[2];
      const b = bucketOf(itemId, slice.buckets);
      let m = byBucket.get(b);
      if (!m) byBucket.set(b, (m = new Map()));
      m.set(itemId, round6(x.posterior[1]));
    }
    for (const [bucket, m] of byBucket) groups.push({ slice, bucket, items: m });
  }
  groups.sort((a, b) => a.slice.pk - b.slice.pk || a.bucket - b.bucket);

  const start = Math.max(0, Math.min(opts.cursor ?? 0, groups.length));
  let end = start;
  let examined = 0;
  while (end < groups.length && (examined === 0 || examined + groups[end].items.size <= limit)) examined += groups[end++].items.size;

  let changed = 0, relabelled = 0, rediagnosed = 0, becameAmbiguous = 0, clearedAmbiguous = 0;
  // Batches: consecutive groups of one slice, at most bucketsPerBatch buckets each.
  const batches: Group[][] = [];
  for (let i = start; i < end; i++) {
    const last = batches[batches.length - 1];
    if (last && last[0].slice.pk === groups[i].slice.pk && last.length < CONSENSUS_LIMITS.bucketsPerBatch) last.push(groups[i]);
    else batches.push([groups[i]]);
  }
  for (const batch of batches) {
    const slice = batch[0].slice;
    await withRetry(async () => {
      let rel = 0, became = 0, cleared = 0;
      const editors = new Map<string, Editor>();
      for (const g of batch) {
        for (const [itemId, p] of g.items) {
          editors.set(itemId, (rec) => {
            const r = applyConsensusLabel(rec.i, p);
            if (!r.changed && rec.c === p) return null;
            const next = rediagnose(rec, r.item, p);
            if (r.labelChanged) rel++;
            const was = rec.d.primary === 'LBL.AMBIG';
            const is = next.d.primary === 'LBL.AMBIG';
            if (is && !was) became++;
            if (was && !is) cleared++;
            return next;
          });
        }
      }
      // Read from D1, not the item cache (a run touches many items once); edited items leave it.
      const edit = await planSliceEdit(store, slice, editors);
      try {
        if (edit.statements.length) await d1.batch(edit.statements);
        edit.committed();
        await afterCommit(onWritten, edit.written);
        unstored += editors.size - edit.found.size; // voted items their slice does not hold (parked)
        changed += edit.changed; rediagnosed += edit.rediagnosed; relabelled += rel; becameAmbiguous += became; clearedAmbiguous += cleared;
      } catch (e) {
        edit.failed();
        throw e;
      }
    });
  }
  let remaining = 0;
  for (let i = end; i < groups.length; i++) remaining += groups[i].items.size;
  return {
    consensus: consensusInfo(c),
    pending: stranded,
    examined, items_changed: changed, relabelled, rediagnosed,
    ambiguous: { became: becameAmbiguous, cleared: clearedAmbiguous },
    unstored_items: unstored,
    remaining, next_cursor: end < groups.length ? end : null,
    limits: { items_per_call: limit },
  };
}
