// A demo platform with planted causes (ISSUE 3, item 4): a deterministic, pure generator of
// eval slices for ≥120 regions × 3 model versions of the AVLM, in which a few known causes of
// failure are planted in known regions, so that the diagnosis can be checked against them.
//
// Determinism: every random draw comes from mulberry32 seeded by (seed, region, purpose) —
// never Math.random — so the same options give byte-identical JSON on every machine.
// Workers-compatible: no node: imports (the worker tests import this file).
//
// How a region's data is built:
//   - one *eval set* per region (content, policy, label, votes, language, surface, live
//     streams), shared by every model version — as a regional team re-runs the same set;
//   - per version, the model's outputs (scores, probes) on that set. A planted cause makes
//     its items fail in the versions where it is present; a version that fixes it gets
//     them right (the comparison between versions then has something to show);
//   - a background: mostly correct decisions (TN/TP) and a baseline of failures that no
//     rule explains (UNPROBED, or UNEXPLAINED where probes ran), never near the threshold
//     and never carrying a planted signature, so each planted code counts only its plant.
//
// Every planted failure fires exactly its intended primary signature under the precedence
// of taxonomy/signatures/registry.ts (scripts/demo/verify.ts checks it item by item), and
// plant rates are set so the region's top recommendation (taxonomy/ranking.ts) is the one
// the plant calls for — including the high-cost ones (TRAIN.MODALITY_DROPOUT, ARCH.ASR_LANG),
// whose regions keep a small background so that cheap EVAL.PROBE does not outrank them.
import { countries } from 'countries-list';
import { POLICY_CODES, policyByCode, policyIndex } from '../../taxonomy/policies.ts';
import { defaultMapping } from '../../taxonomy/mappings.ts';
import { recommend } from '../../taxonomy/ranking.ts';
import type { EvalItem, Modality, Surface, Vote } from '../../taxonomy/types.ts';
import { featuresFor, mulberry32 } from '../../gpu-backend/model/spec.ts';

// ---------------------------------------------------------------------------------------
// Public shapes

export type Cause = 'fusion_suppression' | 'asr_language' | 'policy_gap' | 'noisy_vendor' | 'threshold' | 'live_flicker';

export interface Plant {
  /** Stable id, e.g. 'fus-a'. */
  id: string;
  cause: Cause;
  description: string;
  regions: string[];
  /** The policy the planted failures are on (absent: all policies, e.g. a noisy vendor). */
  policy?: string;
  /** The language the cause is tied to (asr_language). */
  language?: string;
  /** The labelling vendor the cause is tied to (noisy_vendor). */
  vendor?: string;
  /** Primary signature every planted failure should get (full code, or a family code). */
  expectSignature: string;
  /** The intervention the plant calls for: the top of the taxonomy's ranking for that signature. */
  expectIntervention: string;
  /** Model versions in which the cause is present. */
  versions: string[];
  /** The version that fixes it, when one does. */
  fixedIn?: string;
  /** Planted failures per region in each version where the cause is present. */
  failuresPerSlice: number;
}

export interface ModelVersion { version: string; stage: 'pretrain' | 'sft' | 'alignment' | 'production' }

/** What the generator knows about a slice: which items carry which plant, and every primary by construction. */
export interface SliceTruth {
  planted: Array<{ plant: string; cause: Cause; signature: string; policy?: string; items: string[] }>;
  /** Policy → primary code → failures, for every failure in the slice (planted and background). */
  expected: Record<string, Record<string, number>>;
  failures: number;
  pending: number;
}

export interface DemoSlice {
  region: string;
  slice_id: string;
  model: { id: string; version: string; stage: ModelVersion['stage'] };
  items: EvalItem[];
  truth: SliceTruth;
}

export interface World {
  model: string;
  seed: number;
  itemsPerRegion: number;
  versions: ModelVersion[];
  regions: RegionSpec[];
  slices: DemoSlice[];
  plants: Plant[];
  /** Damage a version's change does where it was not aimed (the collateral to find). */
  sideEffects: SideEffect[];
  /** Intervention records to write between the versions, with the verdicts they should get. */
  interventions: PlantedIntervention[];
}

/**
 * A side effect of a version's change in regions it does not target: in `version`, items
 * that every earlier version got right become false alarms just above the threshold
 * (`signature`, THR.MARGIN), `failuresPerSlice` per region.
 */
export interface SideEffect {
  id: string;
  description: string;
  /** The intervention whose change brings it (the one expected to show it as collateral). */
  intervention: string;
  version: string;
  regions: string[];
  signature: string;
  failuresPerSlice: number;
}

/** An intervention record the demo writes (POST /v1/interventions), and what its attribution should say. */
export interface PlantedIntervention {
  intervention: string;
  version: string;
  targets: { signatures: string[]; regions: string[] };
  note: string;
  applied_at: string;
  /** The plant it acts on. */
  plant: string;
  /** Expected verdict of every targeted (region, signature) cell: the plant is fixed in this version, or not. */
  expect: 'effective' | 'no_effect';
  /** Untargeted cells expected among the report's collateral. */
  collateral: Array<{ region: string; signature: string; verdict: 'improved' | 'regressed' }>;
}

export interface RegionSpec { code: string; languages: string[] }

export interface WorldOptions {
  seed: number;
  /** Region codes (languages from countries-list) or {code, languages}; the demo uses ≥120. */
  regions: Array<string | { code: string; languages?: readonly string[] }>;
  itemsPerRegion: number;
  /** How many of the three versions to generate (default 3). */
  versions?: number;
  /** Model id (default 'avlm'). */
  model?: string;
}

// ---------------------------------------------------------------------------------------
// The fixed, documented demo region set: 120 markets, biggest first (by population and
// platform traffic), all present in the seeded regions (countries-list). `npm run demo --
// --regions N` takes the first N of this list.

export const DEMO_REGIONS: readonly string[] = Object.freeze([
  'BR', 'IN', 'US', 'ID', 'DE', 'FR', 'JP', 'NG', 'MX', 'PH', 'VN', 'TR', 'EG', 'PK', 'BD', 'RU',
  'GB', 'IT', 'ES', 'KR', 'TH', 'ZA', 'AR', 'CO', 'KE', 'TZ', 'UG', 'ET', 'SA', 'AE', 'PL', 'UA',
  'CA', 'AU', 'NL', 'BE', 'SE', 'CH', 'AT', 'PT', 'GR', 'CZ', 'RO', 'HU', 'IL', 'MA', 'DZ', 'TN',
  'IQ', 'IR', 'CL', 'PE', 'VE', 'EC', 'GT', 'DO', 'BO', 'PY', 'UY', 'CR', 'PA', 'HN', 'SV', 'NI',
  'CU', 'JM', 'TT', 'MY', 'SG', 'TW', 'HK', 'LK', 'NP', 'MM', 'KH', 'LA', 'KZ', 'UZ', 'AZ', 'GE',
  'AM', 'BY', 'RS', 'HR', 'BG', 'SK', 'SI', 'LT', 'LV', 'EE', 'FI', 'NO', 'DK', 'IE', 'NZ', 'GH',
  'CI', 'SN', 'CM', 'CD', 'AO', 'MZ', 'ZW', 'ZM', 'RW', 'SD', 'LY', 'JO', 'LB', 'KW', 'QA', 'OM',
  'BH', 'YE', 'AF', 'MN', 'CN', 'ML', 'NE', 'BF',
]);

export const VERSIONS: readonly ModelVersion[] = Object.freeze([
  { version: '1', stage: 'sft' },
  { version: '2', stage: 'alignment' },
  { version: '3', stage: 'production' },
] as ModelVersion[]);

/** slice_id of a region's slice for a version: stable, so a re-push is idempotent (200). */
export const demoSliceId = (region: string, version: string) => `demo-${region}-v${version}`;

// ---------------------------------------------------------------------------------------
// Deterministic randomness

// The same PRNG the reference model's weights come from.
export { mulberry32 };

/** FNV-1a, 32 bits. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) { this.next = mulberry32(seed); }
  static for(seed: number, ...parts: Array<string | number>): Rng { return new Rng(hash32(`${seed}|${parts.join('|')}`)); }
  float(): number { return this.next(); }
  range(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]; }
  weighted<T>(pairs: ReadonlyArray<readonly [T, number]>): T {
    const total = pairs.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [v, w] of pairs) { x -= w; if (x < 0) return v; }
    return pairs[pairs.length - 1][0];
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const clamp01 = (x: number) => Math.min(0.999, Math.max(0.001, x));

// ---------------------------------------------------------------------------------------
// The causes: what each plants, on which policy, how strongly

interface CauseDef {
  cause: Cause;
  prefix: string;
  signature: string;
  policy?: string;
  /** Planted failures per slice, as a share of the region's items. */
  rate: number;
  /** Its intervention is high-cost: the region's background is kept small (see BG_RATE). */
  highCost: boolean;
  description: string;
}

const CAUSES: readonly CauseDef[] = [
  { cause: 'asr_language', prefix: 'asr', signature: 'LANG.ASR', policy: 'self_harm', rate: 0.08, highCost: true,
    description: 'speech in a language the ASR does not cover: spoken violations missed, asr_confidence < 0.5' },
  { cause: 'fusion_suppression', prefix: 'fus', signature: 'FUS.SUPPRESS.audio', policy: 'hate.slur', rate: 0.08, highCost: true,
    description: 'spoken slurs: audio alone flags them, the fused model drowns the audio' },
  { cause: 'policy_gap', prefix: 'pol', signature: 'POL.GAP', policy: 'regulated.goods', rate: 0.06, highCost: false,
    description: 'the model misreads the regulated-goods policy: with the policy text in context it decides right' },
  { cause: 'threshold', prefix: 'thr', signature: 'THR.MARGIN', policy: 'dangerous.acts', rate: 0.08, highCost: false,
    description: 'the global threshold is off for the region: near-threshold errors, mostly false alarms' },
  { cause: 'noisy_vendor', prefix: 'lbl', signature: 'LBL.AMBIG', rate: 0.06, highCost: false,
    description: 'a labelling vendor with noisy raters: split votes, the label itself is in doubt' },
  { cause: 'live_flicker', prefix: 'tmp', signature: 'TMP.FLIP', policy: 'adult.nudity', rate: 0.06, highCost: false,
    description: 'live streams flicker: one segment decided against both neighbours with the same label' },
];

/** Background failure rate per slice: small where the plant's intervention is high-cost. */
const BG_RATE = { normal: 0.02, highCost: 0.003 } as const;
/** Share of regions each cause is planted in (at least one region each). */
const PLANT_REGION_SHARE = 0.07;
/** Share of items with `features` and no prediction (for the GPU backend to fill). */
const FEATURES_SHARE = 0.02;
const LIVE_SHARE = { normal: 0.12, flicker: 0.4 } as const;

const NOISY_VENDOR = 'vendor-nimbus';
const VENDORS = ['internal', 'vendor-atlas', 'vendor-borealis', 'vendor-cirrus'] as const;
/** Languages the ASR covers well; the uncovered language is chosen among the others. */
const WELL_COVERED = new Set(['en', 'es', 'fr', 'de', 'pt', 'ru', 'zh', 'ja', 'ar', 'it', 'ko', 'nl', 'tr', 'pl', 'hi', 'id']);
const UNCOVERED_PREFERENCE = ['sw', 'ha', 'yo', 'am', 'tl', 'ur', 'bn', 'ta', 'ne', 'km', 'my', 'mn', 'ps', 'uz'];

const POLICY_MIX: ReadonlyArray<readonly [string, number]> = [
  ['hate.slur', 0.18], ['adult.nudity', 0.18], ['violence.graphic', 0.14], ['spam.scam', 0.16],
  ['dangerous.acts', 0.1], ['regulated.goods', 0.1], ['minor.safety', 0.06], ['self_harm', 0.08],
];

const thresholdOf = (policy: string) => policyByCode(policy)!.threshold;

/** The intervention the taxonomy ranks first for failures of that signature alone (default mapping). */
export function plantIntervention(signature: string, policy: string = POLICY_CODES[0]): string {
  const recs = recommend({
    failures: [{ signature, policy, failures: 1 }],
    mapping: (family) => defaultMapping(family),
    severity: (p) => policyByCode(p)!.severity,
  });
  if (recs.length === 0) throw new Error(`no intervention maps ${signature}`);
  return recs[0].intervention;
}

// ---------------------------------------------------------------------------------------
// Planning: regions, plants, languages

interface RegionPlan {
  code: string;
  /** BCP-47 tags of the region's traffic. */
  languages: string[];
  vendor: string;
  plants: Plant[];
  /** The cause planted here (one per region), when any. */
  cause?: CauseDef;
}

export interface WorldPlan {
  model: string;
  seed: number;
  itemsPerRegion: number;
  versions: ModelVersion[];
  regions: RegionSpec[];
  plants: Plant[];
  sideEffects: SideEffect[];
  interventions: PlantedIntervention[];
  /** The language the ASR does not cover (low asr_confidence wherever it is spoken). */
  uncoveredLanguage: string;
  byRegion: Map<string, RegionPlan>;
}

function normaliseRegions(regions: WorldOptions['regions']): RegionSpec[] {
  const seen = new Set<string>();
  const out: RegionSpec[] = [];
  for (const r of regions) {
    const code = typeof r === 'string' ? r : r.code;
    if (!/^[A-Z]{2}$/.test(code)) throw new RangeError(`region ${JSON.stringify(code)} is not an ISO 3166-1 alpha-2 code`);
    if (seen.has(code)) throw new RangeError(`region ${code} appears twice`);
    seen.add(code);
    const given = typeof r === 'string' ? undefined : r.languages;
    const known = (countries as Record<string, { languages: string[] } | undefined>)[code]?.languages;
    const langs = [...(given && given.length ? given : known && known.length ? known : ['en'])].map((l) => l.toLowerCase());
    out.push({ code, languages: langs });
  }
  return out;
}

const tag = (lang: string, region: string) => `${lang}-${region}`;
const baseLang = (t: string) => t.split('-')[0];

/** Plans the world: which region carries which plant, in which versions. Cheap; no items. */
export function planWorld(opts: WorldOptions): WorldPlan {
  const n = opts.itemsPerRegion;
  if (!Number.isInteger(n) || n < 100) throw new RangeError('itemsPerRegion must be an integer ≥ 100');
  const nv = opts.versions ?? 3;
  if (!Number.isInteger(nv) || nv < 1 || nv > VERSIONS.length) throw new RangeError(`versions must be 1..${VERSIONS.length}`);
  const versions = VERSIONS.slice(0, nv).map((v) => ({ ...v }));
  const vcodes = versions.map((v) => v.version);
  const regions = normaliseRegions(opts.regions);
  if (regions.length === 0) throw new RangeError('regions: at least one');
  const seed = opts.seed >>> 0;
  const rng = Rng.for(seed, 'plan');

  // The uncovered language: the preferred minority language spoken in the most regions.
  const speakers = (lang: string) => regions.filter((r) => r.languages.includes(lang)).length;
  const minority = [...new Set(regions.flatMap((r) => r.languages))].filter((l) => !WELL_COVERED.has(l));
  const candidates = [...UNCOVERED_PREFERENCE.filter((l) => speakers(l) > 0), ...minority.filter((l) => !UNCOVERED_PREFERENCE.includes(l))];
  const uncovered = candidates.length ? candidates.reduce((best, l) => (speakers(l) > speakers(best) ? l : best), candidates[0]) : 'sw';

  const order = rng.shuffle(regions.map((r) => r.code));
  const k = Math.max(1, Math.round(regions.length * PLANT_REGION_SHARE));
  const taken = new Set<string>();
  const assigned = new Map<Cause, string[]>();
  for (const def of CAUSES) {
    const pool = def.cause === 'asr_language'
      ? order.filter((c) => !taken.has(c) && regions.find((r) => r.code === c)!.languages.includes(uncovered))
      : order.filter((c) => !taken.has(c));
    const fallback = def.cause === 'asr_language' && pool.length === 0 ? order.filter((c) => !taken.has(c)).slice(0, 1) : [];
    const chosen = (pool.length ? pool : fallback).slice(0, k);
    if (chosen.length === 0) continue; // fewer regions than causes: this cause is not planted
    for (const c of chosen) taken.add(c);
    assigned.set(def.cause, chosen.sort());
  }

  const byRegion = new Map<string, RegionPlan>();
  for (const r of regions) {
    const vendor = VENDORS[hash32(`${seed}|vendor|${r.code}`) % VENDORS.length];
    const languages = r.languages.map((l) => tag(l, r.code));
    byRegion.set(r.code, { code: r.code, languages, vendor, plants: [] });
  }

  const plants: Plant[] = [];
  const add = (def: CauseDef, suffix: string, regs: string[], fixedIn?: string, extra: Partial<Plant> = {}) => {
    if (regs.length === 0) return;
    const active = fixedIn ? vcodes.filter((v) => Number(v) < Number(fixedIn)) : vcodes;
    const plant: Plant = {
      id: `${def.prefix}-${suffix}`, cause: def.cause, description: def.description, regions: [...regs],
      ...(def.policy ? { policy: def.policy } : {}), ...extra,
      expectSignature: def.signature, expectIntervention: plantIntervention(def.signature, def.policy),
      versions: active, ...(fixedIn && vcodes.includes(fixedIn) ? { fixedIn } : {}),
      failuresPerSlice: Math.max(1, Math.round(def.rate * n)),
    };
    plants.push(plant);
    for (const c of regs) {
      const rp = byRegion.get(c)!;
      rp.plants.push(plant);
      rp.cause = def;
      if (def.cause === 'noisy_vendor') rp.vendor = NOISY_VENDOR;
      if (def.cause === 'asr_language' && !rp.languages.some((t) => baseLang(t) === uncovered)) rp.languages.push(tag(uncovered, c));
    }
  };
  for (const def of CAUSES) {
    const regs = assigned.get(def.cause);
    if (!regs) continue;
    switch (def.cause) {
      case 'fusion_suppression': {
        // v2 (modality dropout) fixes fusion suppression in half of its regions.
        const half = Math.floor(regs.length / 2);
        add(def, 'a', regs.slice(half));
        add(def, 'b', regs.slice(0, half), '2');
        break;
      }
      case 'asr_language': add(def, 'a', regs, undefined, { language: uncovered }); break;
      case 'noisy_vendor': add(def, 'a', regs, undefined, { vendor: NOISY_VENDOR }); break;
      case 'threshold': add(def, 'a', regs, '3'); break; // v3: per-region threshold in production
      case 'live_flicker': add(def, 'a', regs, '3'); break; // v3: temporal smoothing in production
      default: add(def, 'a', regs);
    }
  }
  const { sideEffects, interventions } = planInterventions(plants, versions, order, n);
  return { model: opts.model ?? 'avlm', seed, itemsPerRegion: n, versions, regions, plants, sideEffects, interventions, uncoveredLanguage: uncovered, byRegion };
}

/** Share of the side effect's region's items that become false alarms. */
const SIDE_EFFECT_RATE = 0.06;
const appliedAt = (version: string) => `2026-${String(Math.min(12, 8 + Number(version))).padStart(2, '0')}-01T00:00:00.000Z`;

/**
 * Closing the loop (SPEC §5): the intervention records written between the versions.
 *   - every plant a version fixes: its intervention, recorded in that version, targeting the
 *     plant's signature in the plant's regions → effective (TRAIN.MODALITY_DROPOUT in v2 for
 *     fus-b, INF.THRESHOLD and INF.SMOOTHING in v3);
 *   - one that does nothing: INF.POLICY_PROMPT recorded in v2 for the policy-gap regions,
 *     whose plant no version fixes → no_effect;
 *   - the threshold fix (v3) comes with damage elsewhere: false alarms near the threshold
 *     (THR.MARGIN) in a region it does not target — an unplanted one when there is one, else
 *     a region with no plant active in that version — which its report must show as a
 *     'regressed' collateral cell.
 */
function planInterventions(plants: Plant[], versions: ModelVersion[], order: string[], n: number) {
  const vcodes = versions.map((v) => v.version);
  const interventions: PlantedIntervention[] = [];
  const sideEffects: SideEffect[] = [];
  const record = (plant: Plant, version: string, expect: PlantedIntervention['expect'], note: string) => {
    interventions.push({
      intervention: plant.expectIntervention, version, targets: { signatures: [plant.expectSignature], regions: [...plant.regions].sort() },
      note, applied_at: appliedAt(version), plant: plant.id, expect, collateral: [],
    });
  };
  for (const p of plants) if (p.fixedIn) record(p, p.fixedIn, 'effective', `demo: fixes ${p.id} (${p.cause}) in v${p.fixedIn}`);
  const pol = plants.find((p) => p.cause === 'policy_gap');
  if (pol && vcodes.includes('2')) record(pol, '2', 'no_effect', `demo: tried on ${pol.id} (${pol.cause}) in v2; the plant is not fixed`);

  const thr = plants.find((p) => p.cause === 'threshold' && p.fixedIn);
  const rec = thr && interventions.find((r) => r.plant === thr.id && r.version === thr.fixedIn);
  if (thr && rec) {
    const planted = new Set(plants.flatMap((p) => p.regions));
    const idle = new Set(plants.filter((p) => !p.versions.includes(thr.fixedIn!) && p.id !== thr.id).flatMap((p) => p.regions));
    const region = order.find((c) => !planted.has(c)) ?? order.find((c) => idle.has(c) && !thr.regions.includes(c));
    if (region) {
      const fx: SideEffect = {
        id: 'thr-leak', intervention: thr.expectIntervention, version: thr.fixedIn!, regions: [region], signature: 'THR.MARGIN',
        failuresPerSlice: Math.max(1, Math.round(SIDE_EFFECT_RATE * n)),
        description: `the v${thr.fixedIn} threshold change also lowers the thresholds in ${region}, which it does not target: false alarms just above the threshold`,
      };
      sideEffects.push(fx);
      rec.collateral.push({ region, signature: fx.signature, verdict: 'regressed' });
    }
  }
  interventions.sort((a, b) => Number(a.version) - Number(b.version));
  return { sideEffects, interventions };
}

// ---------------------------------------------------------------------------------------
// The eval set of a region (content and labels), shared by every version

type Role = 'normal' | 'plant' | 'live' | 'features';

interface Content {
  id: string;
  contentId: string;
  surface: Surface;
  language: string;
  policy: string;
  violating: boolean;
  source: string;
  votes?: Vote[];
  /** Votes that disagree: such an item must never be a non-LBL failure. */
  split: boolean;
  evidence?: Modality[];
  asr?: number;
  ocr?: number;
  role: Role;
  /** Plant items: which plant, and whether the item is probed when it fails. */
  plant?: Plant;
  probed?: boolean;
  live?: { stream_id: string; segment: number; onset_ms: number; flag_ms: number };
  /** live_flicker: this segment flips in the versions where the plant is present. */
  flip?: boolean;
  features?: { audio: number[]; visual: number[]; text: number[] };
  media?: { video_uri: string };
  /** Fixed per-item draws reused across versions (e.g. a near-threshold offset). */
  u: number;
}

function asrFor(rng: Rng, language: string, uncovered: string): number {
  return baseLang(language) === uncovered ? r4(rng.range(0.08, 0.42)) : r4(rng.range(0.62, 0.98));
}

function pickLanguage(rng: Rng, rp: RegionPlan, exclude?: string): string {
  const langs = exclude ? rp.languages.filter((t) => baseLang(t) !== exclude) : rp.languages;
  if (langs.length === 0) return 'en';
  if (langs.length === 1) return rng.chance(0.08) && baseLang(langs[0]) !== 'en' ? 'en' : langs[0];
  return rng.chance(0.65) ? langs[0] : rng.pick(langs.slice(1));
}

function votesFor(rng: Rng, vendor: string, majority: boolean, split: boolean): Vote[] {
  const pool = Array.from({ length: 12 }, (_, i) => `${vendor}-r${String(i + 1).padStart(2, '0')}`);
  const five = split && rng.chance(0.3);
  const raters = rng.shuffle(pool).slice(0, five ? 5 : 3);
  const dissent = split ? (five ? 2 : 1) : 0;
  return raters.map((annotator, i) => ({ annotator, violating: i < raters.length - dissent ? majority : !majority }));
}

function evidenceFor(rng: Rng, surface: Surface): Modality[] | undefined {
  if (!rng.chance(0.5)) return undefined;
  if (surface === 'image') return rng.chance(0.7) ? ['visual'] : ['visual', 'text'];
  return rng.weighted<Modality[]>([[['visual'], 0.45], [['audio'], 0.15], [['text'], 0.15], [['visual', 'audio'], 0.15], [['visual', 'text'], 0.1]]);
}

function buildEvalSet(plan: WorldPlan, rp: RegionPlan): Content[] {
  const n = plan.itemsPerRegion;
  const rng = Rng.for(plan.seed, 'evalset', rp.code);
  const uncovered = plan.uncoveredLanguage;
  const out: Content[] = [];
  let seq = 0;
  const nextId = () => `${rp.code.toLowerCase()}-${String(++seq).padStart(5, '0')}`;
  const noisy = rp.vendor === NOISY_VENDOR;
  const base = (over: Partial<Content> & Pick<Content, 'surface' | 'language' | 'policy' | 'violating' | 'role'>): Content => {
    const id = nextId();
    return {
      id, contentId: `c${(hash32(`${plan.seed}|${rp.code}|${id}`) >>> 0).toString(16).padStart(8, '0')}`,
      source: rp.vendor, split: false, u: rng.float(), ...over,
    };
  };
  const plant = rp.plants[0]; // the region's plant record (one cause per region)
  const cause = plant?.cause;

  // 1. Planted items (live_flicker plants live inside streams, below).
  if (plant && cause !== 'live_flicker') {
    for (let i = 0; i < plant.failuresPerSlice; i++) {
      const surface: Surface = rng.chance(0.55) ? 'vod' : 'short';
      switch (cause) {
        case 'fusion_suppression': {
          const language = pickLanguage(rng, rp, uncovered);
          out.push(base({ surface, language, policy: plant.policy!, violating: true, role: 'plant', plant,
            evidence: ['audio'], asr: asrFor(rng, language, uncovered), probed: true }));
          break;
        }
        case 'asr_language': {
          const language = rp.languages.find((t) => baseLang(t) === uncovered) ?? tag(uncovered, rp.code);
          out.push(base({ surface, language, policy: plant.policy!, violating: true, role: 'plant', plant,
            evidence: rng.chance(0.7) ? ['audio'] : ['audio', 'text'], asr: asrFor(rng, language, uncovered), probed: rng.chance(0.5) }));
          break;
        }
        case 'policy_gap': {
          const language = pickLanguage(rng, rp, uncovered);
          out.push(base({ surface, language, policy: plant.policy!, violating: rng.chance(0.6), role: 'plant', plant,
            asr: asrFor(rng, language, uncovered), probed: true }));
          break;
        }
        case 'threshold': {
          // A threshold too low: mostly false alarms. The few misses (× the policy's severity in
          // SPEC §12's cost) must weigh clearly less, or lowering the threshold would be cheaper.
          const language = pickLanguage(rng, rp, uncovered);
          out.push(base({ surface, language, policy: plant.policy!, violating: rng.chance(0.1), role: 'plant', plant,
            asr: asrFor(rng, language, uncovered), probed: rng.chance(0.4) }));
          break;
        }
        case 'noisy_vendor': {
          const language = pickLanguage(rng, rp, uncovered);
          const violating = rng.chance(0.5);
          out.push(base({ surface, language, policy: rng.weighted(POLICY_MIX), violating, role: 'plant', plant,
            votes: votesFor(rng, rp.vendor, violating, true), split: true, asr: asrFor(rng, language, uncovered), probed: false }));
          break;
        }
      }
    }
  }

  // 2. Live streams: ordered segments; decisions correct except planted flips.
  const nFeat = Math.max(1, Math.round(FEATURES_SHARE * n));
  let liveBudget = Math.round((cause === 'live_flicker' ? LIVE_SHARE.flicker : LIVE_SHARE.normal) * n);
  let flipsLeft = cause === 'live_flicker' ? plant!.failuresPerSlice : 0;
  let streamNo = 0;
  while (liveBudget > 0 || flipsLeft > 0) {
    const len = rng.int(6, 16);
    const forFlips = flipsLeft > 0 && (rng.chance(0.75) || liveBudget <= len);
    const policy = forFlips ? plant!.policy! : rng.weighted(POLICY_MIX);
    const language = pickLanguage(rng, rp, forFlips ? uncovered : undefined);
    const streamId = `live-${rp.code.toLowerCase()}-${String(++streamNo).padStart(4, '0')}`;
    // Label pattern: benign, violating throughout, or a violating stretch (flip streams: uniform).
    const pattern = forFlips ? (rng.chance(0.6) ? 'benign' : 'all') : rng.weighted([['benign', 0.65], ['all', 0.2], ['stretch', 0.15]] as const);
    const a = rng.int(1, Math.max(1, len - 3));
    const b = rng.int(a + 1, len);
    for (let s = 0; s < len; s++) {
      const violating = pattern === 'all' || (pattern === 'stretch' && s >= a && s < b);
      const onset = s * 10_000;
      const c = base({ surface: 'live', language, policy, violating, role: 'live',
        evidence: violating && rng.chance(0.5) ? ['visual'] : undefined,
        asr: asrFor(rng, language, uncovered),
        live: { stream_id: streamId, segment: s, onset_ms: onset, flag_ms: onset + rng.int(1_500, 25_000) } });
      // Flips at segments 1, 4, 7, …: never adjacent, always with both neighbours present.
      if (forFlips && flipsLeft > 0 && s % 3 === 1 && s <= len - 2) {
        c.flip = true;
        c.plant = plant;
        c.role = 'plant';
        flipsLeft--;
      }
      out.push(c);
    }
    liveBudget -= len;
  }

  // 3. Items with features and no prediction (the GPU backend fills the prediction later).
  for (let i = 0; i < nFeat; i++) {
    const policy = rng.weighted(POLICY_MIX);
    const violating = rng.chance(0.35);
    const language = pickLanguage(rng, rp);
    const strong = () => rng.range(0.8, 0.97);
    const weak = () => rng.range(0.02, 0.08);
    const f = featuresFor({
      policyIndex: policyIndex(policy),
      audio: violating ? strong() : weak(), visual: violating ? strong() : weak(), text: violating ? strong() : weak(),
      noise: 0.1, seed: hash32(`${plan.seed}|feat|${rp.code}|${i}`),
    });
    const c = base({ surface: 'vod', language, policy, violating, role: 'features', asr: asrFor(rng, language, uncovered) });
    c.features = { audio: f.audio.map(r4), visual: f.visual.map(r4), text: f.text.map(r4) };
    c.media = { video_uri: `r2://avlm-demo/${rp.code}/${c.id}.mp4` };
    out.push(c);
  }

  // 4. The rest: ordinary traffic.
  while (out.length < n) {
    const surface = rng.weighted<Surface>([['vod', 0.45], ['short', 0.4], ['image', 0.15]]);
    const language = pickLanguage(rng, rp);
    const policy = rng.weighted(POLICY_MIX);
    const violating = rng.chance(0.35);
    const hasVotes = rng.chance(noisy ? 0.6 : 0.2);
    const split = hasVotes && rng.chance(noisy ? 0.35 : 0.05);
    out.push(base({ surface, language, policy, violating, role: 'normal',
      votes: hasVotes ? votesFor(rng, rp.vendor, violating, split) : undefined, split,
      evidence: violating ? evidenceFor(rng, surface) : undefined,
      asr: surface === 'image' ? undefined : asrFor(rng, language, uncovered),
      ocr: rng.chance(0.3) ? r4(rng.range(0.5, 0.99)) : undefined }));
  }
  // Shuffle, keeping each live stream together and in segment order.
  const blocks: Content[][] = [];
  const streams = new Map<string, Content[]>();
  for (const c of out) {
    if (!c.live) { blocks.push([c]); continue; }
    let s = streams.get(c.live.stream_id);
    if (!s) { streams.set(c.live.stream_id, (s = [])); blocks.push(s); }
    s.push(c);
  }
  return rng.shuffle(blocks).flat();
}

// ---------------------------------------------------------------------------------------
// One version's model outputs on the eval set

const tnScore = (rng: Rng, T: number) => r4(0.005 + (T - 0.03) * rng.float() ** 2);
const tpScore = (rng: Rng, T: number) => r4(0.995 - (0.995 - T - 0.03) * rng.float() ** 2);
/** Failures far from the threshold (|s − T| ≥ 0.12), so THR.MARGIN never fires on them. */
const farFN = (rng: Rng, T: number) => r4(rng.range(0.01, T - 0.13));
const farFP = (rng: Rng, T: number) => r4(rng.range(T + 0.13, 0.99));
const below = (rng: Rng, T: number, gap = 0.08) => r4(rng.range(0.02, T - gap));
const above = (rng: Rng, T: number, gap = 0.05) => r4(clamp01(rng.range(T + gap, 0.97)));

type Probes = NonNullable<EvalItem['probes']>;

interface Outcome { item: EvalItem; primary: string | null; failure: boolean; planted: boolean }

function isActive(plant: Plant | undefined, version: string) {
  return !!plant && plant.versions.includes(version);
}

function renderItem(c: Content, prediction: EvalItem['prediction'] | undefined, probes: Probes | undefined): EvalItem {
  const item: EvalItem = { item_id: c.id, content_id: c.contentId, surface: c.surface, language: c.language, policy: c.policy };
  item.label = { violating: c.violating, source: c.source };
  if (c.votes) item.label.votes = c.votes.map((v) => ({ ...v }));
  if (c.evidence) item.label.evidence = [...c.evidence];
  if (prediction) item.prediction = prediction;
  if (probes) item.probes = probes;
  if (c.asr !== undefined || c.ocr !== undefined) {
    item.signals = {};
    if (c.asr !== undefined) item.signals.asr_confidence = c.asr;
    if (c.ocr !== undefined) item.signals.ocr_confidence = c.ocr;
  }
  if (c.live) item.live = { ...c.live };
  if (c.media) item.media = { ...c.media };
  if (c.features) item.features = { audio: [...c.features.audio], visual: [...c.features.visual], text: [...c.features.text] };
  return item;
}

function prediction(rng: Rng, score: number, threshold?: number): NonNullable<EvalItem['prediction']> {
  const p: NonNullable<EvalItem['prediction']> = { score };
  if (threshold !== undefined) p.threshold = threshold;
  if (rng.chance(0.5)) p.parse_ok = true;
  if (rng.chance(0.3)) p.grounded = true;
  return p;
}

/** Probes of an UNEXPLAINED background failure: present, but firing no rule. */
function unexplainedProbes(rng: Rng, c: Content, T: number): Probes {
  const p: Probes = {};
  const ev = c.evidence ?? [];
  for (const m of ['audio', 'visual', 'text'] as const) {
    // FN: an m_only probe for an evidence modality that stays quiet would be PER.MISS — leave it out.
    if (c.violating && ev.includes(m)) continue;
    p[`${m}_only`] = below(rng, T);
  }
  p.no_audio = below(rng, T, 0.05);
  p.no_visual = below(rng, T, 0.05);
  p.no_text = below(rng, T, 0.05);
  // POL.GAP fires when (policy_context >= T) == label: keep it on the model's (wrong) side.
  p.policy_context = c.violating ? below(rng, T, 0.05) : above(rng, T, 0.02);
  return p;
}

function plantedOutputs(rng: Rng, c: Content, T: number): { score: number; probes?: Probes; primary: string } {
  const plant = c.plant!;
  switch (plant.cause) {
    case 'fusion_suppression':
      return {
        score: r4(rng.range(0.02, T - 0.15)), primary: 'FUS.SUPPRESS.audio',
        probes: {
          audio_only: r4(rng.range(T + 0.1, 0.96)), visual_only: below(rng, T, 0.2), text_only: below(rng, T, 0.15),
          no_audio: below(rng, T, 0.2), no_visual: below(rng, T, 0.05), no_text: below(rng, T, 0.1), policy_context: below(rng, T, 0.1),
        },
      };
    case 'asr_language':
      return {
        score: r4(rng.range(0.02, T - 0.15)), primary: 'LANG.ASR',
        probes: c.probed ? {
          audio_only: below(rng, T, 0.1), visual_only: below(rng, T, 0.15), text_only: below(rng, T, 0.1),
          no_audio: below(rng, T, 0.15), no_visual: below(rng, T, 0.1), no_text: below(rng, T, 0.1), policy_context: below(rng, T, 0.1),
        } : undefined,
      };
    case 'policy_gap': {
      const probes: Probes = {
        audio_only: below(rng, T, 0.1), visual_only: below(rng, T, 0.1), text_only: below(rng, T, 0.1),
        no_audio: c.violating ? below(rng, T, 0.1) : above(rng, T), no_visual: c.violating ? below(rng, T, 0.1) : above(rng, T),
        no_text: c.violating ? below(rng, T, 0.1) : above(rng, T),
        policy_context: c.violating ? r4(rng.range(T + 0.1, 0.95)) : r4(rng.range(0.02, T - 0.15)),
      };
      return { score: c.violating ? farFN(rng, T) : farFP(rng, T), probes, primary: 'POL.GAP' };
    }
    case 'threshold': {
      // Near the threshold (|s − T| ≤ 0.09), mostly on the false-alarm side; the offset is a
      // property of the content, so the same items sit just above T in every version.
      const d = r4(0.01 + 0.08 * c.u);
      const score = c.violating ? r4(T - d) : r4(T + d);
      const probes: Probes | undefined = c.probed ? {
        audio_only: below(rng, T, 0.1), visual_only: below(rng, T, 0.1), text_only: below(rng, T, 0.1),
        no_audio: below(rng, T, 0.05), no_visual: below(rng, T, 0.05), no_text: below(rng, T, 0.05),
      } : undefined;
      return { score, probes, primary: 'THR.MARGIN' };
    }
    case 'noisy_vendor':
      // The model sides with the dissenting raters: a failure against a label in doubt.
      return { score: c.violating ? farFN(rng, T) : farFP(rng, T), primary: 'LBL.AMBIG' };
    case 'live_flicker':
      return { score: c.violating ? r4(T - rng.range(0.12, Math.min(0.3, T - 0.02))) : r4(T + rng.range(0.12, 0.3)), primary: 'TMP.FLIP' };
  }
}

function generateSlice(plan: WorldPlan, rp: RegionPlan, evalSet: Content[], v: ModelVersion): DemoSlice {
  const rng = Rng.for(plan.seed, 'outputs', rp.code, v.version);
  const n = plan.itemsPerRegion;
  // The threshold plant's region needs a higher threshold for its policy (T + 0.1): its violating
  // content scores above that in every version, so the global T is too low there. The fix sends
  // the region's threshold with each item.
  const thrPlant = (policy: string) => rp.plants.find((x) => x.cause === 'threshold' && x.policy === policy);
  const regionThreshold = (policy: string): number | undefined =>
    thrPlant(policy) ? r4(Math.min(0.9, thresholdOf(policy) + 0.1)) : undefined;
  const fixedThreshold = (policy: string): number | undefined => {
    const p = thrPlant(policy);
    if (!p || !p.fixedIn || Number(v.version) < Number(p.fixedIn)) return undefined;
    return regionThreshold(policy);
  };

  // Background failures for this version: ordinary items whose evidence fires no rule.
  // (A property of the region, not of the version: fixing the plant leaves the background alone.)
  const highCost = !!rp.cause?.highCost;
  const bgCount = Math.round((highCost ? BG_RATE.highCost : BG_RATE.normal) * n);
  const candidates = evalSet.filter((c) => c.role === 'normal' && !c.split
    && !((c.asr ?? 1) < 0.5 && (c.evidence ?? []).some((m) => m === 'audio' || m === 'text')));
  const bg = new Map<string, 'UNPROBED' | 'UNEXPLAINED'>();
  for (const c of rng.shuffle([...candidates]).slice(0, bgCount)) bg.set(c.id, rng.chance(0.55) ? 'UNPROBED' : 'UNEXPLAINED');
  // A side effect active here: the first ordinary benign items (the eval set is shuffled) that are
  // not background failures become false alarms just above the threshold. No extra draws, so
  // the rest of the slice is as without it.
  const leaked = new Set<string>();
  for (const fx of plan.sideEffects) {
    if (fx.version !== v.version || !fx.regions.includes(rp.code)) continue;
    for (const c of evalSet) {
      if (leaked.size >= fx.failuresPerSlice) break;
      if (c.role === 'normal' && !c.violating && !c.split && !bg.has(c.id) && (c.asr ?? 1) >= 0.5) leaked.add(c.id);
    }
  }

  const items: EvalItem[] = [];
  const expected: Record<string, Record<string, number>> = {};
  const planted = new Map<string, SliceTruth['planted'][number]>();
  let failures = 0;
  let pending = 0;
  const note = (policy: string, code: string) => {
    const cell = (expected[policy] ??= {});
    cell[code] = (cell[code] ?? 0) + 1;
    failures++;
  };

  for (const c of evalSet) {
    const own = fixedThreshold(c.policy);
    const T = own ?? thresholdOf(c.policy);
    if (c.role === 'features') {
      items.push(renderItem(c, undefined, undefined));
      pending++;
      continue;
    }
    if (c.role === 'plant' && isActive(c.plant, v.version)) {
      const o = plantedOutputs(rng, c, T);
      items.push(renderItem(c, prediction(rng, o.score, own), o.probes));
      note(c.policy, o.primary);
      const key = c.plant!.id;
      let entry = planted.get(key);
      if (!entry) {
        entry = { plant: key, cause: c.plant!.cause, signature: c.plant!.expectSignature, ...(c.plant!.policy ? { policy: c.plant!.policy } : {}), items: [] };
        planted.set(key, entry);
      }
      entry.items.push(c.id);
      continue;
    }
    if (leaked.has(c.id)) {
      items.push(renderItem(c, prediction(rng, r4(T + 0.01 + 0.08 * c.u), own), undefined));
      note(c.policy, 'THR.MARGIN');
      continue;
    }
    const kind = bg.get(c.id);
    if (kind) {
      const score = c.violating ? farFN(rng, T) : farFP(rng, T);
      items.push(renderItem(c, prediction(rng, score, own), kind === 'UNEXPLAINED' ? unexplainedProbes(rng, c, T) : undefined));
      note(c.policy, kind);
      continue;
    }
    // A correct decision (fixed plants included: the version gets their items right).
    // Near-threshold plant items keep their offset: with the fixed threshold they fall on the right side.
    let score: number;
    if (c.role === 'plant' && c.plant!.cause === 'threshold' && own !== undefined && !c.violating) {
      score = r4(thresholdOf(c.policy) + 0.01 + 0.08 * c.u);
    } else {
      score = c.violating ? tpScore(rng, regionThreshold(c.policy) ?? T) : tnScore(rng, T);
    }
    items.push(renderItem(c, prediction(rng, score, own), undefined));
  }
  return {
    region: rp.code,
    slice_id: demoSliceId(rp.code, v.version),
    model: { id: plan.model, version: v.version, stage: v.stage },
    items,
    truth: { planted: [...planted.values()], expected, failures, pending },
  };
}

/** Every version's slice of one region. */
export function generateRegionSlices(plan: WorldPlan, region: string): DemoSlice[] {
  const rp = plan.byRegion.get(region);
  if (!rp) throw new RangeError(`region ${region} is not in the plan`);
  const evalSet = buildEvalSet(plan, rp);
  return plan.versions.map((v) => generateSlice(plan, rp, evalSet, v));
}

/** The whole world: plan + every slice (region-major, then version). Pure and deterministic. */
export function generateWorld(opts: WorldOptions): World {
  const plan = planWorld(opts);
  const slices = plan.regions.flatMap((r) => generateRegionSlices(plan, r.code));
  return worldOf(plan, slices);
}

export function worldOf(plan: WorldPlan, slices: DemoSlice[]): World {
  return {
    model: plan.model, seed: plan.seed, itemsPerRegion: plan.itemsPerRegion,
    versions: plan.versions.map((v) => ({ ...v })), regions: plan.regions.map((r) => ({ code: r.code, languages: [...r.languages] })),
    slices, plants: plan.plants, sideEffects: plan.sideEffects, interventions: plan.interventions,
  };
}

/** The slice as NDJSON: header line {slice_id, model}, then one item per line (SPEC §3). */
export function sliceNdjson(slice: Pick<DemoSlice, 'slice_id' | 'model' | 'items'>): string {
  let out = JSON.stringify({ slice_id: slice.slice_id, model: slice.model }) + '\n';
  for (const it of slice.items) out += JSON.stringify(it) + '\n';
  return out;
}
