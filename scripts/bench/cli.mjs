// CLI benchmark: a CSV of the bench's generated items (lib/gen.mjs; one dotted column per field,
// README "Command line") submitted end to end by `avlm-diag submit` — its check pass, the
// streamed POST with a content-length, and polling until `complete` — beside the same items as
// an NDJSON file POSTed by curl (`-T file -X POST`: curl streams the file with its length) and
// polled the same way. Timed from the process start to `complete`; peak RSS of the client
// process (VmHWM of /proc/<pid>/status). One run each per size, CLI first, in one Worker
// (Miniflare, wrangler.toml's limits: up to STREAM_INGEST_BYTES the body is ingested while it
// streams and answers 201; above, 202 and the queue consumer).
// BENCH_CLI_ROWS: comma-separated sizes (default 100000,1000000).
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateItems } from './lib/gen.mjs';
import { ROOT, ADMIN_TOKEN, startWorker, sleep, fmt, mib } from './lib/worker.mjs';

export const title = 'Command line (avlm-diag submit)';

const SIZES = (process.env.BENCH_CLI_ROWS ?? '100000,1000000').split(',').map(Number);
const REGION = 'BR';
const MODEL = { id: 'avlm-bench-cli', stage: 'production' };
const POLL_MS = 200;
const PROBES = ['audio_only', 'visual_only', 'text_only', 'no_audio', 'no_visual', 'no_text', 'policy_context'];
const COLUMNS = ['item_id', 'content_id', 'surface', 'language', 'policy', 'label.violating', 'label.source', 'label.votes', 'label.evidence',
  'label.adversarial', 'prediction.score', 'prediction.threshold', 'prediction.parse_ok', 'prediction.grounded', ...PROBES.map((p) => `probes.${p}`),
  'signals.asr_confidence', 'signals.ocr_confidence', 'live.stream_id', 'live.segment', 'live.onset_ms', 'live.flag_ms', 'media.video_uri', 'media.audio_uri'];

const at = (it, path) => path.split('.').reduce((v, k) => v?.[k], it);
function csvCell(v) {
  if (v === undefined || v === null) return '';
  const s = Array.isArray(v) ? (typeof v[0] === 'object' ? JSON.stringify(v) : v.join('|')) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes the CSV and the NDJSON (with its header line) of n items, in 1 MiB pieces. */
function writeFiles(dir, n, policies, sliceId, model) {
  const csv = join(dir, `items-${n}.csv`); const nd = join(dir, `items-${n}.ndjson`);
  const fc = openSync(csv, 'w'); const fn = openSync(nd, 'w');
  let c = `${COLUMNS.join(',')}\n`; let j = `${JSON.stringify({ slice_id: sliceId, model })}\n`;
  for (const it of generateItems({ n, seed: 3, policies })) {
    c += `${COLUMNS.map((k) => csvCell(at(it, k))).join(',')}\n`;
    j += `${JSON.stringify(it)}\n`;
    if (c.length > 1 << 20) { writeSync(fc, c); c = ''; }
    if (j.length > 1 << 20) { writeSync(fn, j); j = ''; }
  }
  writeSync(fc, c); writeSync(fn, j); closeSync(fc); closeSync(fn);
  return { csv, nd };
}

const hwm = (pid) => { try { return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024; } catch { return 0; } };

/** Runs a command; resolves with its exit code, output and the highest VmHWM seen. */
function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = ''; let err = ''; let peak = 0;
    const t = setInterval(() => { peak = Math.max(peak, hwm(child.pid)); }, 50);
    child.stdout.on('data', (d) => { out += d; peak = Math.max(peak, hwm(child.pid)); });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', () => { peak = Math.max(peak, hwm(child.pid)); });
    child.on('close', (code) => { clearInterval(t); resolve({ code, out, err, peak }); });
  });
}

async function pollComplete(w, sliceId) {
  for (;;) {
    const g = await w.api('GET', `/v1/regions/${REGION}/slices/${sliceId}`);
    if (g.status === 200 && g.json.status === 'complete') return g.json;
    if (g.status === 200 && g.json.status === 'failed') throw new Error(`slice ${sliceId} failed: ${g.json.error}`);
    await sleep(POLL_MS);
  }
}

export async function run_({ log }) {
  log('[cli] starting the Worker in Miniflare…');
  const w = await startWorker({ maxBatchTimeout: 0.05 });
  const dir = mkdtempSync(join(tmpdir(), 'avlm-bench-cli-'));
  const rows = [];
  try {
    const policies = (await w.api('GET', '/v1/policies')).json.policies.map((p) => ({ code: p.code, threshold: p.threshold }));
    for (const n of SIZES) {
      const version = `v${n}`;
      const model = { ...MODEL, version };
      const t0 = performance.now();
      const f = writeFiles(dir, n, policies, `curl-${n}`, model);
      const csvBytes = statSync(f.csv).size; const ndBytes = statSync(f.nd).size;
      log(`[cli] ${fmt(n)} rows: CSV ${fmt(mib(csvBytes), 1)} MiB, NDJSON ${fmt(mib(ndBytes), 1)} MiB (written in ${fmt(performance.now() - t0)} ms)`);

      const c0 = performance.now();
      const cli = await run(process.execPath, [join(ROOT, 'cli/avlm-diag.js'), 'submit', '--region', REGION, '--model', model.id, '--version', version,
        '--stage', model.stage, '--slice-id', `cli-${n}`, '--poll-ms', String(POLL_MS), '--json', f.csv], { AVLM_URL: String(w.url), AVLM_KEY: ADMIN_TOKEN });
      const cliMs = performance.now() - c0;
      if (cli.code !== 0) throw new Error(`avlm-diag exited ${cli.code}: ${cli.err.slice(-800)}`);
      const cliSummary = JSON.parse(cli.out);
      if (cliSummary.items !== n) throw new Error(`CLI slice holds ${cliSummary.items} items, sent ${n}`);
      const path = /waiting/.test(cli.err) ? 'queue (202)' : 'stream (201)';
      // The CLI's own phase lines: its check pass, the POST (conversion and upload together), the wait.
      const phase = (re) => Number(re.exec(cli.err)?.[1] ?? NaN) * 1000;
      const phases = { checkMs: phase(/checked [\d,]+ rows in ([\d.]+) s/), sendMs: phase(/sent in ([\d.]+) s/), waitMs: phase(/after ([\d.]+) s of waiting/) };
      log(`  avlm-diag: ${fmt(cliMs)} ms → ${fmt(n / (cliMs / 1000))} items/s, peak RSS ${fmt(mib(cli.peak), 1)} MiB, ${path}; check ${fmt(phases.checkMs)} ms, send ${fmt(phases.sendMs)} ms, wait ${Number.isNaN(phases.waitMs) ? '–' : fmt(phases.waitMs)} ms`);

      const u0 = performance.now();
      const curl = await run('curl', ['-sS', '-X', 'POST', '-T', f.nd, '-H', `authorization: Bearer ${ADMIN_TOKEN}`, '-H', 'content-type: application/x-ndjson',
        '-w', '\n%{http_code}', new URL(`/v1/regions/${REGION}/slices`, w.url).href]);
      const status = Number(curl.out.trim().split('\n').pop());
      if (status !== 201 && status !== 202) throw new Error(`curl POST → ${status} ${curl.out.slice(0, 300)} ${curl.err}`);
      const curlSummary = await pollComplete(w, `curl-${n}`);
      const curlMs = performance.now() - u0;
      if (curlSummary.items !== n) throw new Error(`curl slice holds ${curlSummary.items} items`);
      log(`  curl: ${fmt(curlMs)} ms → ${fmt(n / (curlMs / 1000))} items/s, peak RSS ${fmt(mib(curl.peak), 1)} MiB, ${status}`);
      const same = ['failures', 'excluded', 'pending'].every((k) => cliSummary[k] === curlSummary[k]);
      rows.push({ n, csvBytes, ndBytes, path, cliMs, ...phases, cliPeak: cli.peak, curlMs, curlPeak: curl.peak, curlStatus: status, same });
      rmSync(f.csv); rmSync(f.nd);
    }
  } finally {
    await w.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const ms = (x) => (Number.isNaN(x) ? '–' : fmt(x));
  const table = rows.map((r) => `| ${fmt(r.n)} | ${fmt(mib(r.csvBytes), 1)} / ${fmt(mib(r.ndBytes), 1)} | ${r.path} | ${fmt(r.cliMs)} (${ms(r.checkMs)} + ${ms(r.sendMs)} + ${ms(r.waitMs)}) | ${fmt(r.n / (r.cliMs / 1000))} | ${fmt(mib(r.cliPeak), 1)} | ${fmt(r.curlMs)} | ${fmt(r.n / (r.curlMs / 1000))} | ${fmt(mib(r.curlPeak), 1)} | ${r.same ? 'yes' : '**no**'} |`);
  const markdown = [
    'A CSV of the bench\'s generated items (scripts/bench/lib/gen.mjs, seed 3; ' + COLUMNS.length + ' dotted columns as in the README\'s column mapping) submitted by `avlm-diag submit FILE.csv` (a first pass checks every row and measures the body; the second streams it as NDJSON with its content-length; then it polls until `complete`), beside the same items as an NDJSON file sent by `curl -T FILE.ndjson -X POST` (curl streams the file with its length) and polled the same way. Time from starting the process to the slice being `complete`; peak RSS is the client process\'s VmHWM. One run each per size, the CLI first, in one Worker (Miniflare; wrangler.toml\'s STREAM_INGEST_BYTES = 64 MB: below it the body is ingested while it streams, 201; above, 202 and the queue consumer). `npm run bench -- cli` (sizes: `BENCH_CLI_ROWS=100000,1000000`).',
    '',
    '| rows | CSV / NDJSON MiB | server path | avlm-diag ms (check + send + wait) | avlm-diag items/s | avlm-diag peak RSS MiB | curl ms | curl items/s | curl peak RSS MiB | same summary |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---|',
    ...table,
    '',
    'Reading it: the CLI converts every row twice — the check pass (which finds a bad cell before anything is sent, and measures the body so it can go with a content-length, which gives slices up to STREAM_INGEST_BYTES the streamed 201 path) and again while it sends — so its time is the check pass plus the longer of its conversion and the Worker\'s ingest of the body; curl only reads bytes. Its peak RSS does not grow with the file (csv-parse streams records, the body leaves in 64 KiB pieces under backpressure): the difference between the sizes is V8 heap headroom, not the data. On these 2-vCPU machines the CLI, curl and workerd share the CPU with other work (the load average in the run line): compare figures within one run only.',
  ].join('\n');
  return { markdown, data: rows };
}

export { run_ as run };
