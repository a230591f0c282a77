// The item store. Items are packed, per slice, into hash buckets of their item_id, and each
// bucket into parts of ~16 KB of JSON: one D1 row holds dozens of items, so a 100k-item slice
// is a few thousand rows, not 100k — and an item lookup reads one bucket, not the slice.
import { fnv1a } from '../../lib/crypto.ts';
import { parseRecords, partText, swapQuoteBytes, type NeighbourIds, type StoredItem } from './format.ts';
import { claimGuard, guardSql, lostClaimOr } from '../guards.ts';
import type { Diagnosis } from '../../../taxonomy/types.ts';

export type { NeighbourIds, StoredItem } from './format.ts';

const TARGET_BUCKET_BYTES = 64 * 1024;
export const PART_BYTES = 16 * 1024;
const BATCH_BYTES = 1_000_000;
const ROWS_PER_STATEMENT = 4; // 5 columns; ~64 KB of text per statement keeps under D1's 100 KB.

/** Buckets for a slice of about `bytes` bytes: fixed per slice, stored on the slice row. */
export function bucketCount(bytes: number): number {
  return Math.min(8192, Math.max(1, Math.ceil(bytes / TARGET_BUCKET_BYTES)));
}

export const bucketOf = (itemId: string, buckets: number) => fnv1a(itemId) % buckets;

// The common diagnosis — not a failure: primary null, no signatures — is stored as its outcome
// alone (format.ts parseRecords expands it); anything else as JSON.stringify(d).
const PLAIN_DIAGNOSIS = new Map<string, string>(
  (['TP', 'TN', 'FP', 'FN', 'pending'] as const).map((outcome) => [outcome, JSON.stringify(outcome)]),
);

/** The stored JSON of a Diagnosis as diagnoseItem builds it (keys in its order). */
function diagnosisJson(d: Diagnosis): string {
  if (!d.failure && d.primary === null && d.secondary.length === 0 && !d.excluded) {
    const plain = PLAIN_DIAGNOSIS.get(d.outcome);
    if (plain !== undefined) return plain;
  }
  return JSON.stringify(d);
}

export function recordText(d: Diagnosis, threshold: number, itemJson: string, neighbours?: StoredItem['n'], ids?: NeighbourIds): string {
  const n = neighbours && (neighbours.prev || neighbours.next) ? `,"n":${JSON.stringify(neighbours)}` : '';
  const s = ids && (ids.p || ids.x) ? `,"s":${JSON.stringify(ids)}` : '';
  return `{"d":${diagnosisJson(d)},"t":${threshold}${n}${s},"i":${itemJson}}`;
}

interface Part { bucket: number; part: number; n: number; data: string }

/**
 * A copy of `s` that keeps no larger string alive. A line cut from a body chunk is a V8 "sliced
 * string" pointing into the whole chunk; records waiting in 500+ bucket buffers would keep
 * nearly every chunk of a large body in memory. Concatenating and slicing flattens into a new
 * string of the record's own size.
 */
export const detach = (s: string) => (' ' + s).slice(1);

const utf8In = new TextEncoder();
const utf8Out = new TextDecoder();
/** A bucket's records so far, as UTF-8 bytes: records wait here until their part is full, and
 *  as strings they would survive young-generation GCs (and a record cut from a body chunk would
 *  keep the whole chunk alive); bytes in one buffer per bucket cost neither. */
interface BucketBuffer { bytes: Uint8Array; len: number; n: number }
const BUCKET_BUFFER_BYTES = PART_BYTES + 4096;

export class ItemStoreWriter {
  private readonly buffers = new Map<number, BucketBuffer>();
  private readonly nextPart = new Map<number, number>();
  private pending: Part[] = [];
  private pendingBytes = 0;
  private inflight: Promise<unknown> = Promise.resolve();
  rowsWritten = 0;

  /** `owner`: the claim the slice is written under. Each batch of parts then first checks that
   *  the claim is still this one: a writer whose claim was taken over (it stalled past its lease)
   *  must not write into the parts of the one that took over. */
  constructor(private readonly d1: D1Database, private readonly slicePk: number, readonly buckets: number, private readonly owner?: string) {}

  /** A promise only when a batch of parts goes to D1 (await it before the next add). */
  add(itemId: string, record: string): Promise<void> | void {
    const b = bucketOf(itemId, this.buckets);
    let buf = this.buffers.get(b);
    // Room for a comma and the record at 3 UTF-8 bytes per UTF-16 unit (the worst case).
    const need = 1 + 3 * record.length;
    if (buf && buf.len + need > buf.bytes.length) {
      if (buf.n) this.seal(b, buf);
      if (need > buf.bytes.length) buf.bytes = new Uint8Array(need);
    }
    if (!buf) this.buffers.set(b, (buf = { bytes: new Uint8Array(Math.max(BUCKET_BUFFER_BYTES, need)), len: 0, n: 0 }));
    if (buf.n) buf.bytes[buf.len++] = 0x2c; // ','
    buf.len += utf8In.encodeInto(record, buf.bytes.subarray(buf.len)).written;
    buf.n++;
    if (buf.len >= PART_BYTES) {
      this.seal(b, buf);
      if (this.pendingBytes >= BATCH_BYTES) return this.write();
    }
  }

  /** Flushes every partly filled bucket and waits for all writes. */
  async finish(): Promise<void> {
    // In ~1 MB batches like the rest: the partly filled buckets of a large slice add up to
    // several MB (~16 KB × buckets), which one batch would hold at once.
    for (const [b, buf] of [...this.buffers].sort((x, y) => x[0] - y[0])) {
      if (buf.n) this.seal(b, buf);
      this.buffers.delete(b);
      if (this.pendingBytes >= BATCH_BYTES) await this.write();
    }
    await this.write();
    await this.inflight;
  }

  /** Waits for the write in flight, whatever its outcome (before undoing a failed slice). */
  async settle(): Promise<void> {
    await this.inflight.catch(() => undefined);
  }

  /** Turns a bucket's buffered records into a part (and empties the buffer, kept for reuse). */
  private seal(bucket: number, buf: BucketBuffer): void {
    const part = this.nextPart.get(bucket) ?? 0;
    this.nextPart.set(bucket, part + 1);
    swapQuoteBytes(buf.bytes, buf.len); // the stored form (format.ts)
    const data = `[${utf8Out.decode(buf.bytes.subarray(0, buf.len))}]`;
    this.pending.push({ bucket, part, n: buf.n, data });
    this.pendingBytes += data.length;
    buf.len = 0;
    buf.n = 0;
  }

  // One batch in flight while parsing goes on: D1 I/O overlaps the CPU work. Raw prepared
  // statements here (not the Drizzle builder): this is the hot path, and it needs multi-row
  // INSERT OR REPLACE so that a retried slice overwrites its own rows.
  private async write(): Promise<void> {
    if (this.pending.length === 0) return;
    const parts = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const stmts: D1PreparedStatement[] = [];
    if (this.owner !== undefined) stmts.push(claimGuard(this.d1, this.slicePk, this.owner));
    for (let i = 0; i < parts.length; i += ROWS_PER_STATEMENT) {
      const rows = parts.slice(i, i + ROWS_PER_STATEMENT);
      const sql = `INSERT OR REPLACE INTO item_chunks (slice_pk, bucket, part, n, data) VALUES ${rows.map(() => '(?,?,?,?,?)').join(',')}`;
      stmts.push(this.d1.prepare(sql).bind(...rows.flatMap((r) => [this.slicePk, r.bucket, r.part, r.n, r.data])));
    }
    await this.inflight;
    this.rowsWritten += parts.length;
    this.inflight = this.d1.batch(stmts).catch((e: unknown) => { throw lostClaimOr(e); });
  }
}

export interface ItemLocation { bucket: number; part: number; rev: number; index: number; record: StoredItem; parts: StoredItem[] }

/** Finds one item: reads the parts of its bucket only. */
export async function findItem(d1: D1Database, slicePk: number, buckets: number, itemId: string): Promise<ItemLocation | null> {
  const bucket = bucketOf(itemId, buckets);
  const { results } = await d1.prepare('SELECT part, rev, data FROM item_chunks WHERE slice_pk = ? AND bucket = ? ORDER BY part')
    .bind(slicePk, bucket).all<{ part: number; rev: number; data: string }>();
  for (const row of results) {
    const parts = parseRecords(row.data);
    const index = parts.findIndex((r) => r.i.item_id === itemId);
    if (index >= 0) return { bucket, part: row.part, rev: row.rev, index, record: parts[index], parts };
  }
  return null;
}

/** Statements that rewrite one part if nobody else rewrote it since it was read: the second
 *  statement raises ('stale-item', guards.ts) when the UPDATE matched no row, which aborts the
 *  whole D1 batch it is in — the caller re-reads and retries. */
export function rewritePartStatements(d1: D1Database, slicePk: number, loc: Pick<ItemLocation, 'bucket' | 'part' | 'rev' | 'parts'>): D1PreparedStatement[] {
  return [
    d1.prepare('UPDATE item_chunks SET data = ?, n = ?, rev = rev + 1 WHERE slice_pk = ? AND bucket = ? AND part = ? AND rev = ?')
      .bind(partText(loc.parts), loc.parts.length, slicePk, loc.bucket, loc.part, loc.rev),
    d1.prepare(guardSql('changes() = 1', 'stale-item')),
  ];
}
