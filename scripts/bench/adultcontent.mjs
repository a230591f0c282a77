// Label consensus on real crowd labels: AdultContent2 (825 Mechanical Turk workers, 11,040
// sites rated G/P/R/X, 92,721 judgments, gold ratings; ../shared/data/adultcontent2) replayed
// through the product. The Worker runs in Miniflare (scripts/bench/lib/worker.mjs); one slice
// holds the 11,040 sites as unlabelled items (pending); every judgment is sent as a signed
// Standard Webhooks delivery (≤ 1,000 events each; violating = R or X); then
// POST /v1/admin/consensus runs binary Dawid–Skene in the service. Reported: accuracy on the
// gold sites of majority vote and of Dawid–Skene, 4-class (computed offline with
// taxonomy/consensus.ts on the same votes — the service is binary) and binary (offline, and the
// service's own item labels before and after consensus), plus how well the service's annotator
// accuracy tracks each worker's accuracy on gold. Writes BENCHMARKS.md (adultcontent section).
//
//   node scripts/bench/adultcontent.mjs        (Node 22: npm run bench, or PATH=node_modules/node/bin:$PATH)
import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, startWorker, fmt } from './lib/worker.mjs';
import { writeSection, machine } from './lib/sections.mjs';
import { dawidSkene, majorityVote } from '../../taxonomy/consensus.ts';
import { parseRecords } from '../../functions/store/items/format.ts';

export const title = 'Label consensus (AdultContent2)';

const DATA = resolve(ROOT, '../shared/data/adultcontent2');
const REGION = 'US';
const SLICE = 'adultcontent2';
const MODEL = { id: 'avlm-labels', version: '1', stage: 'sft' };
const VENDOR = 'mturk';
const BATCH = 1000;
const CONCURRENCY = Number(process.env.BENCH_AC_CONCURRENCY ?? 4);
const VIOLATING = new Set(['R', 'X']);

const log = (...a) => console.log('[adultcontent]', ...a);

/** Sites longer than an item_id may be (128) get a stable hashed id. */
const itemIdOf = (site) => (site.length <= 128 ? site : `sha256:${createHash('sha256').update(site).digest('hex')}`);
/** A synthetic model score per site (uniform, deterministic): the bench is about labels, but
 *  with a prediction every labelled item gets a real outcome to re-diagnose. */
const scoreOf = (site) => createHash('sha256').update(`score:${site}`).digest().readUInt32BE(0) / 2 ** 32;

function signStandard(secret, id, ts, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64')}`;
}

const accuracy = (labelOf, truth, items) => {
  let n = 0, ok = 0;
  for (const it of items) { const l = labelOf.get(it); if (l === undefined) continue; n++; if (l === truth.get(it)) ok++; }
  return { n, acc: n ? ok / n : NaN };
};

function pearson(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n, my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; syy += (ys[i] - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy);
}

async function pool(tasks, n) {
  const out = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (next < tasks.length) { const i = next++; out[i] = await tasks[i](); } }));
  return out;
}

export async function run() {
  if (!existsSync(join(DATA, 'labels.txt')) || !existsSync(join(DATA, 'gold.txt'))) {
    log(`skipped: ${DATA} is absent (the shared data folder is not part of a user's clone); BENCHMARKS.md is left as it is`);
    return { skipped: true }; // no markdown: `npm run bench` keeps the section as it was
  }
  const rows = (f) => readFileSync(join(DATA, f), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
  const judgments = rows('labels.txt').map(([worker, site, rating]) => ({ worker, site, rating }));
  const gold = new Map(rows('gold.txt').map(([site, rating]) => [site, rating]));
  const sites = [...new Set(judgments.map((j) => j.site))];
  log(`${fmt(judgments.length)} judgments by ${new Set(judgments.map((j) => j.worker)).size} workers on ${fmt(sites.length)} sites; ${gold.size} gold ratings`);

  const t0 = performance.now();
  const w = await startWorker();
  try {
    const json = { 'content-type': 'application/json' };
    const v = await w.api('POST', '/v1/admin/vendors', { body: JSON.stringify({ vendor: VENDOR, scheme: 'standard-webhooks' }), headers: json });
    if (v.status !== 201) throw new Error(`vendor: ${v.status} ${JSON.stringify(v.json)}`);
    const secret = v.json.secret;

    // The slice: every site an unlabelled item (pending until its labels arrive).
    const lines = [JSON.stringify({ slice_id: SLICE, model: MODEL }),
      ...sites.map((s) => JSON.stringify({ item_id: itemIdOf(s), content_id: s.slice(0, 256), surface: 'image', policy: 'adult.nudity', prediction: { score: scoreOf(s) } }))];
    const body = `${lines.join('\n')}\n`;
    const tSlice = performance.now();
    const sub = await w.api('POST', `/v1/regions/${REGION}/slices`, { body, headers: { 'content-type': 'application/x-ndjson' } });
    if (sub.status !== 201) throw new Error(`slice: ${sub.status} ${JSON.stringify(sub.json).slice(0, 300)}`);
    log(`slice: ${fmt(sub.json.items)} items, ${fmt(sub.json.pending)} pending, ${fmt(performance.now() - tSlice)} ms`);

    // The judgments, in file order, as signed deliveries of ≤ 1,000 events.
    const base = Date.parse('2026-11-01T00:00:00Z');
    const events = judgments.map((j, i) => ({
      region: REGION, slice_id: SLICE, item_id: itemIdOf(j.site), violating: VIOLATING.has(j.rating),
      annotator: j.worker, labelled_at: new Date(base + i).toISOString(),
    }));
    const batches = [];
    for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
    const tReplay = performance.now();
    const results = await pool(batches.map((evs, k) => async () => {
      const b = JSON.stringify({ events: evs });
      const id = `adultcontent2-${k}`;
      const ts = Math.floor(Date.now() / 1000);
      const res = await fetch(new URL(`/v1/webhooks/labels/${VENDOR}`, w.url), {
        method: 'POST', body: b, headers: { ...json, 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandard(secret, id, ts, b) },
      });
      const out = await res.json();
      if (res.status !== 200) throw new Error(`delivery ${k}: ${res.status} ${JSON.stringify(out)}`);
      return out;
    }), CONCURRENCY);
    const replayMs = performance.now() - tReplay;
    const applied = results.reduce((s, r) => s + r.applied, 0);
    const parked = results.reduce((s, r) => s + r.parked, 0);
    log(`replay: ${batches.length} deliveries, ${fmt(applied)} events applied, ${parked} parked, ${fmt(replayMs)} ms → ${fmt(events.length / (replayMs / 1000))} events/s`);

    const db = w.db;
    const pk = (await db.prepare('SELECT pk FROM slices WHERE region = ? AND slice_id = ?').bind(REGION, SLICE).first()).pk;
    const readLabels = async () => {
      const { results: parts } = await db.prepare('SELECT data FROM item_chunks WHERE slice_pk = ?').bind(pk).all();
      const m = new Map();
      for (const p of parts) for (const rec of parseRecords(p.data)) m.set(rec.i.item_id, rec);
      // A relabelled item's current record is its overlay, which shadows the part's copy.
      const { results: overlays } = await db.prepare('SELECT item_id, data FROM item_overlays WHERE slice_pk = ?').bind(pk).all();
      for (const o of overlays) m.set(o.item_id, JSON.parse(o.data));
      return m;
    };
    const siteOf = new Map(sites.map((s) => [itemIdOf(s), s]));
    const serviceBinary = (recs) => new Map([...recs].filter(([, r]) => r.i.label).map(([id, r]) => [siteOf.get(id), r.i.label.violating]));
    const beforeConsensus = serviceBinary(await readLabels());

    const tCons = performance.now();
    let cursor = 0, calls = 0, cons;
    do {
      const r = await w.api('POST', '/v1/admin/consensus', { body: JSON.stringify({ limit: 50_000, cursor }), headers: json });
      if (r.status !== 200) throw new Error(`consensus: ${r.status} ${JSON.stringify(r.json)}`);
      cons = cons ? { ...r.json, items_changed: cons.items_changed + r.json.items_changed, relabelled: cons.relabelled + r.json.relabelled } : r.json;
      cursor = r.json.next_cursor;
      calls++;
    } while (cursor !== null);
    const consensusMs = performance.now() - tCons;
    log(`consensus: ${calls} call(s), ${fmt(consensusMs)} ms, ${cons.consensus.iterations} EM iterations, ${fmt(cons.items_changed)} items rewritten, ${fmt(cons.relabelled)} relabelled`);
    const again = await w.api('POST', '/v1/admin/consensus', { body: '{}', headers: json });
    const recs = await readLabels();
    const afterConsensus = serviceBinary(recs);

    // Offline, on the votes the service holds (one per worker and site: the latest).
    const latest = new Map();
    for (const j of judgments) latest.set(`${j.worker}\u0000${j.site}`, j);
    const votes = [...latest.values()];
    const dbVotes = (await db.prepare('SELECT COUNT(*) AS n FROM votes').first()).n;
    const multi = votes.map((j) => ({ item: j.site, annotator: j.worker, label: j.rating }));
    const binary = votes.map((j) => ({ item: j.site, annotator: j.worker, label: VIOLATING.has(j.rating) }));
    const tDs = performance.now();
    const dsMulti = dawidSkene(multi, { classes: ['G', 'P', 'R', 'X'] });
    const dsMultiMs = performance.now() - tDs;
    const dsBin = dawidSkene(binary, { classes: [false, true] });
    const mvMulti = majorityVote(multi, { classes: ['G', 'P', 'R', 'X'] });
    const mvBin = majorityVote(binary, { classes: [false, true] });
    const toMap = (r) => new Map(r.items.map((x) => [x.item, x.label]));
    const judgedGold = [...gold.keys()].filter((s) => siteOf.has(itemIdOf(s)) && beforeConsensus.has(s));
    const goldBin = new Map([...gold].map(([s, r]) => [s, VIOLATING.has(r)]));
    const fig = {
      mvMulti: accuracy(toMap(mvMulti), gold, judgedGold), dsMulti: accuracy(toMap(dsMulti), gold, judgedGold),
      mvBin: accuracy(toMap(mvBin), goldBin, judgedGold), dsBin: accuracy(toMap(dsBin), goldBin, judgedGold),
      svcBefore: accuracy(beforeConsensus, goldBin, judgedGold), svcAfter: accuracy(afterConsensus, goldBin, judgedGold),
    };
    // Does the service's DS accuracy per annotator track accuracy on gold (binary)?
    const q = await w.api('GET', `/v1/vendors/${VENDOR}/quality`);
    const goldAcc = new Map();
    for (const j of votes) {
      if (!gold.has(j.site)) continue;
      const a = goldAcc.get(j.worker) ?? { n: 0, ok: 0 };
      a.n++; if (VIOLATING.has(j.rating) === goldBin.get(j.site)) a.ok++;
      goldAcc.set(j.worker, a);
    }
    const pairs = q.json.annotators.filter((a) => (goldAcc.get(a.annotator)?.n ?? 0) >= 20).map((a) => [a.accuracy, goldAcc.get(a.annotator).ok / goldAcc.get(a.annotator).n]);
    const corr = pearson(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
    // The counters after all this: pending 0, and the slice row equals a recount of the items.
    const row = await db.prepare('SELECT items, failures, excluded, pending FROM slices WHERE pk = ?').bind(pk).first();
    const recount = { items: 0, failures: 0, excluded: 0, pending: 0 };
    for (const r of recs.values()) { recount.items++; if (r.d.failure) recount.failures++; if (r.d.excluded) recount.excluded++; if (r.d.outcome === 'pending') recount.pending++; }
    const consistent = JSON.stringify(row) === JSON.stringify(recount);
    const ambiguous = [...recs.values()].filter((r) => r.d.primary === 'LBL.AMBIG').length;
    const totalMs = performance.now() - t0;

    const pct = (x) => `${(100 * x.acc).toFixed(1)} %`;
    const out = {
      judgments: judgments.length, votes: votes.length, dbVotes, sites: sites.length, judgedGold: judgedGold.length, deliveries: batches.length,
      replayMs, eventsPerS: events.length / (replayMs / 1000), consensusMs, calls, dsMultiMs, fig, corr, corrN: pairs.length,
      consensus: cons.consensus, relabelled: cons.relabelled, secondRunChanged: again.json.items_changed, row, recount, consistent, ambiguous, totalMs,
    };
    log(JSON.stringify(out.fig));
    if (dbVotes !== votes.length) throw new Error(`votes table holds ${dbVotes}, expected ${votes.length}`);

    const markdown = `
## Label consensus on real crowd labels (AdultContent2)

\`node scripts/bench/adultcontent.mjs\` — ${await machine()}; Worker in Miniflare (workerd, local D1).
Data: \`../shared/data/adultcontent2\` (Ipeirotis et al., HCOMP 2010): ${fmt(judgments.length)} judgments by 825 workers on
${fmt(sites.length)} sites rated G/P/R/X; binary violating = R or X. One slice holds the sites as unlabelled items
(synthetic model scores, so labelled items get real outcomes); the judgments are replayed in file order as
${batches.length} signed Standard Webhooks deliveries of ≤ ${BATCH} events (${CONCURRENCY} in flight), then
\`POST /v1/admin/consensus\` runs binary Dawid–Skene in the service. A worker's repeated judgment of a site
replaces the earlier one (as the service does): ${fmt(votes.length)} votes, all ${fmt(dbVotes)} in the votes table.
Accuracy on the ${out.judgedGold} gold sites that workers judged:

| method | 4-class | binary |
|---|---|---|
| majority vote (offline, ties → first class) | ${pct(fig.mvMulti)} | ${pct(fig.mvBin)} |
| Dawid–Skene (offline, \`taxonomy/consensus.ts\`) | ${pct(fig.dsMulti)} | ${pct(fig.dsBin)} |
| service: item labels after the deliveries (majority of votes, ties keep the first vote's label) | — | ${pct(fig.svcBefore)} |
| service: item labels after \`POST /v1/admin/consensus\` (binary Dawid–Skene) | — | ${pct(fig.svcAfter)} |

- Replay: ${fmt(replayMs)} ms for ${fmt(events.length)} events (${fmt(out.eventsPerS)} events/s, each delivery one atomic D1 batch
  re-diagnosing its items and moving the counters). Consensus: ${calls} call, ${fmt(consensusMs)} ms
  (${fmt(out.consensus.votes)} votes, ${fmt(out.consensus.items)} items, ${out.consensus.iterations} EM iterations${out.consensus.converged ? ', converged' : ', not converged'});
  ${fmt(cons.relabelled)} labels changed from majority to consensus; a second run changed ${out.secondRunChanged} items (idempotent).
  Offline 4-class Dawid–Skene: ${fmt(dsMultiMs)} ms.
- Annotator quality: across the ${pairs.length} workers with ≥ 20 votes on gold sites, the service's Dawid–Skene accuracy
  (\`GET /v1/vendors/${VENDOR}/quality\`) correlates with their binary accuracy on gold at r = ${corr.toFixed(2)}.
- After consensus: ${fmt(row.pending)} pending, ${fmt(row.failures)} failures of which ${fmt(row.excluded)} excluded (${fmt(ambiguous)} items LBL.AMBIG:
  posterior of the label < 0.80 with ≥ 3 votes); the slice's counters equal a recount of its stored items: ${consistent ? 'yes' : 'NO'}.
- Whole run ${fmt(totalMs / 1000, 1)} s.
`;
    // Run directly, the part writes its section; under `npm run bench` the runner does (or not, with --no-write).
    if (!process.env.BENCH_RUNNER) writeSection('adultcontent', markdown);
    return { markdown, data: out };
  } finally {
    await w.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => { if (!r.skipped) log(`done in ${fmt(r.data.totalMs / 1000, 1)} s`); }).catch((e) => { console.error(e); process.exit(1); });
}
