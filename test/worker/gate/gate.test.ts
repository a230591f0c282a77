// The release gate (SPEC §14) through HTTP: every region's verdict and regressed cells are
// recomputed here from the counts this test submits — the pooled two-proportion z-test
// (test/worker/stats.ts) and Benjamini–Hochberg written out below, not the service's statistics.
import { describe, it, expect, beforeAll } from 'vitest';
import { api, createKey, item, submit } from '../helpers.ts';
import { pz } from '../stats.ts';

const M = 'gatem';
const SUP = 'FUS.SUPPRESS.audio';
const MARGIN = 'THR.MARGIN';
// Item kinds and the primary signature each one gets.
const kinds = {
  tn: (id: string, policy: string) => item(id, { policy, label: { violating: false }, prediction: { score: 0.1 } }),
  sup: (id: string, policy: string) => item(id, { policy, label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } }),
  margin: (id: string, policy: string) => item(id, { policy, label: { violating: false }, prediction: { score: 0.55 } }),
};
type Counts = { n: number; sup?: number; margin?: number };
type Side = Record<string, Counts>; // policy → counts
// region → version → policy → counts. Versions are submitted in order 1, 2, 3 (2's predecessor is 1).
const DATA: Record<string, Record<string, Side>> = {
  // Suppression rises sharply: both hate.slur cells regress → fail.
  BR: { 1: { 'hate.slur': { n: 200, sup: 5 } }, 2: { 'hate.slur': { n: 200, sup: 30 } }, 3: { 'hate.slur': { n: 200, sup: 6 } } },
  // Improves: pass.
  IN: { 1: { 'hate.slur': { n: 100, sup: 30 } }, 2: { 'hate.slur': { n: 100, sup: 5 } }, 3: { 'hate.slur': { n: 100, sup: 5 } } },
  // hate.slur rises with p ≈ 0.048 < 0.05 in its two cells, but BH over the region's four tested
  // cells gives q ≈ 0.095: pass (a per-cell test would have failed it).
  MX: { 1: { 'hate.slur': { n: 100, sup: 10 }, 'adult.nudity': { n: 100, margin: 10 } }, 2: { 'hate.slur': { n: 100, sup: 20 }, 'adult.nudity': { n: 100, margin: 10 } } },
  // A new false-alarm signature in a second policy: fail in that policy only.
  DE: { 1: { 'hate.slur': { n: 80, sup: 4 }, 'adult.nudity': { n: 120 } }, 2: { 'hate.slur': { n: 80, sup: 4 }, 'adult.nudity': { n: 120, margin: 25 } } },
  // Too few items in the baseline (n 20 < 30), though the rate jumps: no_data.
  CO: { 1: { 'hate.slur': { n: 20, sup: 1 } }, 2: { 'hate.slur': { n: 100, sup: 60 } } },
  // Data in the new version only: no_data.
  AR: { 2: { 'hate.slur': { n: 150, sup: 90 } } },
};

function items(side: Side) {
  const out: unknown[] = [];
  for (const [policy, c] of Object.entries(side)) {
    const add = (k: number, kind: keyof typeof kinds) => { for (let i = 0; i < k; i++) out.push(kinds[kind](`${policy}-${kind}${i}`, policy)); };
    add(c.sup ?? 0, 'sup');
    add(c.margin ?? 0, 'margin');
    add(c.n - (c.sup ?? 0) - (c.margin ?? 0), 'tn');
  }
  return out;
}

/** Benjamini–Hochberg (step-up): q_(i) = min over j ≥ i of p_(j) · m / j, capped at 1. */
function bh(ps: number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const q = new Array<number>(m);
  let min = 1;
  for (let j = m - 1; j >= 0; j--) {
    min = Math.min(min, (order[j][0] * m) / (j + 1));
    q[order[j][1]] = min;
  }
  return q;
}

type Expected = { verdict: string; regressed: Array<{ policy: string; signature: string; q: number; diff: number }> };
/** The verdict of one region, by hand: cells are per policy "*" and each signature with a count. */
function expected(before: Side | undefined, after: Side | undefined): Expected {
  const total = (s?: Side) => Object.values(s ?? {}).reduce((t, c) => t + c.n, 0);
  if (total(before) < 30 || total(after) < 30) return { verdict: 'no_data', regressed: [] };
  const cells: Array<{ policy: string; signature: string; k1: number; n1: number; k2: number; n2: number }> = [];
  for (const policy of new Set([...Object.keys(before!), ...Object.keys(after!)])) {
    const b = before![policy] ?? { n: 0 }, a = after![policy] ?? { n: 0 };
    const fail = (c: Counts) => (c.sup ?? 0) + (c.margin ?? 0);
    cells.push({ policy, signature: '*', k1: fail(b), n1: b.n, k2: fail(a), n2: a.n });
    if ((b.sup ?? 0) + (a.sup ?? 0) > 0) cells.push({ policy, signature: SUP, k1: b.sup ?? 0, n1: b.n, k2: a.sup ?? 0, n2: a.n });
    if ((b.margin ?? 0) + (a.margin ?? 0) > 0) cells.push({ policy, signature: MARGIN, k1: b.margin ?? 0, n1: b.n, k2: a.margin ?? 0, n2: a.n });
  }
  const tested = cells.filter((c) => c.n1 >= 30 && c.n2 >= 30);
  const qs = bh(tested.map((c) => pz(c.k2, c.n2, c.k1, c.n1)));
  const regressed = tested.map((c, i) => ({ policy: c.policy, signature: c.signature, q: qs[i], diff: c.k2 / c.n2 - c.k1 / c.n1 }))
    .filter((c) => c.q < 0.05 && c.diff > 0);
  return { verdict: regressed.length ? 'fail' : 'pass', regressed };
}

function checkAgainst(body: any, from: string, to: string, regions = Object.keys(DATA)) {
  const want = regions.filter((r) => DATA[r][from] || DATA[r][to]).sort();
  expect(body.regions.map((r: any) => r.region)).toEqual(want);
  for (const r of body.regions) {
    const e = expected(DATA[r.region][from], DATA[r.region][to]);
    expect(r.verdict, r.region).toBe(e.verdict);
    expect(r.regressed.map((c: any) => `${c.policy}/${c.signature}`).sort(), r.region).toEqual(e.regressed.map((c) => `${c.policy}/${c.signature}`).sort());
    for (const c of r.regressed) {
      const x = e.regressed.find((y) => y.policy === c.policy && y.signature === c.signature)!;
      expect(c.q).toBeCloseTo(x.q, 5);
      expect(c.diff.value).toBeCloseTo(x.diff, 9);
    }
  }
  expect(body.pass).toBe(body.regions.every((r: any) => expected(DATA[r.region][from], DATA[r.region][to]).verdict !== 'fail'));
}

describe('release gate', () => {
  beforeAll(async () => {
    for (const version of ['1', '2', '3']) {
      for (const [region, byVersion] of Object.entries(DATA)) {
        if (!byVersion[version]) continue;
        const r = await submit(region, { slice_id: `${M}-${region}-${version}`, model: { id: M, version, stage: 'sft' }, items: items(byVersion[version]) });
        expect(r.status, `${region} v${version}: ${JSON.stringify(r.data)}`).toBe(201);
      }
    }
  });

  it('gates a version against its predecessor: verdicts and regressed cells as recomputed by hand', async () => {
    const r = await api(`/v1/models/${M}/versions/2/gate`);
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ model: M, version: '2', baseline: '1', pass: false });
    checkAgainst(r.data, '1', '2');
    // The fixture's intent, so a change to it cannot make the test vacuous.
    const verdicts = Object.fromEntries(r.data.regions.map((x: any) => [x.region, x.verdict]));
    expect(verdicts).toEqual({ AR: 'no_data', BR: 'fail', CO: 'no_data', DE: 'fail', IN: 'pass', MX: 'pass' });
    expect(r.data.regions.find((x: any) => x.region === 'DE').regressed.map((c: any) => [c.policy, c.signature]).sort())
      .toEqual([['adult.nudity', '*'], ['adult.nudity', MARGIN]]);
    const de = r.data.regions.find((x: any) => x.region === 'DE').regressed[0];
    expect(de.from).toMatchObject({ count: 0, n: 120 });
    expect(de.to).toMatchObject({ count: 25, n: 120 });
  });

  it('controls the false discovery rate over the region\'s cells: a raw p < 0.05 is not enough', async () => {
    expect(pz(20, 100, 10, 100)).toBeLessThan(0.05);
    const mx = (await api(`/v1/models/${M}/versions/2/gate`)).data.regions.find((x: any) => x.region === 'MX');
    expect(mx).toMatchObject({ verdict: 'pass', regressed: [], n: { baseline: 200, version: 200 } });
  });

  it('agrees with compare: the regressed cells are the compare cells whose verdict is regressed', async () => {
    const gate = (await api(`/v1/models/${M}/versions/2/gate`)).data;
    for (const region of ['BR', 'DE', 'MX', 'IN']) {
      const cmp = (await api(`/v1/regions/${region}/compare?model=${M}&from=1&to=2`)).data;
      const fromCompare = cmp.cells.filter((c: any) => c.verdict === 'regressed').map((c: any) => ({ policy: c.policy, signature: c.signature, q: c.q }));
      const g = gate.regions.find((x: any) => x.region === region);
      expect(g.regressed.map((c: any) => ({ policy: c.policy, signature: c.signature, q: c.q })), region).toEqual(fromCompare);
    }
  });

  it('takes ?baseline= and passes when no region fails', async () => {
    const r = await api(`/v1/models/${M}/versions/3/gate?baseline=2`);
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ version: '3', baseline: '2' });
    checkAgainst(r.data, '2', '3');
    // v3 has data in BR and IN only; every other region is in v2 alone.
    expect(r.data.regions.filter((x: any) => x.verdict !== 'no_data').map((x: any) => [x.region, x.verdict])).toEqual([['BR', 'pass'], ['IN', 'pass']]);
    expect(r.data.pass).toBe(true);
    // v3's predecessor is 2: the default baseline.
    expect((await api(`/v1/models/${M}/versions/3/gate`)).data.baseline).toBe('2');
  });

  it('a region key sees only its regions, and pass is over them', async () => {
    const inOnly = await createKey(['IN', 'MX'], ['read']);
    const r = await api(`/v1/models/${M}/versions/2/gate`, { token: inOnly });
    expect(r.status).toBe(200);
    expect(r.data.regions.map((x: any) => x.region)).toEqual(['IN', 'MX']);
    expect(r.data.pass).toBe(true);
    checkAgainst(r.data, '1', '2', ['IN', 'MX']);
    const br = await createKey(['BR'], ['read']);
    expect((await api(`/v1/models/${M}/versions/2/gate`, { token: br })).data).toMatchObject({ pass: false, regions: [{ region: 'BR', verdict: 'fail' }] });
    const submitOnly = await createKey(['BR'], ['submit']);
    const s = await api(`/v1/models/${M}/versions/2/gate`, { token: submitOnly });
    expect(s.status).toBe(403);
    expect(s.data.error.message).toMatch(/read/);
  });

  it('404 naming an unknown model, version or baseline; 404 for a first version without baseline; 400 for baseline = version', async () => {
    const cases: Array<[string, number, RegExp]> = [
      [`/v1/models/nomodel/versions/2/gate`, 404, /^model: .*nomodel/],
      [`/v1/models/${M}/versions/9/gate`, 404, /^version: .*'9'/],
      [`/v1/models/${M}/versions/2/gate?baseline=7`, 404, /^baseline: .*'7'/],
      [`/v1/models/${M}/versions/1/gate`, 404, /^baseline: .*no predecessor/],
      [`/v1/models/${M}/versions/2/gate?baseline=2`, 400, /^baseline: /],
      [`/v1/models/${M}/versions/2/gate?baseline=`, 400, /^baseline: /],
    ];
    for (const [path, status, message] of cases) {
      const r = await api(path);
      expect(r.status, path).toBe(status);
      expect(r.data.error.message, path).toMatch(message);
    }
    // The first version against an explicit later baseline works (a rollback check).
    const back = await api(`/v1/models/${M}/versions/1/gate?baseline=2`);
    expect(back.status).toBe(200);
    checkAgainst(back.data, '2', '1');
  });
});
