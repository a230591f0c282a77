// The demo platform with planted causes, end to end inside workerd: a small world pushed
// through the Worker's own fetch (as a regional team would, NDJSON per region × version),
// then every planted cause must be found by the service (scorecards + item reads).
import { describe, it, expect, beforeAll } from 'vitest';
import { exports } from 'cloudflare:workers';
import { generateWorld, type World } from '../../scripts/demo/world.ts';
import { pushWorld, type PushCounts } from '../../scripts/demo/push.ts';
import { evaluateInterventions, evaluateRecovery, type RecoveryResult } from '../../scripts/demo/recovery.ts';
import { ADMIN, api } from './helpers.ts';

const workerFetch = (req: Request) => (exports as unknown as { default: { fetch: (r: Request) => Promise<Response> } }).default.fetch(req);
const BASE = 'http://avlm.test';
const OPTS = { seed: 7, regions: ['BR', 'IN', 'US', 'KE', 'DE', 'NG'], itemsPerRegion: 200, versions: 3 };

let world: World;
let first: PushCounts;
let recovery: RecoveryResult;

describe('demo world with planted causes', () => {
  beforeAll(async () => {
    world = generateWorld(OPTS);
    first = await pushWorld(world, { fetch: workerFetch, baseUrl: BASE, token: ADMIN, concurrency: 4 });
    recovery = await evaluateRecovery(world, workerFetch, BASE, ADMIN, { samplePerSlice: Infinity });
  }, 120_000);

  it('is deterministic: the same seed gives identical JSON, another seed does not', () => {
    expect(JSON.stringify(generateWorld(OPTS))).toBe(JSON.stringify(world));
    expect(JSON.stringify(generateWorld({ ...OPTS, seed: 8 }))).not.toBe(JSON.stringify(world));
  });

  it('plants every cause, each with the intervention the taxonomy ranks first for it', () => {
    const byCause = Object.fromEntries(world.plants.map((p) => [p.cause, p]));
    expect(Object.keys(byCause).sort()).toEqual(['asr_language', 'fusion_suppression', 'live_flicker', 'noisy_vendor', 'policy_gap', 'threshold']);
    expect(byCause.fusion_suppression).toMatchObject({ expectSignature: 'FUS.SUPPRESS.audio', expectIntervention: 'TRAIN.MODALITY_DROPOUT' });
    expect(byCause.asr_language).toMatchObject({ expectSignature: 'LANG.ASR', expectIntervention: 'ARCH.ASR_LANG', language: 'sw', regions: ['KE'] });
    expect(byCause.policy_gap).toMatchObject({ expectSignature: 'POL.GAP', expectIntervention: 'INF.POLICY_PROMPT' });
    expect(byCause.noisy_vendor).toMatchObject({ expectSignature: 'LBL.AMBIG', expectIntervention: 'LABEL.RELABEL' });
    expect(byCause.threshold).toMatchObject({ expectSignature: 'THR.MARGIN', expectIntervention: 'INF.THRESHOLD', fixedIn: '3', versions: ['1', '2'] });
    expect(byCause.live_flicker).toMatchObject({ expectSignature: 'TMP.FLIP', expectIntervention: 'INF.SMOOTHING' });
    expect(world.versions).toEqual([{ version: '1', stage: 'sft' }, { version: '2', stage: 'alignment' }, { version: '3', stage: 'production' }]);
  });

  it('stores one slice per region × version, with every item', async () => {
    expect(first).toMatchObject({ slices: 18, created: 18, existing: 0, conflicts: 0, failed: 0 });
    expect(first.items).toBe(6 * 3 * 200);
    for (const s of world.slices) {
      const r = await api(`/v1/regions/${s.region}/slices/${s.slice_id}`);
      expect(r.status).toBe(200);
      expect(['complete', 'probing']).toContain(r.data.status);
      expect(r.data).toMatchObject({ items: 200, failures: s.truth.failures });
      // Items sent with features and no prediction stay pending until the GPU backend fills
      // them in (asynchronously, when one answers); it decides them as labelled (no new failures).
      expect(r.data.pending).toBeLessThanOrEqual(s.truth.pending);
    }
  });

  it('recovers every planted cause (≥ 0.95) with the region\'s top recommendation matching', () => {
    for (const row of recovery.rows) {
      expect(row.share, `${row.cause}: ${JSON.stringify(row.misses)}`).toBeGreaterThanOrEqual(0.95);
      expect(row.topShare, `${row.cause}: ${JSON.stringify(row.misses)}`).toBeGreaterThanOrEqual(0.95);
      expect(row.spurious).toBe(0);
      expect(row.residual).toBe(0);
      expect(row.sampledMatches).toBe(row.sampled);
    }
    expect(recovery.rows.map((r) => r.cause).sort()).toEqual(['asr_language', 'fusion_suppression', 'live_flicker', 'noisy_vendor', 'policy_gap', 'threshold']);
    expect(recovery.agreement.share).toBe(1);
    expect(recovery.ok).toBe(true);
    expect(recovery.markdown).toMatch(/\| threshold \|/);
  });

  it('shows the fixes between versions: the threshold plant is gone in v3', async () => {
    const thr = world.plants.find((p) => p.cause === 'threshold')!;
    const region = thr.regions[0];
    const card = async (v: string) => (await api(`/v1/regions/${region}/scorecard?model=avlm&version=${v}`)).data;
    const count = (c: any) => c.by_signature.find((s: any) => s.code === 'THR.MARGIN')?.count ?? 0;
    expect(count(await card('2'))).toBe(thr.failuresPerSlice);
    expect(count(await card('3'))).toBe(0);
  });

  it('the noisy vendor has a quality route (its votes come inside items, under label.source) with the lowest agreement', async () => {
    const noisy = world.plants.find((p) => p.cause === 'noisy_vendor')!.vendor!;
    const voted = new Set(world.slices.flatMap((s) => s.items.filter((i) => i.label?.votes?.length).map((i) => i.label!.source!)));
    expect(voted.has(noisy)).toBe(true);
    const agreement = async (vendor: string) => {
      const q = await api(`/v1/vendors/${vendor}/quality`);
      expect(q.status, vendor).toBe(200);
      expect(q.data.summary.votes, vendor).toBeGreaterThan(0);
      return q.data.summary.agreement as number;
    };
    const mine = await agreement(noisy);
    for (const other of [...voted].filter((v) => v !== noisy)) expect(await agreement(other), other).toBeGreaterThan(mine);
  });

  it('re-pushing is idempotent: 200 for every slice, scorecards unchanged', async () => {
    // The failure side of each scorecard (pending items may be filled in by the GPU backend meanwhile).
    const cards = async () => Promise.all(world.slices.map(async (s) => {
      const c = (await api(`/v1/regions/${s.region}/scorecard?model=avlm&version=${s.model.version}`)).data;
      return {
        items: c.items, failures: c.failures, excluded: c.excluded,
        by_signature: c.by_signature.map((x: any) => [x.code, x.count]),
        recommendations: c.recommendations.map((r: any) => [r.intervention, r.recoverable]),
      };
    }));
    const before = await cards();
    const again = await pushWorld(world, { fetch: workerFetch, baseUrl: BASE, token: ADMIN });
    expect(again).toMatchObject({ slices: 18, created: 0, existing: 18, conflicts: 0, failed: 0, items: first.items, failures: first.failures });
    expect(again.results.every((r) => r.status === 200)).toBe(true);
    expect(await cards()).toEqual(before);
    // Intervention records are not idempotent by themselves: the push skips identical ones.
    expect(again.interventions).toMatchObject({ recorded: 0, existing: world.interventions.length, failed: 0 });
    expect(again.interventions.ids).toEqual(first.interventions.ids);
    for (const v of ['2', '3']) {
      const listed = (await api(`/v1/interventions?model=avlm&version=${v}`)).data.interventions;
      expect(listed).toHaveLength(world.interventions.filter((r) => r.version === v).length);
    }
  });

  it('records the planted interventions between the versions, and each gets the verdict it was planted with', async () => {
    expect(first.interventions).toMatchObject({ recorded: world.interventions.length, existing: 0, failed: 0 });
    // Small world (one region per cause): v3 fixes the threshold and flicker plants (effective);
    // INF.POLICY_PROMPT in v2 leaves the policy gap as it was (no_effect); the v3 threshold change
    // plants false alarms in a region it does not target (collateral, regressed).
    expect(world.interventions.map((r) => [r.intervention, r.version, r.expect])).toEqual([
      ['INF.POLICY_PROMPT', '2', 'no_effect'], ['INF.THRESHOLD', '3', 'effective'], ['INF.SMOOTHING', '3', 'effective'],
    ]);
    const thr = world.interventions.find((r) => r.intervention === 'INF.THRESHOLD')!;
    expect(thr.collateral).toEqual([{ region: world.sideEffects[0].regions[0], signature: 'THR.MARGIN', verdict: 'regressed' }]);
    expect(thr.targets.regions).not.toContain(world.sideEffects[0].regions[0]);
    const check = await evaluateInterventions(world, workerFetch, BASE, ADMIN);
    const missing = check.rows.filter((r) => r.reported === null);
    if (missing.length) console.error('attribution cells missing:', JSON.stringify(missing), JSON.stringify(check.reports));
    for (const row of check.rows) expect(row.reported, `${row.intervention} v${row.version} ${row.region} ${row.signature}`).toBe(row.expected);
    expect(check.rows.map((r) => r.expected).sort()).toEqual(['effective', 'effective', 'no_effect']);
    expect(check.collateral).toHaveLength(1);
    expect(check.collateral[0]).toMatchObject({ reported: 'regressed', ok: true });
    expect(check.collateral[0].q).toBeLessThan(0.05);
    expect(check.ok).toBe(true);
    expect(check.markdown).toMatch(/\| `INF.THRESHOLD` \| v3 \|/);
    // The side effect leaves the planted recovery alone (asserted above) and shows on the region's scorecard.
    const fx = world.sideEffects[0];
    const card = (await api(`/v1/regions/${fx.regions[0]}/scorecard?model=avlm&version=${fx.version}`)).data;
    expect(card.by_signature.find((s: any) => s.code === 'THR.MARGIN')?.count).toBe(fx.failuresPerSlice);
  });
});

describe('the demo\'s noisy vendor', () => {
  it('is reachable under the names the README uses: its raters vendor-nimbus-r01… agree less with the consensus than others', async () => {
    const plant = world.plants.find((p) => p.cause === 'noisy_vendor')!;
    expect(plant.vendor).toBe('vendor-nimbus');
    const noisy = await api('/v1/annotators/vendor-nimbus-r01');
    expect(noisy.status).toBe(200);
    // Votes inside submitted items are kept under the vendor their item's label.source names
    // (store/submitted-votes.ts).
    expect(noisy.data.vendors.map((v: any) => v.vendor)).toEqual(['vendor-nimbus']);
    const votes = world.slices.flatMap((sl) => sl.items.flatMap((i) => (i.label?.votes ?? []) as Array<{ annotator: string }>));
    const other = votes.map((v) => v.annotator).find((a) => !a.startsWith('vendor-nimbus-'))!;
    const calm = await api(`/v1/annotators/${other}`);
    expect(calm.status).toBe(200);
    expect(noisy.data.agreement).toBeLessThan(calm.data.agreement);
  });
});

describe('pushing a world', () => {
  it('sends one version after the other, so each version\'s predecessor is the one before it', async () => {
    const world = generateWorld({ ...OPTS, seed: 7 });
    const seen: string[] = [];
    let inFlight = 0;
    // A stand-in service that answers late and records the version of every slice it gets.
    const slow = async (req: Request) => {
      inFlight++;
      const header = JSON.parse((await req.text()).split('\n')[0]);
      seen.push(header.model.version);
      await new Promise((r) => setTimeout(r, 5 + (seen.length % 3) * 5));
      inFlight--;
      return new Response(JSON.stringify({ slice_id: header.slice_id, status: 'complete', items: 0, failures: 0, excluded: 0, pending: 0, by_signature: {} }), { status: 201, headers: { 'content-type': 'application/json' } });
    };
    await pushWorld({ slices: world.slices }, { fetch: slow, baseUrl: BASE, token: ADMIN, concurrency: 4 });
    expect(seen).toHaveLength(world.slices.length);
    expect(seen).toEqual([...seen].sort((a, b) => Number(a) - Number(b)));
    expect(new Set(seen)).toEqual(new Set(['1', '2', '3']));
    expect(inFlight).toBe(0);
  });
});
