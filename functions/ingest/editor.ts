// Changing stored items after ingest (a vendor's label, the GPU backend's prediction and
// probes): re-diagnose each changed item and plan, for ONE D1 batch, the rev-guarded part
// rewrites and every counter the change touches — region aggregates, slice aggregates and
// the slice's totals — as increments, so concurrent editors never overwrite each other.
import { diagnoseItem } from '../../taxonomy/diagnose.ts';
import { posteriorOfLabel } from '../../taxonomy/labels.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { AggregateDelta, itemMetrics } from './metrics.ts';
import { aggregateStatements } from './commit.ts';
import { bucketOf, rewritePartStatements, type StoredItem } from './item-store.ts';
import type { SliceRow } from './claim.ts';

interface LoadedPart { bucket: number; part: number; rev: number; parts: StoredItem[]; dirty: boolean }

const SLICE_AGG_ROWS = 25;

export class ItemEditor {
  readonly delta = new AggregateDelta();
  private readonly buckets = new Map<number, LoadedPart[]>();
  changed = 0;

  constructor(private readonly d1: D1Database, readonly slice: Pick<SliceRow, 'pk' | 'region' | 'model_id' | 'model_version' | 'buckets'>) {}

  private async bucket(b: number): Promise<LoadedPart[]> {
    let parts = this.buckets.get(b);
    if (!parts) {
      const { results } = await this.d1.prepare('SELECT part, rev, data FROM item_chunks WHERE slice_pk = ? AND bucket = ? ORDER BY part')
        .bind(this.slice.pk, b).all<{ part: number; rev: number; data: string }>();
      parts = results.map((r) => ({ bucket: b, part: r.part, rev: r.rev, parts: JSON.parse(r.data) as StoredItem[], dirty: false }));
      this.buckets.set(b, parts);
    }
    return parts;
  }

  /** The stored record of an item (as changed so far in this editor), or null. */
  async get(itemId: string): Promise<{ record: StoredItem; part: LoadedPart; index: number } | null> {
    for (const part of await this.bucket(bucketOf(itemId, this.slice.buckets))) {
      const index = part.parts.findIndex((r) => r.i.item_id === itemId);
      if (index >= 0) return { record: part.parts[index], part, index };
    }
    return null;
  }

  /** Applies `mutate` to the item and re-diagnoses it; false when the item is not stored. */
  async update(itemId: string, mutate: (item: EvalItem, record: StoredItem) => EvalItem): Promise<boolean> {
    const found = await this.get(itemId);
    if (!found) return false;
    const { record, part, index } = found;
    const item = mutate(structuredClone(record.i), record);
    // Keep a consensus posterior (set by label consensus) in force: a probe fill must not undo LBL.AMBIG.
    const d = diagnoseItem(item, { threshold: record.t, neighbours: record.n, consensusPosterior: posteriorOfLabel(item, record.c) });
    this.delta.add(record.i.policy, itemMetrics(record.i, record.d), -1);
    this.delta.add(item.policy, itemMetrics(item, d));
    part.parts[index] = { ...record, d, i: item };
    part.dirty = true;
    this.changed++;
    return true;
  }

  /** Everything to write, for one D1 batch (atomic); a stale part aborts the whole batch. */
  statements(): D1PreparedStatement[] {
    const out: D1PreparedStatement[] = [];
    for (const parts of this.buckets.values()) for (const p of parts) if (p.dirty) out.push(...rewritePartStatements(this.d1, this.slice.pk, p));
    out.push(...aggregateStatements(this.d1, { region: this.slice.region, modelId: this.slice.model_id, modelVersion: this.slice.model_version }, this.delta));
    const rows = this.delta.rows();
    for (let i = 0; i < rows.length; i += SLICE_AGG_ROWS) {
      const part = rows.slice(i, i + SLICE_AGG_ROWS);
      out.push(this.d1.prepare(
        `INSERT INTO slice_aggregates (slice_pk, policy, metric, value) VALUES ${part.map(() => '(?,?,?,?)').join(',')}
         ON CONFLICT (slice_pk, policy, metric) DO UPDATE SET value = value + excluded.value`,
      ).bind(...part.flatMap((r) => [this.slice.pk, r.policy, r.metric, r.value])));
    }
    const d = (m: string) => this.delta.sum(m);
    out.push(this.d1.prepare('UPDATE slices SET items = items + ?, failures = failures + ?, excluded = excluded + ?, pending = pending + ?, updated_at = ? WHERE pk = ?')
      .bind(d('items'), d('failures'), d('excluded'), d('pending'), new Date().toISOString(), this.slice.pk));
    return out;
  }
}

export const isConcurrentUpdate = (e: unknown) => /concurrent update of an item part|malformed JSON/i.test(String((e as Error)?.message ?? e));
