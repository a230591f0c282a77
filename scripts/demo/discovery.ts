// Hidden slices for slice discovery (issue 15, SPEC §11): a deterministic world of items with
// `attributes` (creator tier, category, device, duration, verified) in which some regions carry
// a planted slice — one or two predicates, on attributes and on existing features — whose items
// fail far more often for a cause no signature names: their failures land in UNEXPLAINED
// (probes present, firing no rule) or spread over UNPROBED (no probes). Other regions carry no
// plant at all, so that false discoveries can be counted. Pure and Workers-compatible (no node:).
import type { EvalItem } from '../../taxonomy/types.ts';
import { mulberry32 } from '../../gpu-backend/model/spec.ts';

export interface HiddenPlant {
  id: string;
  /** The slice, as discovery reports it: features by name, `attr.` for attributes. */
  predicates: Array<[string, string]>;
  /** Where its failures land. */
  lands: 'UNEXPLAINED' | 'UNPROBED';
  regions: string[];
}

export const ATTRIBUTES = {
  creator_tier: ['new', 'growing', 'established'],
  category: ['music', 'news', 'gaming', 'sports', 'education', 'comedy'],
  device: ['android', 'ios', 'web'],
  duration: ['short', 'medium', 'long'],
} as const;

/** Plants cycle over the first regions given; every third region from the 13th on has none. */
const PLANT_SHAPES: Array<Omit<HiddenPlant, 'regions' | 'id'>> = [
  { predicates: [['attr.creator_tier', 'new']], lands: 'UNEXPLAINED' },
  { predicates: [['attr.category', 'gaming'], ['language', 'ar']], lands: 'UNEXPLAINED' },
  { predicates: [['attr.device', 'android'], ['attr.duration', 'long']], lands: 'UNPROBED' },
  { predicates: [['surface', 'short'], ['attr.verified', 'false']], lands: 'UNEXPLAINED' },
  { predicates: [['attr.category', 'news']], lands: 'UNPROBED' },
];

export interface DiscoveryWorld { plants: HiddenPlant[]; planted: Map<string, HiddenPlant>; free: string[] }

/** Which regions carry which plant: half the regions carry one (cycling over the shapes), half none. */
export function hiddenPlants(regions: readonly string[]): DiscoveryWorld {
  const planted = new Map<string, HiddenPlant>();
  const plants: HiddenPlant[] = PLANT_SHAPES.map((s, i) => ({ ...s, id: `hidden-${i + 1}`, regions: [] }));
  const free: string[] = [];
  regions.forEach((r, i) => {
    if (i % 2 === 1) { free.push(r); return; }
    const p = plants[(i / 2) % plants.length];
    p.regions.push(r);
    planted.set(r, p);
  });
  return { plants, planted, free };
}

const LANGS = ['pt-BR', 'es', 'en', 'ar', 'fr'];
const POLICIES = ['hate.slur', 'violence.graphic', 'adult.nudity'];
const SURFACES = ['vod', 'short', 'image'] as const;
/** Failure rates: the background, and inside a planted slice. */
const BASE_FAIL = 0.06;
const PLANT_FAIL = 0.3;

function seedOf(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * `n` items of a region (ids `${prefix}${i}`): decisions correct but for a background of
 * failures (no probes: UNPROBED), plus the plant's when the item is in the planted slice (with
 * `UNEXPLAINED`, probes that all stay on the model's side, so no rule fires).
 */
export function hiddenSliceItems(region: string, n: number, plant: HiddenPlant | undefined, seed = 42, prefix = 'h'): EvalItem[] {
  const r = mulberry32(seedOf(`${seed}|${region}`));
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: EvalItem[] = [];
  for (let i = 0; i < n; i++) {
    const attributes: Record<string, string | boolean> = {};
    for (const [k, vs] of Object.entries(ATTRIBUTES)) attributes[k] = pick(vs);
    attributes.verified = r() < 0.6;
    const item: EvalItem = {
      item_id: `${prefix}${i}`, surface: pick(SURFACES), language: pick(LANGS), policy: pick(POLICIES),
      label: { violating: false, source: pick(['internal', 'vendor-a']) }, prediction: { score: 0, threshold: 0.5 }, attributes,
    };
    const feats: Record<string, string> = { surface: item.surface, language: item.language!.slice(0, 2) };
    for (const [k, v] of Object.entries(attributes)) feats[`attr.${k}`] = String(v);
    const inPlant = !!plant && plant.predicates.every(([f, v]) => feats[f] === v);
    // The score is drawn first, away from the threshold, and the label then makes the decision
    // right or wrong: failures are spread over score bands like correct decisions (a score band
    // is no hidden slice here), and never look like a threshold margin.
    const score = r() < 0.5 ? r() * 0.4 : 0.6 + r() * 0.39;
    const says = score >= 0.5;
    const background = r() < BASE_FAIL;
    const planted = !background && inPlant && r() < (PLANT_FAIL - BASE_FAIL) / (1 - BASE_FAIL);
    item.label!.violating = background || planted ? !says : says;
    item.prediction!.score = score;
    if (planted && plant!.lands === 'UNEXPLAINED') {
      // Probes present, each on the model's (wrong) side: no perception, fusion or policy rule fires.
      const v = !says;
      item.probes = { audio_only: 0.1 * r(), visual_only: 0.1 * r(), text_only: 0.1 * r(), no_audio: 0.05 * r(), no_visual: 0.05 * r(), no_text: 0.05 * r(), policy_context: v ? 0.05 * r() : 0.95 + 0.04 * r() };
    }
    out.push(item);
  }
  return out;
}
