// The threshold plant's proof for the planted benchmark (SPEC §12): the thr-a regions of the same
// world (seed, regions) at THR_ITEMS items per region, so the plant's policy cell reaches the
// n ≥ 200 a recommendation needs (at the benchmark's 300 items it holds ~50), pushed under their
// own model id into the same Worker; per region × version, the scorecard's recommendation and
// what it does to the plant's own items (scripts/demo/threshold-proof.ts), beside the v3 fix.
import { DEMO_REGIONS, generateRegionSlices, planWorld, sliceNdjson } from '../../demo/world.ts';
import { thresholdProof } from '../../demo/threshold-proof.ts';
import { ADMIN_TOKEN, fmt } from './worker.mjs';

const THR_ITEMS = Number(process.env.BENCH_PLANTED_THR_ITEMS ?? 2000);
const MODEL = 'avlm-thr';

export async function thresholdPlant(w, { seed, regions, items, log }) {
  const plan = planWorld({ seed, regions: DEMO_REGIONS.slice(0, regions), itemsPerRegion: THR_ITEMS, versions: 3, model: MODEL });
  const plant = plan.plants.find((p) => p.id === 'thr-a');
  if (!plant) return { markdown: '', ok: true };
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const rows = [];
  for (const region of plant.regions) {
    for (const s of generateRegionSlices(plan, region)) {
      const res = await fetch(new URL(`/v1/regions/${region}/slices`, w.url), { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: sliceNdjson({ ...s, slice_id: `thr-${s.slice_id}` }) }); // demo ids are per region × version, not per model
      if (res.status !== 201 && res.status !== 200) throw new Error(`thr-a ${region} v${s.model.version}: ${res.status} ${await res.text()}`);
      const sc = await (await fetch(new URL(`/v1/regions/${region}/scorecard?model=${MODEL}&version=${s.model.version}`, w.url), { headers: auth })).json();
      const op = sc.operating_points.find((o) => o.policy === plant.policy);
      const t = sc.thresholds.find((x) => x.policy === plant.policy) ?? null;
      rows.push({ region, version: s.model.version, n: op.tp + op.fp + op.tn + op.fn, op, t, proof: t ? thresholdProof(s, plant.id, t.threshold) : null });
    }
  }
  log(`[planted] thr-a at ${fmt(THR_ITEMS)} items per region: ${rows.filter((r) => r.t).length} recommendations in ${rows.length} region × versions`);
  const present = rows.filter((r) => plant.versions.includes(r.version));
  const sum = (f) => present.reduce((a, r) => a + (r.proof ? f(r.proof) : 0), 0);
  const plantedFp = sum((p) => p.now.fp);
  const removedFp = sum((p) => p.now.fp - p.then.fp);
  const before = sum((p) => p.now.fp + p.now.fn);
  const after = sum((p) => p.then.fp + p.then.fn);
  const allFp = present.filter((r) => r.proof && r.proof.then.fp === 0);
  const others = present.filter((r) => !(r.proof && r.proof.then.fp === 0));
  // What must hold: every region × version with the plant gets a recommendation that removes every planted false alarm.
  const ok = present.length > 0 && others.length === 0;
  const cell = (r) => {
    if (!r.t) return `— (no threshold costs less; FP ${r.op.fp}, FN ${r.op.fn})`;
    return `${r.t.threshold_now.toFixed(2)} → **${r.t.threshold.toFixed(2)}**: FP ${r.t.fp.now} → ${r.t.fp.then}, FN ${r.t.fn.now} → ${r.t.fn.then}, cost ${fmt(r.t.cost.now)} → ${fmt(r.t.cost.then)}`;
  };
  const markdown = [
    `### Threshold plant: the recommended threshold (SPEC §12) next to the v${plant.fixedIn} fix`,
    '',
    `The thr-a regions of the same world (seed ${seed}) at ${fmt(THR_ITEMS)} items per region (at the ${fmt(items)} items above, the plant's \`${plant.policy}\` cell holds too few items: a recommendation needs n ≥ 200), model \`${MODEL}\`, pushed into the same Worker. Per region × version: the scorecard's \`thresholds\` entry for \`${plant.policy}\` (cost = severity × FN + FP over every item of the cell), and that threshold applied to the plant's own items (planted false alarms just above the threshold, planted misses just below).`,
    '',
    `**${ok ? 'Every' : 'NOT every'} region × version with the plant gets a recommendation that removes every planted false alarm**: ${fmt(before)} → ${fmt(after)} planted failures (FP + FN) over the ${present.length}; ${fmt(removedFp)} of ${fmt(plantedFp)} planted false alarms removed, all of them in ${allFp.length} of ${present.length}${others.length ? ` (not in ${others.map((r) => `${r.region} v${r.version}`).join(', ')}: see the row)` : ''}. The plant is a threshold set too low for its regions: their violating \`${plant.policy}\` content scores above the region's threshold (the global one + 0.1) in every version, and the planted false alarms sit between the two, so the cheapest threshold of the whole cell lies above them. The planted misses sit below the threshold, where raising it cannot reach them; the v${plant.fixedIn} fix (a per-region threshold sent with the items, and the misses re-scored) leaves the whole cell with the FP and FN of its rows.`,
    '',
    `| region | version | n | threshold now → recommended (all items of the cell) | planted items | planted FP now → at recommended | planted FN now → at recommended |`,
    '|---|---|---:|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.region} | v${r.version}${r.version === plant.fixedIn ? ' (fix)' : ''} | ${fmt(r.n)} | ${cell(r)} | ${r.proof ? r.proof.planted : '—'} | ${r.proof ? `${r.proof.now.fp} → **${r.proof.then.fp}**` : '—'} | ${r.proof ? `${r.proof.now.fn} → ${r.proof.then.fn}` : '—'} |`),
  ].join('\n');
  return { markdown, ok, rows };
}
