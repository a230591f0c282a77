// BENCHMARKS.md is shared by several benchmarks: each owns the text between its
// `<!-- name:start -->` and `<!-- name:end -->` markers and replaces only that (appending the
// section when it is not there yet).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './worker.mjs';

export const BENCHMARKS = join(ROOT, 'BENCHMARKS.md');

export function writeSection(name, body, file = BENCHMARKS) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures written by `scripts/bench/*.mjs`; each section is replaced by its own script.\n';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

/** A one-line description of the machine, for the figures' context. */
export async function machine() {
  const os = await import('node:os');
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}
