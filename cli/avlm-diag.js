#!/usr/bin/env node
// `avlm-diag` — the command line for regional teams (README "Command line"). Plain ESM with
// JSDoc types so it runs on Node 20 without a build step. Configuration: AVLM_URL and AVLM_KEY,
// or --url / --key. Exit codes: 0 done, 1 the server refused (4xx, a failed slice) or the file
// has a bad row, 2 bad usage, 3 the server stayed unreachable or failing after the retries (or the
// slice still processing after --wait-s).
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createApiClient } from '../client/index.js';
import { COMMANDS, need } from './commands.js';
import { RetryableError, ServerError, UsageError } from './errors.js';
import { render } from './output.js';
import { submit } from './submit.js';

const USAGE = `usage: avlm-diag <command> [options]

  submit --region BR --model avlm --version 4 --stage alignment [--slice-id ID] FILE
         FILE: .ndjson/.jsonl, .json, .csv or .parquet (columns: README "Command line")
  slice --region BR SLICE_ID [--wait]
  scorecard --region BR --model avlm --version 4
  compare --region BR --model avlm --from 3 --to 4
  gate --model avlm --version 4 [--baseline 3]   exit 1 when the gate fails, 0 when it passes, 2 on any error
  models
  items --region BR --model avlm --version 4 [--policy P] [--signature S] [--outcome FN] [--slice-id ID] [--filter attr.k=v …] [--limit N] [--cursor C] [--export csv|ndjson]
  discovery --model avlm --version 4 [--region BR [--policy P]] [--signature UNEXPLAINED]
  slices --region BR [--model avlm [--version 4]] [--limit N [--cursor C]]   (newest first; no --limit: every page)
  keys create --regions BR,MX --scopes submit,read [--note TEXT] | keys list [--all] | keys revoke KEY_ID
  vendors [list] | vendors show NAME | vendors create NAME [--scheme S] [--signature-header H] [--id-header H] [--secret-env VAR]
          | vendors rotate NAME [--overlap-seconds N] [--secret-env VAR]   (VAR holds the vendor's own secret)
  subscriptions [list] | subscriptions show ID | subscriptions delete ID | subscriptions deliveries ID [--limit N]
          | subscriptions create --hook-url URL --regions BR,MX|* --events slice.completed,version.regression,…

options: --url (AVLM_URL, default http://localhost:8787)  --key (AVLM_KEY)  --json  --quiet
         --retries N (5)  --backoff-ms MS (1000)  --poll-ms MS (1000)  --wait-s S (3600: give up waiting)`;

const OPTIONS = /** @type {const} */ ({
  url: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  retries: { type: 'string' }, 'backoff-ms': { type: 'string' }, 'poll-ms': { type: 'string' }, 'wait-s': { type: 'string' },
  region: { type: 'string' }, model: { type: 'string' }, version: { type: 'string' }, stage: { type: 'string' }, 'slice-id': { type: 'string' },
  from: { type: 'string' }, to: { type: 'string' }, wait: { type: 'boolean' }, baseline: { type: 'string' }, all: { type: 'boolean' },
  limit: { type: 'string' }, cursor: { type: 'string' },
  policy: { type: 'string' }, signature: { type: 'string' }, outcome: { type: 'string' }, export: { type: 'string' }, filter: { type: 'string', multiple: true },
  regions: { type: 'string' }, scopes: { type: 'string' }, note: { type: 'string' },
  scheme: { type: 'string' }, 'signature-header': { type: 'string' }, 'id-header': { type: 'string' }, 'overlap-seconds': { type: 'string' },
  'secret-env': { type: 'string' },
  'hook-url': { type: 'string' }, events: { type: 'string' },
});

/** @param {unknown} v @param {string} name @param {number} dflt */
function count(v, name, dflt) {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name}: expected a whole number, got ${JSON.stringify(v)}`);
  return n;
}

/** @param {string[]} argv @returns {Promise<number>} the exit code */
async function main(argv) {
  let parsed;
  try { parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }); } catch (e) {
    process.stderr.write(`${/** @type {Error} */ (e).message}\n${USAGE}\n`); return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || !command) { (command ? process.stdout : process.stderr).write(`${USAGE}\n`); return values.help ? 0 : 2; }
  const json = !!values.json;
  const log = (/** @type {string} */ s) => { if (!values.quiet) process.stderr.write(`${s}\n`); };
  try {
    const url = values.url ?? process.env.AVLM_URL ?? 'http://localhost:8787';
    const key = values.key ?? process.env.AVLM_KEY;
    if (!key) throw new UsageError('no key: set AVLM_KEY or pass --key');
    const api = createApiClient({ url, key });
    const base = { api, log, retries: count(values.retries, 'retries', 5), backoffMs: count(values['backoff-ms'], 'backoff-ms', 1000), pollMs: count(values['poll-ms'], 'poll-ms', 1000), waitS: count(values['wait-s'], 'wait-s', 3600) };
    const ctx = { ...base, values, args };
    let out;
    if (command === 'submit') {
      if (args.length !== 1) throw new UsageError('submit: give exactly one FILE');
      const model = { id: need(ctx, 'model'), version: need(ctx, 'version'), stage: need(ctx, 'stage') };
      const summary = await submit({ ...base, file: args[0], region: need(ctx, 'region'), model, sliceId: values['slice-id'], url, key, quiet: !!values.quiet });
      out = { kind: 'slice', data: summary };
    } else if (Object.hasOwn(COMMANDS, command)) out = await COMMANDS[command](ctx);
    else throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    const stream = /** @type {{ stream?: ReadableStream<Uint8Array> }} */ (out).stream;
    if (stream) await pipeline(Readable.fromWeb(/** @type {any} */ (stream)), process.stdout, { end: false });
    else process.stdout.write(`${render(out.kind, out.data, json)}\n`);
    return /** @type {{ exitCode?: number }} */ (out).exitCode ?? 0;
  } catch (e) {
    const err = /** @type {Error & { exitCode?: number, error?: unknown }} */ (e);
    if (json && err instanceof ServerError) process.stdout.write(`${JSON.stringify({ error: err.error, status: err.status })}\n`);
    process.stderr.write(`avlm-diag: ${err.message}\n`);
    if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    return err.exitCode ?? (err instanceof RetryableError ? 3 : 1);
  }
}

process.exitCode = await main(process.argv.slice(2));
