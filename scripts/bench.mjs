// `npm run bench [-- part …] [-- --no-write]`: runs the benchmark parts in scripts/bench/*.mjs in
// sequence, each in its own Node process, prints their Markdown and writes it into BENCHMARKS.md
// (one section per part, replaced in place; other sections are kept).
//
//   npm run bench                   all parts that are not opt-in (ingest, scorecard, then the rest)
//   npm run bench -- ingest         one part (several: -- ingest scorecard)
//   npm run bench -- profile-ingest opt-in parts run only when named
//   npm run bench -- --no-write     print only
//
// A part is a module scripts/bench/<name>.mjs exporting `run({log})` (or a default function)
// that resolves to {markdown, data?} or a Markdown string; optional `export const title` (the
// section heading) and `export const optIn = true` (skipped unless named). Helpers live in
// scripts/bench/lib/. Env knobs (for quick runs; the defaults are the documented sizes):
// BENCH_INGEST_ITEMS, BENCH_INGEST_RUNS, BENCH_SCORECARD_ITEMS, BENCH_SCORECARD_FIRST,
// BENCH_SCORECARD_REGIONS, BENCH_PART_TIMEOUT_S (default 480), BENCH_SRC (another checkout).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'scripts/bench');
const OUT = join(ROOT, 'BENCHMARKS.md');
const ORDER = ['ingest', 'scorecard'];
const TIMEOUT_S = Number(process.env.BENCH_PART_TIMEOUT_S ?? 480);

const args = process.argv.slice(2);
const write = !args.includes('--no-write');
const named = args.filter((a) => !a.startsWith('--'));

process.removeAllListeners('warning');
const available = readdirSync(DIR).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4))
  .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
for (const n of named) if (!available.includes(n)) { console.error(`no part '${n}' (have: ${available.join(', ')})`); process.exit(2); }

async function isOptIn(name) {
  // Cheap check without importing (importing may start work in script-style parts).
  return /export\s+const\s+optIn\s*=\s*true/.test(readFileSync(join(DIR, `${name}.mjs`), 'utf8'));
}
const parts = named.length ? named : (await Promise.all(available.map(async (n) => ((await isOptIn(n)) ? null : n)))).filter(Boolean);

const sh = (cmd, a) => { const r = spawnSync(cmd, a, { cwd: ROOT, encoding: 'utf8' }); return r.status === 0 ? r.stdout.trim() : ''; };
function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? '?';
  const pkg = (p) => { try { return JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version; } catch { return '?'; } };
  return {
    nproc: sh('nproc', []) || String(cpus().length), cpu, memGiB: (totalmem() / 2 ** 30).toFixed(1), node: process.version, kernel: release(),
    miniflare: pkg('miniflare'), workerd: pkg('workerd'), wrangler: pkg('wrangler'),
  };
}
const git = () => {
  if (process.env.BENCH_SRC) return `sources from BENCH_SRC=${process.env.BENCH_SRC}`; const c = sh('git', ['rev-parse', '--short', 'HEAD']); const dirty = sh('git', ['status', '--porcelain', '--', 'functions', 'taxonomy', 'db', 'wrangler.toml']); return c ? `${c}${dirty ? ' + uncommitted changes in functions/ taxonomy/ db/' : ''}` : '?'; };
const la = () => loadavg().map((x) => x.toFixed(2)).join(' / ');

function runPart(name) {
  const tmp = mkdtempSync(join(tmpdir(), 'avlm-bench-part-'));
  const out = join(tmp, 'result.json');
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(DIR, 'lib/run-part.mjs'), join(DIR, `${name}.mjs`), out], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, BENCH_RUNNER: '1' } });
    const timer = setTimeout(() => { console.error(`[bench] ${name}: over ${TIMEOUT_S} s, stopping it`); child.kill('SIGTERM'); }, TIMEOUT_S * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      let r = null;
      try { r = JSON.parse(readFileSync(out, 'utf8')); } catch { /* failed */ }
      rmSync(tmp, { recursive: true, force: true });
      res(r ?? { failed: true, markdown: `**Failed** (exit ${code ?? signal}); see the console output of \`npm run bench -- ${name}\`.` });
    });
  });
}

// Same markers as scripts/bench/lib/sections.mjs, so a part run directly and through this
// script owns one and the same section.
function replaceSection(doc, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return doc.trim() ? `${doc.trimEnd()}\n\n${block}\n` : `${block}\n`;
}

/** The header block (title, machine, commands) at the top of the file. */
function withHeader(doc, header) {
  if (doc.includes('<!-- header:start -->')) return replaceSection(doc, 'header', header);
  const rest = doc.replace(/^# Benchmarks\n+(?:[^<#\n][^\n]*\n)*\n*/, ''); // a bare title + intro written by a part
  return `<!-- header:start -->\n${header}\n<!-- header:end -->\n\n${rest.trimStart()}`;
}

const m = machine();
const header = [
  '# Benchmarks',
  '',
  'Generated by `npm run bench` (scripts/bench.mjs, parts in scripts/bench/); each section is rewritten when its part runs. Figures are from one machine and are only comparable with runs on the same machine.',
  '',
  `Machine: ${m.nproc} vCPU (\`nproc\`), ${m.cpu} (/proc/cpuinfo), ${m.memGiB} GiB RAM, Linux ${m.kernel}; Node ${m.node} (the \`node\` devDependency); miniflare ${m.miniflare}, workerd ${m.workerd}, wrangler ${m.wrangler}.`,
  '',
  'Commands:',
  '',
  '```sh',
  'npm run bench                     # all parts (ingest, scorecard, and any other scripts/bench/*.mjs not marked opt-in)',
  'npm run bench -- ingest           # one part; several: npm run bench -- ingest scorecard',
  'npm run bench -- profile-ingest   # opt-in: where ingest time goes (stage costs in workerd)',
  'npm run bench -- --no-write       # print only, leave this file alone',
  '```',
  '',
  'The Worker runs in-process under Miniflare (workerd) from an esbuild bundle of functions/index.ts, with local D1, R2 and the ingest Queue (producer + consumer) as in wrangler.toml and the migrations in db/migrations applied; requests go over real HTTP on loopback. Locally, workerd runs the Worker **and** the D1/R2/Queue simulators on one thread, so local throughput is bounded by their sum; on Cloudflare, D1 and R2 run elsewhere.',
].join('\n');

const t0 = Date.now();
console.log(`[bench] parts: ${parts.join(', ')} (load average ${la()})`);
const read = () => (existsSync(OUT) ? readFileSync(OUT, 'utf8') : '');
let printed = '';
let failed = 0;
for (const name of parts) {
  const before = la();
  const started = new Date();
  console.log(`\n[bench] ── ${name} ──`);
  const r = await runPart(name);
  if (r.failed) failed++;
  const title = r.title ?? name[0].toUpperCase() + name.slice(1);
  const meta = `_Run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${git()}, ${r.seconds ? `${r.seconds.toFixed(0)} s` : 'failed'}; load average (1 / 5 / 15 min) ${before} before, ${la()} after — the machine is shared: a load above ${m.nproc} means other work competed for the CPU._`;
  const selfWritten = !r.failed && /^\(the (part|module)/.test(r.markdown); // the part maintains its own section
  const md = /^##\s/.test(r.markdown.trim()) ? r.markdown.trim() : `## ${title}\n\n${r.markdown}`;
  const section = md.replace(/^(##[^\n]*\n)/, `$1\n\`npm run bench -- ${name}\`\n\n${meta}\n`);
  console.log(`\n${section}\n`);
  printed += `${section}\n\n`;
  // Written after each part, re-reading the file: parts may write their own sections meanwhile.
  if (write && !selfWritten && !(r.failed && read().includes(`<!-- ${name}:start -->`))) {
    writeFileSync(OUT, replaceSection(withHeader(read(), header), name, section).trimEnd() + '\n');
  }
}
if (write) { writeFileSync(OUT, withHeader(read(), header).trimEnd() + '\n'); console.log(`[bench] wrote ${OUT}`); }
console.log(`[bench] done in ${((Date.now() - t0) / 1000).toFixed(0)} s${failed ? `, ${failed} part(s) failed` : ''}`);
process.exit(failed ? 1 : 0);
