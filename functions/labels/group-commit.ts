// Group commit of webhook deliveries within one isolate. Each D1 call costs far more than the
// statements in it, so deliveries that arrive while a group is being written are gathered and
// written together in ONE batch (apply.ts planDeliveries) as soon as that write ends. An idle
// isolate writes a delivery at once; under load the next leader first lets the event loop turn
// a few times (while the queue grows) so that requests already received join its group. Every
// request still answers only once its own delivery is durably applied, with its own result.
//
// Exactly once: a delivery id seen twice in a group is applied once (the later copy answers
// `duplicate`); ids this isolate has committed are answered `duplicate` without D1 (a ledger row
// is never deleted); the ledger's primary key is the final arbiter — a group whose batch fails
// on it reads which ids are in the ledger, answers those `duplicate` and writes the rest again.
// Any other failure of a group batch (a concurrent rewrite of an item, a vendor past its cap of
// parked events, a statement too large …)
// falls back to applying its deliveries one by one (applyDelivery, which retries), so one
// delivery's trouble is never another's. Once its deliveries are settled, the leader hands the
// records its group wrote to its own `onWritten` (the route: into the item partitions, after
// its answer).
//
// workerd specifics: the group is written by one of its own requests (the leader) in that
// request's I/O context; when it is done the next waiting request becomes the leader. A request
// waits by polling its entry with short timers in its own context — never by awaiting a promise
// that another request settles: workerd cancels a request that waits with nothing pending in
// its own context, and the vitest pool does not deliver such cross-request settlements at all.
import { ApiError } from '../lib/errors.ts';
import { chunk } from '../lib/db.ts';
import { applyDelivery, DEFAULT_MAX_PARKED, duplicateResult, planDeliveries, type Delivery, type DeliveryResult, type OnWritten } from './apply.ts';
import { abortOf } from '../store/guards.ts';
import type { ItemStore, WrittenRecord } from '../store/items/editor.ts';

/** At most this many deliveries / events in one group (one D1 batch). Not more deliveries: a
 *  group that empties the queue leaves the next leader alone, and it writes a group of one or
 *  two while the others arrive — measured with 48–64 deliveries in flight, 32 gave 10–25 % more
 *  throughput and a lower p99 than 64 (and than 16, whose groups are too small). */
export const GROUP_LIMITS = { deliveries: 32, events: 2_000 } as const;
/** A delivery still queued after this long is answered 503 (nothing applied; the vendor retries). */
const QUEUE_TIMEOUT_MS = 20_000;
/** A leader that has not finished its group after this long is presumed gone (its request was
 *  cancelled, e.g. the client disconnected): a waiting request takes over. Two writers at once
 *  are still correct (guards, ledger key), only slower. */
const STALL_MS = 5_000;
/** How often a waiting request looks at its entry. */
const POLL_MS = 1;
/** Delivery ids committed by this isolate, newest last. */
const COMMITTED_IDS = 100_000;
const committed = new Set<string>();

const idKey = (d: Pick<Delivery, 'vendor' | 'deliveryId'>) => `${d.vendor}\u0000${d.deliveryId}`;

function remember(d: Delivery): void {
  const k = idKey(d);
  committed.delete(k);
  committed.add(k);
  if (committed.size > COMMITTED_IDS) committed.delete(committed.values().next().value!);
}

interface Entry {
  store: ItemStore;
  delivery: Delivery;
  /** The vendor's cap on parked events (the same for every entry of an isolate: one env). */
  maxParked: number;
  onWritten?: OnWritten;
  state: 'queued' | 'leading' | 'taken' | 'settled';
  result?: DeliveryResult | { error: unknown };
}

const queue: Entry[] = [];
/** Groups written in one batch and the deliveries in them, since the isolate started (tests, logs). */
const stats = { groups: 0, deliveries: 0, largest: 0, fallbacks: 0 };
export const groupCommitStats = () => ({ ...stats });
/** The request writing (or about to write) a group; null when idle. */
let leader: Entry | null = null;
let leaderSince = 0;

function handLead(e: Entry): void {
  leader = e;
  leaderSince = Date.now();
  e.state = 'leading';
}

function settle(e: Entry, r: DeliveryResult | { error: unknown }): void {
  if (e.state === 'settled') return;
  e.state = 'settled';
  e.result = r;
}

/** When the group being written started, and how long a group write takes (smoothed). A waiter
 *  that cannot act before that write ends — its delivery is in it, or it is queued behind the
 *  head — sleeps until about then rather than every POLL_MS: each wake-up is a timer and a task
 *  of the isolate, on the thread that also runs D1 here. The head of the queue keeps polling:
 *  it may be handed the lead at any moment. */
let writingSince = 0;
let groupMs = 0;
const MAX_PAUSE_MS = 20;

function pause(e: Entry): Promise<void> {
  let ms = POLL_MS;
  if (e.state === 'taken' || (e.state === 'queued' && queue[0] !== e)) {
    ms = Math.max(POLL_MS, Math.min(MAX_PAUSE_MS, writingSince + groupMs - Date.now()));
  }
  return new Promise<void>((r) => setTimeout(r, ms));
}

/** Applies a delivery through the isolate's group commit; resolves once it is durably applied.
 *  `onWritten`: told the records of each group this request writes as the leader. */
export async function commitDelivery(store: ItemStore, delivery: Delivery, maxParked = DEFAULT_MAX_PARKED, onWritten?: OnWritten): Promise<DeliveryResult> {
  if (committed.has(idKey(delivery))) return duplicateResult(delivery);
  const entry: Entry = { store, delivery, maxParked, onWritten, state: 'queued' };
  queue.push(entry);
  if (!leader) handLead(entry);
  const since = Date.now();
  for (;;) {
    if (entry.state === 'leading') await writeGroup(entry);
    if (entry.state === 'settled') break;
    await pause(entry);
    const now = Date.now();
    if (entry.state === 'queued' && now - since > QUEUE_TIMEOUT_MS) {
      queue.splice(queue.indexOf(entry), 1);
      settle(entry, { error: new ApiError(503, 'busy', 'the delivery waited too long to be written; nothing was applied, retry the delivery') });
    } else if (entry.state === 'queued' && now - leaderSince > STALL_MS) handLead(entry); // the leader is gone
  }
  const r = entry.result!;
  if ('error' in r) throw r.error;
  return r;
}

/** A leader's group: `first`, then the head of `waiting` in order (removed from it) while the
 *  group stays within `limits`. `first` is always taken, whatever its size. */
export function takeGroup<E extends { delivery: Pick<Delivery, 'events'> }>(first: E, waiting: E[], limits: { deliveries: number; events: number } = GROUP_LIMITS): E[] {
  const group = [first];
  let events = first.delivery.events.length;
  while (waiting.length && group.length < limits.deliveries) {
    const n = waiting[0].delivery.events.length;
    if (events + n > limits.events) break;
    group.push(waiting.shift()!);
    events += n;
  }
  return group;
}

/** The leader writes itself and the queue's head, up to the limits, then hands over. */
async function writeGroup(self: Entry): Promise<void> {
  // Under load (others already waiting), let the requests that have arrived meanwhile reach the
  // queue first: up to 4 turns of the event loop while the queue grows, then a larger group —
  // fewer D1 calls per delivery.
  for (let turns = 0, seen = queue.length; seen > 1 && turns < 4; turns++) {
    await new Promise<void>((r) => setTimeout(r, 0));
    if (queue.length === seen) break;
    seen = queue.length;
  }
  const at = queue.indexOf(self);
  if (at >= 0) queue.splice(at, 1);
  const group = takeGroup(self, queue);
  for (const e of group) e.state = 'taken';
  writingSince = Date.now();
  try {
    await commitGroup(self.store, group);
    const took = Date.now() - writingSince;
    groupMs = groupMs ? 0.8 * groupMs + 0.2 * took : took;
  } catch (err) {
    for (const e of group) settle(e, { error: err });
  } finally {
    // Unless another request took over meanwhile (it hands over when it is done).
    if (leader === self) {
      if (queue.length) handLead(queue[0]);
      else leader = null;
    }
  }
}

async function commitGroup(store: ItemStore, group: Entry[]): Promise<void> {
  const d1 = store.DB;
  // One entry per id; later copies of an id in the group follow its first.
  const firsts = new Map<string, Entry>();
  const copies: Array<[Entry, Entry]> = [];
  for (const e of group) {
    const k = idKey(e.delivery);
    const f = firsts.get(k);
    if (f) copies.push([e, f]);
    else if (committed.has(k)) settle(e, duplicateResult(e.delivery));
    else firsts.set(k, e);
  }
  const outcome = new Map<Entry, DeliveryResult | { error: unknown }>();
  const written: WrittenRecord[] = [];
  let todo = [...firsts.values()];
  for (let round = 0; round < 2 && todo.length; round++) {
    const plan = await planDeliveries(store, todo.map((e) => e.delivery), group[0].maxParked);
    try {
      await d1.batch(plan.statements);
      plan.committed();
      written.push(...plan.written);
      stats.groups++;
      stats.deliveries += todo.length;
      stats.largest = Math.max(stats.largest, todo.length);
      todo.forEach((e, k) => { remember(e.delivery); outcome.set(e, plan.results[k]); });
      todo = [];
    } catch (err) {
      plan.failed();
      if (abortOf(err) !== 'duplicate-delivery' || round > 0) break;
      // Some ids were applied elsewhere (another isolate): answer those, write the rest again.
      const known = await ledgerHas(d1, todo.map((e) => e.delivery));
      for (const e of todo) if (known.has(idKey(e.delivery))) { remember(e.delivery); outcome.set(e, duplicateResult(e.delivery)); }
      todo = todo.filter((e) => !outcome.has(e));
    }
  }
  // Fallback: one by one, each with its own retries and its own outcome.
  for (const e of todo) {
    stats.fallbacks++;
    try {
      const r = await applyDelivery(store, e.delivery, e.maxParked, written);
      remember(e.delivery);
      outcome.set(e, r);
    } catch (err) {
      outcome.set(e, { error: err });
    }
  }
  for (const [e, r] of outcome) settle(e, r);
  for (const [copy, first] of copies) {
    const r = outcome.get(first)!;
    settle(copy, 'error' in r ? r : duplicateResult(copy.delivery));
  }
  // After the answers are settled: what follows the commit never changes an outcome.
  const onWritten = group[0].onWritten;
  if (written.length && onWritten) {
    try {
      await onWritten(written);
    } catch (err) {
      console.error(`after a label group commit: ${(err as Error).message}`);
    }
  }
}

/** Which of these deliveries the ledger holds. */
async function ledgerHas(d1: D1Database, deliveries: Delivery[]): Promise<Set<string>> {
  const byVendor = new Map<string, string[]>();
  for (const d of deliveries) {
    const ids = byVendor.get(d.vendor);
    if (ids) ids.push(d.deliveryId); else byVendor.set(d.vendor, [d.deliveryId]);
  }
  const stmts = [...byVendor].flatMap(([vendor, ids]) => chunk(ids, 90).map((part) => d1.prepare(
    `SELECT vendor, delivery_id FROM webhook_deliveries WHERE vendor = ? AND delivery_id IN (${part.map(() => '?').join(',')})`,
  ).bind(vendor, ...part)));
  const out = new Set<string>();
  for (const r of await d1.batch(stmts)) for (const row of r.results as Array<{ vendor: string; delivery_id: string }>) out.add(idKey({ vendor: row.vendor, deliveryId: row.delivery_id }));
  return out;
}
