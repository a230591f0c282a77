// fast-check generators for the fuzz suite (issue 12): valid eval items built from the item
// schema (functions/schemas/item.ts, SPEC §3) and mutations of them, each mutation saying which
// field (or line / body) the refusal must name. Kept apart from the properties (fuzz.test.ts).
import fc from 'fast-check';
import { countries } from 'countries-list';
import { POLICY_CODES } from '../../../taxonomy/policies.ts';

export const REGIONS = ['BR', 'DE', 'IN', 'NG', 'JP'] as const;
/** Every seeded region (db/seed uses the same package). */
const SEEDED_REGIONS = Object.keys(countries).sort();
/** Not in the seeded ISO 3166-1 list. */
export const UNKNOWN_REGIONS = ['ZZ', 'XX', 'AA', 'QQ'] as const;
/** Two versions per model id, each with a fixed stage, so accepted slices accumulate in a cell. */
export const MODELS = [
  { id: 'fz', version: '1', stage: 'sft' },
  { id: 'fz', version: '2', stage: 'alignment' },
] as const;

type Obj = Record<string, unknown>;
const unit = fc.double({ min: 0, max: 1, noNaN: true });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const MODALITIES = ['audio', 'visual', 'text'] as const;
const PROBES = ['audio_only', 'visual_only', 'text_only', 'no_audio', 'no_visual', 'no_text', 'policy_context'] as const;

/** Item ids: mostly plain, sometimes any Unicode (valid UTF-16), never '.' or '..'. */
export const itemId = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_:-]{1,24}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => s !== '.' && s !== '..' && s.length <= 128) },
);
const language = fc.oneof(fc.constantFrom('pt-BR', 'en', 'sw', 'fr-CA', 'hi', 'zh-Hant-TW'), fc.stringMatching(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,2}$/));
const annotator = fc.stringMatching(/^[a-z0-9_-]{1,16}$/);

const label = fc.record({
  violating: fc.boolean(),
  source: opt(fc.constantFrom('internal', 'acme', 'v2')),
  votes: opt(fc.array(fc.record({ annotator, violating: fc.boolean() }), { maxLength: 5 })),
  evidence: opt(fc.subarray([...MODALITIES])),
  adversarial: opt(fc.boolean()),
}, { requiredKeys: ['violating'] });

const prediction = fc.record({
  score: unit, threshold: opt(unit), parse_ok: opt(fc.boolean()), grounded: opt(fc.boolean()),
}, { requiredKeys: ['score'] });

const probes = fc.record(Object.fromEntries(PROBES.map((p) => [p, unit])) as Record<(typeof PROBES)[number], fc.Arbitrary<number>>, { requiredKeys: [] });

const live = fc.record({
  stream_id: fc.constantFrom('s1', 's2'),
  segment: fc.integer({ min: 0, max: 6 }),
  onset_ms: opt(fc.integer({ min: 0, max: 100_000 })),
  flag_ms: opt(fc.integer({ min: 0, max: 200_000 })),
}, { requiredKeys: ['stream_id', 'segment'] });

/**
 * A valid item without `features`: items with features and no prediction (or UNPROBED) go to
 * the GPU backend, whose asynchronous re-diagnosis would race the recount.
 */
export const validItem = (id: fc.Arbitrary<string> = itemId): fc.Arbitrary<Obj> => fc.record({
  item_id: id,
  content_id: opt(fc.string({ maxLength: 40 })),
  surface: fc.constantFrom('vod', 'live', 'short', 'image'),
  language: opt(language),
  policy: fc.constantFrom(...POLICY_CODES),
  label: opt(label),
  prediction: opt(prediction),
  probes: opt(probes),
  signals: opt(fc.record({ asr_confidence: unit, ocr_confidence: unit }, { requiredKeys: [] })),
  live: opt(live),
  media: opt(fc.record({ video_uri: fc.webUrl(), audio_uri: fc.webUrl() }, { requiredKeys: [] })),
  // Unknown fields are kept, not rejected (SPEC §3).
  x_extra: opt(fc.jsonValue({ maxDepth: 2 })),
}, { requiredKeys: ['item_id', 'surface', 'policy'] }).map(dropUndefined);

function dropUndefined(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

export const validItems = (min = 1, max = 12) =>
  fc.uniqueArray(validItem(), { minLength: min, maxLength: max, selector: (i) => i.item_id as string });

// ── Mutations of one item ────────────────────────────────────────────────────────────────
// Each names the field path (relative to the item) that the 4xx must name.

export interface ItemMutation { name: string; field: string; apply: (item: Obj) => Obj }

const setPath = (o: Obj, path: string[], value: unknown): Obj => {
  const [head, ...rest] = path;
  const copy: Obj = { ...o };
  if (!rest.length) {
    if (value === DELETE) delete copy[head];
    else copy[head] = value;
    return copy;
  }
  const child = copy[head];
  copy[head] = setPath(child && typeof child === 'object' && !Array.isArray(child) ? child as Obj : {}, rest, value);
  return copy;
};
const DELETE = Symbol('delete');
const mutation = (name: string, field: string, value: fc.Arbitrary<unknown>, prepare: (o: Obj) => Obj = (o) => o): fc.Arbitrary<ItemMutation> =>
  value.map((v) => ({ name, field, apply: (o: Obj) => setPath(prepare(o), field.split('.'), v) }));

const notNumber = fc.oneof(fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
const notBool = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.constant(null));
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
// Below 0 strictly: fc.double can give -0, which JSON writes as 0 (in range).
const outOfUnit = fc.oneof(fc.double({ min: 1, max: 1e6, noNaN: true, minExcluded: true }), fc.double({ min: -1e6, max: 0, noNaN: true, maxExcluded: true }).filter((v) => v < 0));
const withLabel = (o: Obj) => ({ ...o, label: o.label ?? { violating: true } });
const withLive = (o: Obj) => ({ ...o, live: o.live ?? { stream_id: 's1', segment: 0 } });

export const itemMutation: fc.Arbitrary<ItemMutation> = fc.oneof(
  // wrong types
  mutation('wrong type', 'prediction.score', notNumber),
  mutation('wrong type', 'surface', fc.oneof(notString, fc.constantFrom('tv', 'VOD', ''))),
  mutation('wrong type', 'item_id', notString),
  mutation('wrong type', 'label.violating', notBool, withLabel),
  mutation('wrong type', 'label.evidence', fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant(['smell']), fc.constant('audio')), withLabel),
  mutation('wrong type', 'live.segment', fc.oneof(notNumber, fc.constantFrom(-1, 1.5)), withLive),
  mutation('wrong type', 'language', fc.oneof(notString, fc.constantFrom('', 'pt_BR', 'x', '123'))),
  mutation('wrong type', 'prediction', fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.array(fc.integer(), { maxLength: 2 }))),
  // out-of-range numbers
  mutation('out of range', 'prediction.score', outOfUnit),
  mutation('out of range', 'prediction.threshold', outOfUnit, (o) => ({ ...o, prediction: o.prediction ?? { score: 0.5 } })),
  ...PROBES.map((p) => mutation('out of range', `probes.${p}`, outOfUnit)),
  mutation('out of range', 'signals.asr_confidence', outOfUnit),
  mutation('out of range', 'live.onset_ms', fc.double({ min: -1e9, max: -1e-9, noNaN: true }), withLive),
  // missing required fields
  mutation('missing', 'item_id', fc.constant(DELETE)),
  mutation('missing', 'surface', fc.constant(DELETE)),
  mutation('missing', 'policy', fc.constant(DELETE)),
  mutation('missing', 'label.violating', fc.constant(DELETE), withLabel),
  mutation('missing', 'prediction.score', fc.constant(DELETE), (o) => ({ ...o, prediction: o.prediction ?? { score: 0.5 } })),
  mutation('missing', 'live.stream_id', fc.constant(DELETE), withLive),
  // unknown policy
  mutation('unknown policy', 'policy', fc.oneof(fc.constantFrom('hate', 'HATE.SLUR', 'hate.slur ', ''), fc.string({ maxLength: 12 })).filter((p) => !POLICY_CODES.includes(p))),
  // huge strings
  mutation('huge string', 'item_id', fc.integer({ min: 129, max: 5000 }).map((n) => 'i'.repeat(n))),
  mutation('huge string', 'content_id', fc.integer({ min: 257, max: 20_000 }).map((n) => 'c'.repeat(n))),
  mutation('huge string', 'label.source', fc.integer({ min: 129, max: 5000 }).map((n) => 's'.repeat(n)), withLabel),
);

/** A mutation that keeps the item valid: unknown fields (SPEC §3: kept, not rejected). */
export const extraFields = fc.dictionary(fc.stringMatching(/^x_[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 });

// ── Slice-level mutations ────────────────────────────────────────────────────────────────

/** Which byte-level damage to do to a serialised slice. */
export type BodyDamage = 'truncate' | 'garbage' | 'bad-utf8';
export const bodyDamage = fc.constantFrom<BodyDamage>('truncate', 'garbage', 'bad-utf8');

export const headerMutation = fc.oneof(
  fc.record({ field: fc.constant('slice_id'), value: fc.oneof(fc.constantFrom('', 'a b', 'a/b', 'é'), fc.integer(), fc.constant('s'.repeat(129))) }),
  fc.record({ field: fc.constant('model'), value: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 4 }), fc.constant(null)) }),
  fc.record({ field: fc.constant('model.stage'), value: fc.oneof(fc.constantFrom('beta', 'SFT', ''), fc.integer()) }),
  fc.record({ field: fc.constant('model.id'), value: fc.oneof(fc.constant(''), fc.integer(), fc.constant('m'.repeat(129))) }),
  fc.record({ field: fc.constant('model.version'), value: fc.oneof(fc.constant(''), fc.integer(), fc.constant('v'.repeat(65))) }),
);

export function setField(o: Obj, field: string, value: unknown): Obj {
  return setPath(o, field.split('.'), value === undefined ? DELETE : value);
}

// ── Webhook events ───────────────────────────────────────────────────────────────────────

export const isoTime = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true })
  .chain((d) => fc.constantFrom(d.toISOString(), d.toISOString().replace('Z', '+00:00'), d.toISOString().replace(/\.\d{3}Z$/, 'Z')));

export const labelEvent = (target: fc.Arbitrary<{ region: string; slice_id: string; item_id: string }>) =>
  fc.tuple(target, fc.record({
    violating: fc.boolean(),
    annotator: opt(annotator),
    evidence: opt(fc.subarray([...MODALITIES])),
    adversarial: opt(fc.boolean()),
    labelled_at: isoTime,
  }, { requiredKeys: ['violating', 'labelled_at'] })).map(([t, e]) => dropUndefined({ ...t, ...e }));

export interface EventMutation { field: string; apply: (e: Obj) => Obj }
const evMut = (field: string, value: fc.Arbitrary<unknown>) => value.map((v): EventMutation => ({ field, apply: (e) => setField(e, field, v) }));

export const eventMutation: fc.Arbitrary<EventMutation> = fc.oneof(
  evMut('violating', fc.oneof(notBool, fc.constant(undefined))),
  evMut('region', fc.oneof(fc.constantFrom('br', 'BRA', '', 'B1', ...UNKNOWN_REGIONS), fc.integer(), fc.constant(undefined))),
  evMut('slice_id', fc.oneof(fc.constant(''), fc.constant('s'.repeat(129)), fc.integer(), fc.constant(undefined))),
  evMut('item_id', fc.oneof(fc.constant(''), fc.constant('i'.repeat(129)), fc.boolean(), fc.constant(undefined))),
  evMut('annotator', fc.oneof(fc.constant(''), fc.constant('a'.repeat(129)), fc.integer())),
  evMut('evidence', fc.oneof(fc.constant(['smell']), fc.constant(['audio', 'audio', 'text', 'visual']), fc.string({ maxLength: 3 }))),
  evMut('adversarial', notBool),
  evMut('labelled_at', fc.oneof(fc.constantFrom('yesterday', '2026-13-01T00:00:00Z', '2026-11-01', '', '2026-11-01 10:00:00'), fc.integer(), fc.constant(undefined))),
);

// ── Admin bodies ─────────────────────────────────────────────────────────────────────────

const regionList = fc.oneof(
  fc.constant(['*']),
  fc.uniqueArray(fc.constantFrom(...REGIONS, ...UNKNOWN_REGIONS, 'br', '**', 'B'), { minLength: 0, maxLength: 6 }),
  // Past D1's 100 bound parameters (each list one JSON parameter): up to every seeded region.
  fc.subarray(SEEDED_REGIONS, { minLength: 101 }),
);

export const keyBody = fc.record({
  regions: fc.oneof({ weight: 4, arbitrary: regionList }, { weight: 1, arbitrary: notString }),
  scopes: fc.oneof(fc.subarray(['submit', 'read', 'intervene', 'admin', '']), notString),
  note: opt(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('n'.repeat(201)), fc.integer())),
}, { requiredKeys: [] });

export const vendorBody = fc.record({
  vendor: fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/), fc.constantFrom('', '-x', 'a b', 'v'.repeat(65)), fc.integer()),
  scheme: opt(fc.oneof(fc.constantFrom('standard-webhooks', 'hmac-sha256-hex', 'static-token'), fc.constantFrom('hmac', 'none', ''))),
  signature_header: opt(fc.oneof(fc.constantFrom('X-Sig', 'X-Scale-Token'), fc.constantFrom('bad header', ''))),
  id_header: opt(fc.oneof(fc.constant('X-Id'), fc.constantFrom('x y', 'h'.repeat(65)))),
}, { requiredKeys: [] });

const INTERVENTION_CODES = ['DATA.TARGETED', 'INF.THRESHOLD', 'TRAIN.MODALITY_DROPOUT', 'LABEL.RELABEL', 'EVAL.PROBE'];
const weight = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true, minExcluded: true }), fc.constantFrom(0, -0.5, 1.5, 2), notNumber);
export const overrideBody = fc.record({
  interventions: fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.record({ code: fc.oneof(fc.constantFrom(...INTERVENTION_CODES), fc.constantFrom('NOPE', '')), weight }), { minLength: 0, maxLength: 6 }) },
    { weight: 1, arbitrary: notString },
  ),
}, { requiredKeys: [] });
export const overrideSignature = fc.constantFrom('FUS.SUPPRESS', 'PER.MISS', 'THR.MARGIN', 'LBL.AMBIG', 'PER.MISS.audio', 'NOPE', 'CAL.MISFIT');

export const recordBody = fc.record({
  intervention: fc.oneof(fc.constantFrom(...INTERVENTION_CODES), fc.constantFrom('NOPE', ''), fc.integer()),
  model: fc.oneof(fc.constantFrom({ id: 'fz', version: '1' }, { id: 'fz', version: '2' }, { id: 'fz', version: '9' }, { id: '', version: '1' }), notString),
  targets: fc.record({
    signatures: fc.oneof(fc.array(fc.constantFrom('FUS.SUPPRESS.audio', 'PER.MISS', 'THR.MARGIN', 'NOPE'), { maxLength: 4 }), notString),
    regions: regionList,
    policies: opt(fc.array(fc.constantFrom('hate.slur', 'adult.nudity', 'nope'), { maxLength: 3 })),
  }, { requiredKeys: [] }),
  note: opt(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('n'.repeat(2001)))),
  applied_at: fc.oneof(isoTime, fc.constantFrom('soon', '2026-11-01', ''), fc.integer()),
}, { requiredKeys: [] });
