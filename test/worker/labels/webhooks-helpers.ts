// Helpers for the vendor webhook tests: vendors, signing (our own Standard Webhooks signer on
// WebCrypto — the official `standardwebhooks` package is used in the tests beside it), and an
// invariant check that every counter equals a recount from the item store.
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { api } from '../helpers.ts';
import { itemMetrics } from '../../../functions/store/counters.ts';
import { isSliceCounter } from '../../../functions/store/operating-counts.ts';
import type { StoredItem } from '../../../functions/store/items/writer.ts';
import { parseRecords } from '../../../functions/store/items/format.ts';
import { partitionOf } from '../../../functions/store/partition/stub.ts';
import { expectDiscoveryMatchStore } from '../discovery/recount.ts';

export async function createVendor(vendor: string, scheme = 'standard-webhooks', extra: Record<string, unknown> = {}) {
  const r = await api('/v1/admin/vendors', { method: 'POST', json: { vendor, scheme, ...extra } });
  if (r.status !== 201) throw new Error(`createVendor: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data.secret as string;
}

const enc = new TextEncoder();
const b64 = (b: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(b)));
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');

async function hmacKey(raw: Uint8Array) {
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

/** Our own Standard Webhooks signer: v1,<base64 HMAC-SHA256 of "id.ts.body"> with the whsec_ key. */
export async function signStandard(secret: string, id: string, ts: number, body: string): Promise<string> {
  const key = await hmacKey(Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0)));
  return `v1,${b64(await crypto.subtle.sign('HMAC', key, enc.encode(`${id}.${ts}.${body}`)))}`;
}

export async function signHex(secret: string, body: string): Promise<string> {
  return `sha256=${hex(await crypto.subtle.sign('HMAC', await hmacKey(enc.encode(secret)), enc.encode(body)))}`;
}

export const nowS = () => Math.floor(Date.now() / 1000);

export function deliver(vendor: string, body: string, headers: Record<string, string>) {
  return api(`/v1/webhooks/labels/${vendor}`, { method: 'POST', token: null, headers: { 'content-type': 'application/json', ...headers }, body });
}

let seq = 0;
/** Any body, signed (Standard Webhooks) with our signer. */
export async function deliverBody(vendor: string, secret: string, body: string, id = `raw_${Date.now()}_${++seq}`) {
  const ts = nowS();
  return deliver(vendor, body, { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': await signStandard(secret, id, ts, body) });
}

/** A delivery signed with our signer; returns the response and the id used. */
export async function deliverStandard(vendor: string, secret: string, events: unknown[], opts: { id?: string; ts?: number } = {}) {
  const body = JSON.stringify({ events });
  const id = opts.id ?? `msg_${Date.now()}_${++seq}`;
  const ts = opts.ts ?? nowS();
  const r = await deliver(vendor, body, { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': await signStandard(secret, id, ts, body) });
  return { ...r, id, body };
}

export const ev = (region: string, slice_id: string, item_id: string, violating: boolean, extra: Record<string, unknown> = {}) =>
  ({ region, slice_id, item_id, violating, labelled_at: new Date().toISOString(), ...extra });

export async function slicePk(region: string, sliceId: string): Promise<number> {
  return (await env.DB.prepare('SELECT pk FROM slices WHERE region = ? AND slice_id = ?').bind(region, sliceId).first<{ pk: number }>())!.pk;
}

/** Everything a delivery may touch, to check that a refused or replayed one changed nothing. */
export async function snapshot() {
  const q = async (sql: string) => (await env.DB.prepare(sql).all()).results;
  return JSON.stringify({
    aggregates: await q('SELECT * FROM aggregates ORDER BY region, model_id, model_version, policy, metric'),
    sliceAggregates: await q('SELECT * FROM slice_aggregates ORDER BY slice_pk, policy, metric'),
    slices: await q('SELECT pk, items, failures, excluded, pending, by_signature FROM slices ORDER BY pk'),
    chunks: await q('SELECT slice_pk, bucket, part, rev, data FROM item_chunks ORDER BY slice_pk, bucket, part'),
    overlays: await q('SELECT slice_pk, bucket, item_id, rev, data FROM item_overlays ORDER BY slice_pk, bucket, item_id'),
    votes: await q('SELECT * FROM votes ORDER BY region, slice_id, item_id, annotator'),
    pending: await q('SELECT * FROM pending_labels ORDER BY id'),
    deliveries: await q('SELECT vendor, delivery_id, events, applied, parked FROM webhook_deliveries ORDER BY vendor, delivery_id'),
  });
}

/** Every current record of a slice, read straight from D1: item_chunks with the item_overlays
 *  rows (labels changed after ingest) shadowing their items' copies. A slice whose D1 copy was
 *  evicted (store/partition/evict.ts) starts from its partition's rows instead of the parts. */
export async function storedRecords(pk: number): Promise<Map<string, StoredItem>> {
  const [chunks, overlays, slice] = await env.DB.batch([
    env.DB.prepare('SELECT data FROM item_chunks WHERE slice_pk = ?').bind(pk),
    env.DB.prepare('SELECT item_id, data FROM item_overlays WHERE slice_pk = ?').bind(pk),
    env.DB.prepare(`SELECT s.region, s.slice_id, s.model_id, s.model_version, coalesce(p.evictions, 0) AS evictions FROM slices s
      LEFT JOIN partition_sync p ON p.region = s.region AND p.slice_id = s.slice_id AND p.slice_pk = s.pk WHERE s.pk = ?`).bind(pk),
  ]);
  const out = new Map<string, StoredItem>();
  const s = (slice.results as Array<{ region: string; slice_id: string; model_id: string; model_version: string; evictions: number }>)[0];
  if (s?.evictions > 0) {
    expect(chunks.results.length, 'parts of an evicted slice').toBe(0);
    for (const r of await partitionOf(env, s.region, s.model_id, s.model_version).records(s.slice_id, '', 1_000_000)) out.set(r.item_id, JSON.parse(r.record) as StoredItem);
  }
  for (const r of chunks.results as Array<{ data: string }>) for (const rec of parseRecords(r.data)) out.set(rec.i.item_id, rec);
  for (const r of overlays.results as Array<{ item_id: string; data: string }>) {
    expect(out.has(r.item_id), `overlay of an item not in the store: ${r.item_id}`).toBe(true);
    out.set(r.item_id, JSON.parse(r.data) as StoredItem);
  }
  return out;
}

/** Every counter of a slice (slice_aggregates, the slices row) equals a recount of its stored items. */
export async function expectCountersMatchStore(pk: number) {
  const want = new Map<string, number>();
  let items = 0, failures = 0, excluded = 0, pending = 0;
  const bySig: Record<string, number> = {};
  {
    for (const rec of (await storedRecords(pk)).values()) {
      for (const [m, v] of itemMetrics(rec.i, rec.d)) if (isSliceCounter(m)) want.set(`${rec.i.policy}|${m}`, (want.get(`${rec.i.policy}|${m}`) ?? 0) + v);
      items++;
      if (rec.d.outcome === 'pending') pending++;
      if (rec.d.failure) failures++;
      if (rec.d.excluded) excluded++;
      if (rec.d.primary) bySig[rec.d.primary] = (bySig[rec.d.primary] ?? 0) + 1;
    }
  }
  const got = new Map<string, number>();
  const agg = await env.DB.prepare('SELECT policy, metric, value FROM slice_aggregates WHERE slice_pk = ?').bind(pk).all<{ policy: string; metric: string; value: number }>();
  for (const r of agg.results) if (Math.abs(r.value) > 1e-9) got.set(`${r.policy}|${r.metric}`, r.value);
  // Counters that sum to zero (cal:s of items scored 0) are no counters, on either side.
  for (const [k, v] of want) if (Math.abs(v) <= 1e-9) want.delete(k);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [k, v] of want) expect(got.get(k), k).toBeCloseTo(v, 9);
  const row = (await env.DB.prepare('SELECT items, failures, excluded, pending, by_signature FROM slices WHERE pk = ?').bind(pk).first<{ items: number; failures: number; excluded: number; pending: number; by_signature: string }>())!;
  expect({ items: row.items, failures: row.failures, excluded: row.excluded, pending: row.pending }).toEqual({ items, failures, excluded, pending });
  expect(JSON.parse(row.by_signature)).toEqual(bySig);
  await expectDiscoveryMatchStore(pk, storedRecords);
}
