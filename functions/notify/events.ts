// The notification events of one slice (SPEC §13), computed off the ingest path from a
// NotifyMessage: slice.completed, version.regression / region.disparity (slice-level cells the
// region × version did not have at the last check, notify_cells) and attribution.ready. Each
// event is inserted once (its id says what caused it; a cell's row and its event go in one
// batch), then fanned out as one delivery per matching subscription and one queue message each.
// A retry of the message fans out the same events again (INSERT OR IGNORE): nothing is lost or doubled.
import type { Bindings, DeliverMessage, NotifyMessage } from '../env.ts';
import { chunk, nowIso } from '../lib/db.ts';
import { buildScorecard } from '../services/scorecard.ts';
import { versionRecords } from '../services/records.ts';
import type { EventType } from '../services/subscriptions.ts';
import { linker } from './links.ts';

type SliceRow = {
  pk: number; region: string; slice_id: string; model_id: string; model_version: string; model_stage: string;
  status: string; items: number; failures: number; excluded: number; jobs: number;
};
type Listener = { regions: string; events: string };
const CELL_CODES = { 'VER.REGRESSION': 'version.regression', 'REG.DISPARITY': 'region.disparity' } as const;

/** Who listens to what: events of a type in a region are computed only when someone wants them. */
function wanted(listeners: Listener[], region: string) {
  const parsed = listeners.map((l) => ({ regions: JSON.parse(l.regions) as string[], events: JSON.parse(l.events) as string[] }));
  return (type: EventType) => parsed.some((l) => l.events.includes(type) && (l.regions.includes('*') || l.regions.includes(region)));
}

export async function computeEvents(env: Bindings, msg: NotifyMessage): Promise<void> {
  const d1 = env.DB;
  // One round trip for both reads (D1 is one writer for ingest and this consumer alike).
  const [subs, slice] = await d1.batch<Listener | SliceRow>([
    d1.prepare('SELECT regions, events FROM subscriptions'),
    d1.prepare(`SELECT pk, region, slice_id, model_id, model_version, model_stage, status, items, failures, excluded,
     (SELECT COUNT(*) FROM probe_jobs WHERE slice_pk = slices.pk) AS jobs FROM slices WHERE region = ? AND slice_id = ?`).bind(msg.region, msg.sliceId),
  ]);
  const listeners = subs.results as Listener[];
  if (!listeners.length) return; // nobody listens: no work at all
  const s = slice.results[0] as SliceRow | undefined;
  if (!s || (s.status !== 'complete' && s.status !== 'probing')) return;
  const wants = wanted(listeners, s.region);
  const link = linker(env);
  const source = `${s.pk}:${msg.trigger}`;
  // Older messages (queued before `at` existed) take the time they are read.
  const now = msg.at ?? nowIso();
  const model = { id: s.model_id, version: s.model_version, stage: s.model_stage };
  const scorecardUrl = link.scorecard(s.region, s.model_id, s.model_version);
  const stmts: D1PreparedStatement[] = [];
  /** `afterInsert`: only when the statement just before inserted its row (a new cell). */
  const event = (id: string, type: EventType, data: Record<string, unknown>, afterInsert = false) => stmts.push(
    d1.prepare(`INSERT OR IGNORE INTO notify_events (id, type, region, source, payload, created_at) SELECT ?, ?, ?, ?, ?, ?${afterInsert ? ' WHERE changes() = 1' : ''}`)
      .bind(id, type, s.region, source, JSON.stringify(data), now),
  );

  // Complete at its commit (no GPU backend job), or when its last job finished: one id either way.
  if ((msg.trigger === 'complete' || s.jobs === 0) && s.status === 'complete' && wants('slice.completed')) {
    event(`slice.completed:${s.pk}`, 'slice.completed', {
      region: s.region, slice_id: s.slice_id, model, status: s.status, items: s.items, failures: s.failures, excluded: s.excluded,
      links: { slice: link.slice(s.region, s.slice_id), scorecard: scorecardUrl },
    });
  }

  if (wants('version.regression') || wants('region.disparity')) {
    const card = await buildScorecard(d1, s.region, s.model_id, s.model_version);
    const cells = card.slice_signatures.filter((c) => c.code in CELL_CODES);
    const key = (c: { code: string; policy: string; signature?: string | null }) => `${c.code}\u0000${c.policy}\u0000${c.signature ?? ''}`;
    const known = (await d1.prepare('SELECT code, policy, signature FROM notify_cells WHERE region = ? AND model_id = ? AND model_version = ?')
      .bind(s.region, s.model_id, s.model_version).all<{ code: string; policy: string; signature: string }>()).results;
    const present = new Set(cells.map(key));
    // A cell that vanished is forgotten: if it comes back, it is news again.
    for (const k of known) {
      if (present.has(key(k))) continue;
      stmts.push(d1.prepare('DELETE FROM notify_cells WHERE region = ? AND model_id = ? AND model_version = ? AND code = ? AND policy = ? AND signature = ?')
        .bind(s.region, s.model_id, s.model_version, k.code, k.policy, k.signature));
    }
    const had = new Set(known.map(key));
    for (const c of cells) {
      if (had.has(key(c))) continue;
      const type = CELL_CODES[c.code as keyof typeof CELL_CODES];
      const sig = c.signature ?? '';
      stmts.push(d1.prepare('INSERT OR IGNORE INTO notify_cells (region, model_id, model_version, code, policy, signature, announced_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .bind(s.region, s.model_id, s.model_version, c.code, c.policy, sig, now));
      const st = c.statistics;
      const data = type === 'version.regression'
        ? {
          region: s.region, model, previous_version: st.previous_version, policy: c.policy, signature: sig,
          from: st.from, to: st.to, diff: st.diff, q: st.q, slice_id: s.slice_id,
          links: { scorecard: scorecardUrl, compare: link.compare(s.region, s.model_id, String(st.previous_version), s.model_version) },
        }
        : {
          region: s.region, model, policy: c.policy, rate: st.rate, n: st.n, rest_of_world_rate: st.rest_of_world_rate,
          global_rate: st.global_rate, z: st.z, q: st.q, slice_id: s.slice_id, links: { scorecard: scorecardUrl },
        };
      // Only the check that inserted the cell emits (changes() of the INSERT OR IGNORE above).
      if (wants(type)) event(`${type}:${s.region}:${s.model_id}:${s.model_version}:${c.policy}:${sig}:${source}`, type, data, true);
    }
  }

  if (msg.trigger === 'commit' && wants('attribution.ready')) {
    const records = (await versionRecords(d1, s.model_id, s.model_version))
      .filter((r) => r.targets.regions.includes('*') || r.targets.regions.includes(s.region));
    // Once per region × version: at the first commit that finds records targeting the region.
    if (records.length) {
      event(`attribution.ready:${s.region}:${s.model_id}:${s.model_version}`, 'attribution.ready', {
        region: s.region, model, slice_id: s.slice_id,
        interventions: records.map((r) => ({ id: r.id, intervention: r.intervention, targets: r.targets, link: link.intervention(r.id) })),
        links: { scorecard: scorecardUrl },
      });
    }
  }

  // The events, their deliveries and the deliveries to queue: one batch.
  const out = await d1.batch([...stmts, ...fanOut(d1, source)]);
  const pending = out[out.length - 1].results as Array<{ subscription_id: string; event_id: string }>;
  const msgs = pending.map((r): { body: DeliverMessage } => ({ body: { kind: 'deliver', subscriptionId: r.subscription_id, eventId: r.event_id } }));
  for (const part of chunk(msgs, 100)) await env.NOTIFY_QUEUE.sendBatch(part);
}

/** One delivery per (subscription, event of `source`) that matches its regions and events and
 *  existed when the event happened; then the deliveries not attempted yet (a retry of the
 *  message queues them again: at least once). */
function fanOut(d1: D1Database, source: string): D1PreparedStatement[] {
  return [
    d1.prepare(
      `INSERT OR IGNORE INTO notify_deliveries (subscription_id, event_id, webhook_id, status, attempts, created_at)
       SELECT s.id, e.id, 'msg_' || lower(hex(randomblob(16))), 'pending', 0, ?2 FROM notify_events e JOIN subscriptions s
         ON EXISTS (SELECT 1 FROM json_each(s.regions) r WHERE r.value IN (e.region, '*'))
        AND EXISTS (SELECT 1 FROM json_each(s.events) t WHERE t.value = e.type)
        AND s.created_at <= e.created_at
       WHERE e.source = ?1`,
    ).bind(source, nowIso()),
    d1.prepare(
      `SELECT d.subscription_id, d.event_id FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id
       WHERE e.source = ? AND d.status = 'pending' AND d.attempts = 0`,
    ).bind(source),
  ];
}
