// `npm run deploy:check`: builds the Worker exactly as `wrangler deploy` would (offline, via
// --dry-run) and fails when the compressed bundle exceeds the Workers size limit.
import { spawnSync } from 'node:child_process';

const LIMIT_KIB = Number(process.env.WORKER_GZIP_LIMIT_KIB ?? 3072); // free plan: 3 MiB gzip
const r = spawnSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', 'dist'], { encoding: 'utf8' });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
if (r.status !== 0) process.exit(r.status ?? 1);
const m = /gzip:\s*([\d.]+)\s*KiB/.exec(r.stdout + r.stderr);
if (!m) {
  console.error('deploy:check: could not read the bundle size from wrangler');
  process.exit(1);
}
const kib = Number(m[1]);
console.log(`deploy:check: bundle ${kib} KiB gzip (limit ${LIMIT_KIB} KiB)`);
if (kib > LIMIT_KIB) process.exit(1);
