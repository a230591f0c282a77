// The release gate on the demo world (scripts/demo/world.ts) at the demo's own size (1,000 items
// per region): v3 brings one new cause — the threshold fix's side effect, false alarms near the
// threshold (THR.MARGIN) in a region it does not target — so v3 must fail the gate in that
// region alone, with THR.MARGIN (or the failure rate it raises) in every regressed cell, and pass
// where plants persist unchanged, where v3 fixes one, and where none was planted.
import { describe, it, expect, beforeAll } from 'vitest';
import { exports } from 'cloudflare:workers';
import { generateWorld, type World } from '../../../scripts/demo/world.ts';
import { pushWorld } from '../../../scripts/demo/push.ts';
import { ADMIN, api } from '../helpers.ts';

const workerFetch = (req: Request) => (exports as unknown as { default: { fetch: (r: Request) => Promise<Response> } }).default.fetch(req);
const OPTS = { seed: 7, regions: ['BR', 'IN', 'US', 'KE', 'DE', 'NG', 'MX', 'JP'], itemsPerRegion: 1000, versions: 3 };

let world: World;
let leak: string;
let chosen: Record<string, string>;

describe('release gate on the demo world', () => {
  beforeAll(async () => {
    world = generateWorld(OPTS);
    const planted = new Set(world.plants.flatMap((p) => p.regions));
    const plantOf = (cause: string) => world.plants.find((p) => p.cause === cause)!;
    leak = world.sideEffects[0].regions[0];
    chosen = {
      [leak]: 'side effect appears in v3',
      [plantOf('threshold').regions[0]]: 'plant fixed in v3',
      [plantOf('asr_language').regions[0]]: 'plant present in v2 and v3',
      [OPTS.regions.find((r) => !planted.has(r) && r !== leak)!]: 'nothing planted',
    };
    // Only what the v3 gate reads (v2 and v3 of these regions): the push stays short.
    const slices = world.slices.filter((s) => chosen[s.region] && s.model.version !== '1');
    const pushed = await pushWorld({ slices }, { fetch: workerFetch, baseUrl: 'http://avlm.test', token: ADMIN, concurrency: 4 });
    expect(pushed).toMatchObject({ failed: 0, conflicts: 0 });
  }, 300_000);

  it('the fixture covers the four kinds of region', () => {
    expect(Object.keys(chosen)).toHaveLength(4);
    expect(world.sideEffects).toEqual([expect.objectContaining({ version: '3', signature: 'THR.MARGIN', regions: [leak] })]);
  });

  it('v3 fails the gate in the side effect\'s region only, on THR.MARGIN', async () => {
    const r = await api('/v1/models/avlm/versions/3/gate');
    expect(r.status).toBe(200);
    expect(r.data).toMatchObject({ version: '3', baseline: '2', pass: false });
    const verdicts = Object.fromEntries(r.data.regions.map((x: any) => [x.region, x.verdict]));
    expect(verdicts).toEqual(Object.fromEntries(Object.keys(chosen).sort().map((c) => [c, c === leak ? 'fail' : 'pass'])));
    const cells = r.data.regions.find((x: any) => x.region === leak).regressed;
    expect(cells.some((c: any) => c.signature === 'THR.MARGIN')).toBe(true);
    for (const c of cells) expect(['*', 'THR.MARGIN']).toContain(c.signature);
  });
});
