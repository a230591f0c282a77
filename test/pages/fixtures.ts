// Slices for the page tests: several regions × two model versions with a mix of signatures
// (and one region with too few items), submitted through the real HTTP API.
import { apiJson } from './worker.ts';

export const MODEL = 'avlm';
export const VERSIONS = [{ version: '1', stage: 'sft' }, { version: '2', stage: 'alignment' }] as const;

const tn = (id: string, policy: string) => ({ item_id: id, surface: 'vod', policy, label: { violating: false, source: 'internal' }, prediction: { score: 0.1 } });
const tp = (id: string, policy: string) => ({ item_id: id, surface: 'vod', policy, label: { violating: true }, prediction: { score: 0.9 } });
const suppressed = (id: string, policy: string) => ({ item_id: id, surface: 'vod', policy, label: { violating: true, evidence: ['audio'] }, prediction: { score: 0.1 }, probes: { audio_only: 0.9 } });
const margin = (id: string, policy: string) => ({ item_id: id, surface: 'vod', policy, label: { violating: false }, prediction: { score: 0.55 } });
const unprobed = (id: string, policy: string) => ({ item_id: id, surface: 'vod', policy, label: { violating: true }, prediction: { score: 0.05 } });
const format = (id: string, policy: string) => ({ item_id: id, surface: 'vod', policy, label: { violating: true }, prediction: { score: 0.2, parse_ok: false } });
const shortcut = (id: string, policy: string) => ({ item_id: id, surface: 'vod', policy, label: { violating: false }, prediction: { score: 0.8 }, probes: { text_only: 0.9, no_text: 0.1 } });

type Mix = Array<[number, (id: string, policy: string) => unknown, string]>;

/** Per region and version: how many items of each kind (policy per kind). */
const PLAN: Record<string, Record<string, Mix>> = {
  BR: {
    '1': [[24, suppressed, 'hate.slur'], [6, margin, 'hate.slur'], [150, tn, 'hate.slur'], [20, tp, 'hate.slur'], [5, format, 'adult.nudity'], [60, tn, 'adult.nudity']],
    '2': [[8, suppressed, 'hate.slur'], [14, margin, 'hate.slur'], [160, tn, 'hate.slur'], [20, tp, 'hate.slur'], [2, format, 'adult.nudity'], [70, tn, 'adult.nudity']],
  },
  DE: {
    '1': [[4, margin, 'spam.scam'], [6, shortcut, 'spam.scam'], [140, tn, 'spam.scam'], [3, unprobed, 'hate.slur'], [80, tn, 'hate.slur']],
    '2': [[3, margin, 'spam.scam'], [2, shortcut, 'spam.scam'], [150, tn, 'spam.scam'], [2, unprobed, 'hate.slur'], [80, tn, 'hate.slur']],
  },
  IN: {
    '1': [[30, suppressed, 'hate.slur'], [12, unprobed, 'hate.slur'], [120, tn, 'hate.slur'], [9, shortcut, 'adult.nudity'], [60, tn, 'adult.nudity']],
    '2': [[18, suppressed, 'hate.slur'], [20, unprobed, 'hate.slur'], [120, tn, 'hate.slur'], [4, shortcut, 'adult.nudity'], [60, tn, 'adult.nudity']],
  },
  MX: {
    '1': [[10, margin, 'violence.graphic'], [100, tn, 'violence.graphic'], [4, format, 'violence.graphic']],
    '2': [[16, margin, 'violence.graphic'], [100, tn, 'violence.graphic'], [1, format, 'violence.graphic']],
  },
  JP: {
    '2': [[3, suppressed, 'hate.slur'], [17, tn, 'hate.slur']],
  },
};

export const REGIONS = Object.keys(PLAN).sort();

export async function submitFixtures(base: string): Promise<void> {
  for (const { version, stage } of VERSIONS) {
    for (const region of REGIONS) {
      const mix = PLAN[region][version];
      if (!mix) continue;
      const items = mix.flatMap(([n, make, policy], k) => Array.from({ length: n }, (_, i) => make(`${k}-${i}`, policy)));
      const r = await apiJson(base, `/v1/regions/${region}/slices`, { method: 'POST', body: { slice_id: `${region}-${version}`, model: { id: MODEL, version, stage }, items } });
      if (r.status !== 201) throw new Error(`submit ${region} v${version}: ${r.status} ${JSON.stringify(r.data)}`);
    }
  }
}
