// Runs one benchmark part in its own process: `node run-part.mjs <module path> <result.json>`.
// The part exports `run(ctx)` (or a default function) returning {markdown, data?} or a string.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

process.removeAllListeners('warning'); // node:sqlite's ExperimentalWarning on Node 22
const [file, out] = process.argv.slice(2);
const t0 = performance.now();
const mod = await import(pathToFileURL(file).href);
const fn = typeof mod.run === 'function' ? mod.run : typeof mod.default === 'function' ? mod.default : null;
let result = fn ? await fn({ log: (...a) => console.log(...a) }) : null;
if (typeof result === 'string') result = { markdown: result };
writeFileSync(out, JSON.stringify({
  title: mod.title ?? null,
  markdown: result?.markdown ?? (fn ? '(the part returned no Markdown)' : '(the module ran on import and exported no `run`: see its console output)'),
  data: result?.data ?? null,
  seconds: (performance.now() - t0) / 1000,
}));
process.exit(0); // parts may leave handles (sockets) open
