// `npm run demo -- [--url http://127.0.0.1:8787] [--regions 120] [--items 1000] [--seed 42]
//                  [--versions 3] [--concurrency 4] [--if-empty]`
//
// Writes the demo platform — eval slices for N regions × 3 versions of the AVLM, with
// planted causes (scripts/demo/world.ts) — through the public HTTP API of a running service,
// as the regional teams would. Admin token: $ADMIN_TOKEN, else ADMIN_TOKEN in .dev.vars.
//
// Regions: the first N of the fixed demo set DEMO_REGIONS (120 markets, biggest first:
// BR, IN, US, ID, DE, FR, JP, NG, …) that GET /v1/regions knows, with the languages it
// lists; beyond 120, the other seeded regions in code order.
// --if-empty: do nothing when the first region's first slice is already stored (so a
// restarted `npm start` does not redo it). Re-running without it is harmless: every slice
// already stored answers 200.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO_REGIONS, demoSliceId, generateRegionSlices, planWorld, type RegionSpec } from './demo/world.ts';
import { addCounts, emptyCounts, getJson, pushWorld, recordInterventions } from './demo/push.ts';
import { hiddenPlants, hiddenSliceItems } from './demo/discovery.ts';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.DEMO_URL ?? 'http://127.0.0.1:8787' },
    regions: { type: 'string', default: '120' },
    // 1,000 items per region and version (360k items): ~175 MB of local state; 2,000 took ~325 MB.
    items: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '42' },
    versions: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    model: { type: 'string', default: 'avlm' },
    'if-empty': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

function adminToken(): string {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  for (const f of ['.dev.vars']) {
    if (!existsSync(f)) continue;
    const m = /^\s*ADMIN_TOKEN\s*=\s*"?([^"\n]*)"?\s*$/m.exec(readFileSync(f, 'utf8'));
    if (m?.[1]) return m[1].trim();
  }
  console.error('[demo] no admin token: set ADMIN_TOKEN or put ADMIN_TOKEN=… in .dev.vars');
  process.exit(2);
}

const int = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) { console.error(`[demo] --${name} must be an integer ≥ ${min}`); process.exit(2); }
  return n;
};

const base = args.url!.replace(/\/+$/, '');
const token = adminToken();
const nRegions = int('regions', args.regions, 1);
const items = int('items', args.items, 100);
const seed = int('seed', args.seed, 0);
const versions = int('versions', args.versions, 1);
const concurrency = int('concurrency', args.concurrency, 1);
const api = { fetch: (r: Request) => fetch(r), baseUrl: base, token };

const listed = await getJson(api, '/v1/regions');
if (listed.status !== 200) {
  console.error(`[demo] GET ${base}/v1/regions → ${listed.status} ${JSON.stringify(listed.body).slice(0, 300)}`);
  process.exit(1);
}
const known = new Map<string, RegionSpec>((listed.body.regions as Array<{ code: string; languages: string[] }>).map((r) => [r.code, { code: r.code, languages: r.languages }]));
const ordered = [
  ...DEMO_REGIONS.filter((c) => known.has(c)),
  ...[...known.keys()].filter((c) => !DEMO_REGIONS.includes(c)).sort(),
];
if (nRegions > ordered.length) console.warn(`[demo] only ${ordered.length} regions are seeded; using all of them`);
const regions = ordered.slice(0, nRegions).map((c) => known.get(c)!);

const plan = planWorld({ seed, regions, itemsPerRegion: items, versions, model: args.model });
const firstId = demoSliceId(regions[0].code, plan.versions[0].version);
if (args['if-empty']) {
  const r = await getJson(api, `/v1/regions/${regions[0].code}/slices/${firstId}`);
  if (r.status === 200) {
    console.log(`[demo] ${regions[0].code}/${firstId} is already stored: demo data present, nothing to do (--if-empty)`);
    process.exit(0);
  }
}

const total = regions.length * plan.versions.length;
console.log(`[demo] ${regions.length} regions × ${plan.versions.length} versions × ${items} items (seed ${seed}) → ${base}`);
const t0 = Date.now();
let counts = emptyCounts();
// Region batches keep memory flat: a batch's slices are generated, pushed, then dropped.
const BATCH = Math.max(concurrency, 4);
for (let i = 0; i < regions.length; i += BATCH) {
  const slices = regions.slice(i, i + BATCH).flatMap((r) => generateRegionSlices(plan, r.code));
  const c = await pushWorld({ slices }, {
    ...api, concurrency,
    onSlice: (r) => { if (r.outcome === 'failed' || r.outcome === 'conflict') console.error(`[demo] ${r.region}/${r.slice_id}: ${r.outcome}: ${r.error}`); },
  });
  counts = addCounts(counts, c);
  if (!args.quiet) {
    const s = (Date.now() - t0) / 1000;
    console.log(`[demo] ${counts.slices}/${total} slices (${counts.created} new, ${counts.existing} already there) — ${s.toFixed(0)} s`);
  }
}

// Closing the loop: the intervention records between the versions (skipped when identical ones are listed).
const ints = counts.failed || counts.conflicts ? null : await recordInterventions({ model: plan.model, interventions: plan.interventions }, api);
if (ints) counts.interventions = ints;

// Hidden slices for slice discovery (SPEC §11): a model of their own, one slice per region, half
// the regions with a plant no signature names (scripts/demo/discovery.ts).
const hidden = hiddenPlants(regions.map((r) => r.code));
const hiddenModel = { id: `${args.model}-discovery`, version: '1', stage: 'production' as const };
const hc = await pushWorld({ slices: regions.map((r) => ({
  region: r.code, slice_id: `${hiddenModel.id}-${r.code}-1`, model: hiddenModel,
  items: hiddenSliceItems(r.code, items, hidden.planted.get(r.code), seed), truth: { planted: [], expected: {}, failures: 0, pending: 0 },
})) }, { ...api, concurrency });
counts.failed += hc.failed;
counts.conflicts += hc.conflicts;

const secs = (Date.now() - t0) / 1000;
console.log(`\n[demo] slices: ${counts.slices} (${counts.created} created, ${counts.existing} already stored, ${counts.async} async, ${counts.conflicts} conflicts, ${counts.failed} failed; ${counts.retries} retries) in ${secs.toFixed(1)} s`);
console.log(`[demo] items: ${counts.items} (${counts.failures} failures, ${counts.excluded} excluded as LBL.AMBIG, ${counts.pending} pending for the GPU backend)`);
console.log(`[demo] planted causes (${plan.plants.length}):`);
for (const p of plan.plants) {
  const where = p.regions.join(',');
  const fix = p.fixedIn ? `, fixed in v${p.fixedIn}` : '';
  const extra = [p.policy, p.language && `language ${p.language}`, p.vendor && `vendor ${p.vendor}`].filter(Boolean).join(', ');
  console.log(`  ${p.id.padEnd(6)} ${p.cause.padEnd(19)} ${p.expectSignature.padEnd(19)} → ${p.expectIntervention.padEnd(23)} ${p.failuresPerSlice}/slice in v${p.versions.join(',v')}${fix}; ${extra ? `${extra}; ` : ''}regions ${where}`);
}
if (ints) {
  console.log(`[demo] intervention records: ${ints.recorded} recorded, ${ints.existing} already there, ${ints.failed} failed${ints.errors.length ? ` (${ints.errors.join('; ')})` : ''}`);
  for (const [i, r] of plan.interventions.entries()) {
    const fx = r.collateral.map((c) => `, collateral ${c.verdict} ${c.signature} in ${c.region}`).join('');
    console.log(`  ${r.intervention.padEnd(23)} v${r.version} ${r.targets.signatures.join(',')} in ${r.targets.regions.join(',')} → expect ${r.expect}${fx}${ints.ids[i] ? `: ${base}/scorecards/interventions/${ints.ids[i]}` : ''}`);
  }
}
console.log(`[demo] hidden slices for discovery (model ${hiddenModel.id}, ${hc.created} slices created, ${hc.existing} already there):`);
for (const p of hidden.plants) console.log(`  ${p.id} ${p.predicates.map(([f, v]) => `${f}=${v}`).join(' & ')} → ${p.lands}; regions ${p.regions.join(',')}`);
// The release gate of the last version against its predecessor (SPEC §14): the regions a new
// cause appears in (the threshold fix's side effect) fail; the others pass.
if (plan.versions.length > 1) {
  const last = plan.versions[plan.versions.length - 1].version;
  const g = await getJson(api, `/v1/models/${encodeURIComponent(plan.model)}/versions/${last}/gate`);
  if (g.status !== 200) console.error(`[demo] release gate of v${last}: ${g.status} ${JSON.stringify(g.body).slice(0, 300)}`);
  else {
    const by = (v: string) => (g.body.regions as Array<{ region: string; verdict: string; regressed: Array<{ policy: string; signature: string }> }>).filter((r) => r.verdict === v);
    console.log(`[demo] release gate of v${last} against v${g.body.baseline}: ${g.body.pass ? 'PASS' : 'FAIL'} — fails in ${by('fail').map((r) => `${r.region} (${[...new Set(r.regressed.map((c) => c.signature))].join(', ')})`).join(', ') || 'no region'}; ${by('pass').length} pass, ${by('no_data').length} no data${plan.sideEffects.length ? `; planted side effect: ${plan.sideEffects.map((fx) => `${fx.signature} in ${fx.regions.join(',')}`).join('; ')}` : ''}: ${base}/scorecards/gate?model=${encodeURIComponent(plan.model)}&version=${last}`);
  }
}
console.log(`[demo] e.g. ${base}/scorecards/${plan.plants[0]?.regions[0] ?? regions[0].code}, ${base}/scorecards/${hidden.plants[0]?.regions[0] ?? regions[0].code}?model=${hiddenModel.id}#discovery`);
if (counts.conflicts) console.error(`[demo] ${counts.conflicts} slice ids hold other content (generated with other --seed/--items/--regions?). Reset the local D1 (rm -rf .wrangler/state) to start over.`);
process.exit(counts.failed || counts.conflicts || counts.interventions.failed ? 1 : 0);
