// Where a label delivery's D1 time goes (opt-in, issue 14's webhooks target): the webhooks
// bench's world in small (8 slices × 1,875 items, 8 item partitions), 2,000 signed deliveries of
// 1–5 events fired 48 in flight through a bench entry that records every D1 statement
// (lib/trace-entry.mjs), then every recorded batch replayed in order, statement by statement, in
// raw node:sqlite on a copy of the D1 file taken just before the firing: time per statement kind.
import { DatabaseSync } from 'node:sqlite';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from './lib/gen.mjs';
import { startWorker, d1SqliteFile, fmt } from './lib/worker.mjs';
import { traceEntry } from './lib/trace-entry.mjs';
import { partitionsSynced } from './scorecard.mjs';

export const title = 'Profile: D1 statements of label deliveries';
export const optIn = true;

const N = Number(process.env.BENCH_WHD1_DELIVERIES ?? 2_000);
const IN_FLIGHT = 48;
const REGIONS = ['DE', 'FR', 'BR', 'IN'];
const PER_SLICE = 1_875;
const POLICIES = ['hate.slur', 'adult.nudity', 'violence.graphic', 'spam.scam'];
const json = { 'content-type': 'application/json' };
const sign = (secret, id, ts, body) => `v1,${createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${ts}.`).update(body).digest('base64')}`;

/** A statement's kind: its first words and table. */
function kind(sql) {
  const s = sql.replace(/\s+/g, ' ').trim();
  const m = /^(INSERT INTO|UPDATE|DELETE FROM|SELECT)\s+(\S+)/i.exec(s);
  if (/^SELECT json_extract\('\{\}'/.test(s)) return 'guard';
  if (/^WITH/i.test(s)) return `WITH … ${/(INSERT INTO|UPDATE)\s+(\S+)/i.exec(s)?.slice(1).join(' ') ?? ''}`;
  return m ? `${m[1].toUpperCase()} ${m[2]}` : s.slice(0, 40);
}

export async function run({ log = console.log } = {}) {
  const r = rng(5);
  const w = await startWorker({});
  const work = mkdtempSync(join(tmpdir(), 'avlm-whd1-'));
  try {
    await w.restart({ entrySource: `${traceEntry(w.script)}\nexport { ItemPartition } from ${JSON.stringify(w.script)};` });
    const v = await w.api('POST', '/v1/admin/vendors', { body: JSON.stringify({ vendor: 'prof', scheme: 'standard-webhooks' }), headers: json });
    const secret = v.json.secret;
    const slices = [];
    for (const region of REGIONS) for (const ver of ['1', '2']) {
      const slice_id = `p-${region}-${ver}`;
      const items = Array.from({ length: PER_SLICE }, (_, i) => ({ item_id: `it-${i}`, content_id: `c${i}`, surface: ['vod', 'short', 'image'][i % 3], language: ['de-DE', 'tr', 'en'][i % 3], policy: POLICIES[i % 4], label: { violating: r() < 0.5 }, prediction: { score: Math.round(r() * 1000) / 1000 } }));
      const res = await w.api('POST', `/v1/regions/${region}/slices`, { body: JSON.stringify({ slice_id, model: { id: 'prof', version: ver, stage: 'sft' }, items }), headers: json });
      if (res.status !== 201) throw new Error(`slice ${res.status}`);
      slices.push({ region, slice_id });
    }
    await partitionsSynced(w, log);
    await fetch(new URL('/__bench/trace', w.url));
    const copy = join(work, 'd1.sqlite');
    copyFileSync(d1SqliteFile(w.persist), copy);
    const reqs = Array.from({ length: N }, (_, k) => {
      const events = Array.from({ length: 1 + Math.floor(r() * 5) }, (_, e) => {
        const s = slices[Math.floor(r() * slices.length)];
        return { region: s.region, slice_id: s.slice_id, item_id: `it-${Math.floor(r() * PER_SLICE)}`, violating: r() < 0.5, annotator: `ann-${Math.floor(r() * 300)}`, labelled_at: new Date(Date.now() + k * 10 + e).toISOString() };
      });
      const id = `d_${k}_${randomBytes(4).toString('hex')}`; const ts = Math.floor(Date.now() / 1000); const body = JSON.stringify({ events });
      return { body, headers: { ...json, 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(secret, id, ts, body) } };
    });
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < reqs.length) {
        const q = reqs[next++];
        const res = await fetch(new URL('/v1/webhooks/labels/prof', w.url), { method: 'POST', body: q.body, headers: q.headers });
        if (res.status !== 200) throw new Error(`delivery ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    }));
    const fireS = (performance.now() - t0) / 1000;
    const trace = await (await fetch(new URL('/__bench/trace', w.url))).json();
    // Replay: each batch in one transaction, each member timed.
    const db = new DatabaseSync(copy);
    const by = new Map();
    let batches = 0; let failed = 0; let total = 0;
    for (const rec of trace) {
      const members = rec.members ?? [{ sql: rec.sql, args: rec.args }];
      if (!rec.members && !/^(INSERT|UPDATE|DELETE)/i.test(rec.sql.trim())) continue; // reads outside batches: not the write cost
      batches++;
      db.exec('BEGIN');
      try {
        for (const m of members) {
          const t = performance.now();
          db.prepare(m.sql).all(...m.args.map((a) => (typeof a === 'boolean' ? Number(a) : a)));
          const ms = performance.now() - t;
          total += ms;
          const k = kind(m.sql);
          const e = by.get(k) ?? { ms: 0, n: 0 };
          e.ms += ms; e.n++;
          by.set(k, e);
        }
        db.exec('COMMIT');
      } catch { db.exec('ROLLBACK'); failed++; }
    }
    db.close();
    const rows = [...by].sort((a, b) => b[1].ms - a[1].ms);
    const lines = rows.map(([k, e]) => `| \`${k}\` | ${fmt(e.n)} | ${fmt(e.ms, 0)} ms | ${fmt((1000 * e.ms) / N, 1)} µs | ${fmt((100 * e.ms) / total, 1)} % |`);
    const markdown = `\`npm run bench -- profile-webhooks-d1\` (opt-in)

${fmt(N)} deliveries of 1–5 events over 8 slices in 8 item partitions, ${IN_FLIGHT} in flight (${fmt(fireS, 1)} s through Miniflare), then their ${fmt(batches)} D1 write batches replayed in node:sqlite on a copy of the database taken just before (${failed} aborted by a guard, as they were live): **${fmt((1000 * total) / N, 0)} µs of raw SQLite per delivery**, by statement:

| statement | count | time | per delivery | share |
|---|---|---|---|---|
${lines.join('\n')}`;
    return { markdown };
  } finally {
    await w.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}
