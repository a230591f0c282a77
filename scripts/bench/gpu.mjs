// The GPU-backend part of `npm run bench`: runs gpu-backend/bench.ts (the inference server
// over HTTP vs raw InferenceSession.run, dynamic batching on/off, for the committed tiny model
// and the compute-bound variant) in its own Node process and returns its Markdown; the
// runner (scripts/bench.mjs) writes it between <!-- gpu:start --> and <!-- gpu:end -->.
//
//   npm run bench -- gpu                                   through the runner (writes BENCHMARKS.md)
//   node --experimental-strip-types gpu-backend/bench.ts   directly (prints; --write for BENCHMARKS.md)
//
// Env: BENCH_GPU_ARGS = extra arguments for gpu-backend/bench.ts (e.g. "--seconds 0.3 --rounds 2").
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const title = 'GPU backend: inference server';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function run({ log = console.log } = {}) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 6)) {
    throw new Error(`gpu-backend/bench.ts needs Node >= 22.6 (type stripping); this is ${process.version} — use the repository's node (node_modules/node/bin)`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'avlm-gpu-bench-'));
  try {
    const md = join(tmp, 'gpu.md');
    const json = join(tmp, 'gpu.json');
    const extra = (process.env.BENCH_GPU_ARGS ?? '').split(/\s+/).filter(Boolean);
    log(`[gpu] node --experimental-strip-types gpu-backend/bench.ts ${extra.join(' ')}`.trimEnd());
    const code = await new Promise((res) => {
      const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', join(ROOT, 'gpu-backend/bench.ts'), '--md', md, '--json', json, ...extra], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'], // progress on stderr; the Markdown comes back through --md
      });
      // Stopped with the runner's part (its timeout sends SIGTERM): stop the bench, which stops its servers.
      const stop = () => child.kill('SIGTERM');
      process.once('SIGTERM', stop);
      child.on('exit', (c, signal) => {
        process.off('SIGTERM', stop);
        res(c ?? signal);
      });
    });
    if (code !== 0) throw new Error(`gpu-backend/bench.ts exited ${code}`);
    // The runner adds its own command line and run metadata under the heading.
    const markdown = readFileSync(md, 'utf8').replace(/^(## [^\n]*\n)\n`[^\n]*\n/, '$1');
    return { markdown, data: JSON.parse(readFileSync(json, 'utf8')) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await run();
  console.log(r.markdown);
}
