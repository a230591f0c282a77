// The hand-written fast path of item validation (functions/ingest/validate.ts) against its
// oracle, the zod ItemSchema: on many generated items — valid ones, and mutations of every
// field (wrong type, out of range, missing, extra, boundaries) — both accept and reject the
// same values, and ItemValidator.accept answers exactly as a zod-only validator would.
import { describe, it, expect } from 'vitest';
import { ItemSchema } from '../../../functions/schemas/item.ts';
import { ItemValidator, itemPassesFast } from '../../../functions/ingest/validate.ts';
import { ApiError } from '../../../functions/lib/errors.ts';
import { POLICY_CODES, policyByCode } from '../../../taxonomy/policies.ts';
import { diagnoseItem, effectiveThreshold } from '../../../taxonomy/diagnose.ts';
import { AggregateDelta, itemMetrics } from '../../../functions/store/counters.ts';
import { recordText } from '../../../functions/store/items/writer.ts';
import { parseRecords } from '../../../functions/store/items/format.ts';
import type { EvalItem } from '../../../taxonomy/types.ts';

import { mulberry32 as rng } from '../../../gpu-backend/model/spec.ts'; // deterministic: failures reproduce

type Obj = Record<string, unknown>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function validItem(r: () => number, i: number): Obj {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const maybe = (p: number) => r() < p;
  const unit = () => pick([0, 1, 0.5, r(), Math.round(r() * 100) / 100]);
  const it: Obj = { item_id: `it-${i}`, surface: pick(['vod', 'live', 'short', 'image']), policy: pick(POLICY_CODES) };
  if (maybe(0.3)) it.content_id = pick(['', 'c1', 'x'.repeat(256)]);
  if (maybe(0.6)) it.language = pick(['en', 'pt-BR', 'zh-Hant-TW', 'abcdefgh', 'de-1996', 'EN-gb']);
  if (maybe(0.8)) {
    const label: Obj = { violating: maybe(0.5) };
    if (maybe(0.2)) label.source = pick(['', 'vendor-a', 'v'.repeat(128)]);
    if (maybe(0.3)) label.votes = Array.from({ length: Math.floor(r() * 6) }, (_, k) => ({ annotator: k === 0 ? 'a'.repeat(128) : `a${k}`, violating: maybe(0.5), ...(maybe(0.2) ? { extra: k } : {}) }));
    if (maybe(0.2)) label.evidence = pick([[], ['audio'], ['visual', 'text'], ['audio', 'visual', 'text'], ['text', 'text']]);
    if (maybe(0.2)) label.adversarial = maybe(0.5);
    if (maybe(0.1)) label.note = 'kept';
    it.label = label;
  }
  if (maybe(0.85)) {
    const p: Obj = { score: unit() };
    if (maybe(0.3)) p.threshold = unit();
    if (maybe(0.2)) p.parse_ok = maybe(0.5);
    if (maybe(0.2)) p.grounded = maybe(0.5);
    if (maybe(0.1)) p.raw = { anything: [1, 'x'] };
    it.prediction = p;
  }
  if (maybe(0.5)) {
    const probes: Obj = {};
    for (const k of ['audio_only', 'visual_only', 'text_only', 'no_audio', 'no_visual', 'no_text', 'policy_context']) if (maybe(0.6)) probes[k] = unit();
    if (maybe(0.1)) probes.other = 'x';
    it.probes = probes;
  }
  if (maybe(0.3)) it.signals = { ...(maybe(0.5) ? { asr_confidence: unit() } : {}), ...(maybe(0.5) ? { ocr_confidence: unit() } : {}) };
  if (maybe(0.3)) {
    const live: Obj = { stream_id: pick(['s', 's'.repeat(256)]), segment: pick([0, 1, 17, Number.MAX_SAFE_INTEGER]) };
    if (maybe(0.6)) live.onset_ms = pick([0, 1500, 0.5]);
    if (maybe(0.6)) live.flag_ms = pick([0, 9000, 1e12]);
    it.live = live;
  }
  if (maybe(0.2)) it.media = { ...(maybe(0.5) ? { video_uri: 'r2://v.mp4' } : {}), ...(maybe(0.5) ? { audio_uri: '' } : {}) };
  if (maybe(0.2)) {
    const f: Obj = {};
    for (const m of ['audio', 'visual', 'text']) if (maybe(0.5)) f[m] = Array.from({ length: pick([0, 1, 8, 4096]) }, () => r() * 2 - 1);
    it.features = f;
  }
  // Any value is kept (discovery uses strings, booleans and integers): only the object is checked.
  if (maybe(0.3)) it.attributes = { tier: pick(['new', '', 'x'.repeat(200)]), ...(maybe(0.5) ? { hd: maybe(0.5), n: pick([1, 0.5, -3]) } : {}), ...(maybe(0.2) ? { raw: [1, { x: null }] } : {}) };
  if (maybe(0.1)) it.unknown_field = { nested: true };
  return it;
}

// Values to put in place of a field: every JSON type, boundaries on both sides.
const PROBE_VALUES: unknown[] = [
  undefined, null, true, false, 0, -0, 1, -1, 0.5, 1.0000001, -0.0000001, 2, 1e308, -1e308, 4.5, 9007199254740991, 9007199254740992,
  Infinity, -Infinity, NaN, '', '.', '..', '...', 'a', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(256), 'x'.repeat(257),
  'vod', 'live', 'image', 'VOD', 'audio', 'visual', 'text', 'en', 'pt-BR', 'e', 'toolongtag', 'en_US', 'en-', 'en-abcdefghi',
  POLICY_CODES[0], 'unknown.policy', [], [1], ['audio'], ['audio', 'visual', 'text', 'audio'], [{}], {}, { violating: true },
  { annotator: 'a', violating: true }, { annotator: '', violating: true }, { score: 0.5 }, '0.5', [0.5], 'true',
];

/** Every path to a field (and to nested fields) of an item, to mutate. */
function paths(x: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  if (Array.isArray(x)) {
    x.slice(0, 3).forEach((v, i) => { out.push([...prefix, i]); out.push(...paths(v, [...prefix, i])); });
  } else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) { out.push([...prefix, k]); out.push(...paths(v, [...prefix, k])); }
  }
  return out;
}

function setAt(root: Obj, path: Array<string | number>, value: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) o = o[p] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined && !Array.isArray(o)) delete o[last];
  else o[last] = value;
}

// Fields the schema knows, also where the generator left them out: adding them tests "extra".
const KNOWN: Array<Array<string>> = [
  ['content_id'], ['language'], ['label'], ['prediction'], ['probes'], ['signals'], ['live'], ['media'], ['features'],
  ['label', 'source'], ['label', 'votes'], ['label', 'evidence'], ['label', 'adversarial'],
  ['prediction', 'threshold'], ['prediction', 'parse_ok'], ['prediction', 'grounded'],
  ['probes', 'policy_context'], ['signals', 'asr_confidence'], ['live', 'onset_ms'], ['live', 'flag_ms'],
  ['media', 'video_uri'], ['features', 'audio'], ['item_id'], ['surface'], ['policy'],
];

function* corpus(n: number, seed: number): Generator<unknown> {
  const r = rng(seed);
  for (let i = 0; i < n; i++) {
    const base = validItem(r, i);
    yield base;
    const ps = paths(base);
    for (const v of PROBE_VALUES) {
      // A few random fields per probe value, plus fields the item may not hold yet.
      for (let k = 0; k < 2; k++) {
        const m = clone(base);
        setAt(m, ps[Math.floor(r() * ps.length)], v);
        yield m;
      }
      const known = KNOWN[Math.floor(r() * KNOWN.length)];
      const m = clone(base);
      let o = m as Obj;
      let ok = true;
      for (const k of known.slice(0, -1)) {
        if (o[k] === undefined) o[k] = {};
        if (typeof o[k] !== 'object' || o[k] === null) { ok = false; break; }
        o = o[k] as Obj;
      }
      if (ok) {
        if (v === undefined) delete o[known[known.length - 1]];
        else o[known[known.length - 1]] = v;
        yield m;
      }
    }
  }
  // Array limits, exactly at and over.
  const edge = (over: Obj) => ({ item_id: 'e', surface: 'vod', policy: POLICY_CODES[0], ...over });
  yield edge({ label: { violating: true, votes: Array.from({ length: 1000 }, (_, k) => ({ annotator: `a${k}`, violating: true })) } });
  yield edge({ label: { violating: true, votes: Array.from({ length: 1001 }, (_, k) => ({ annotator: `a${k}`, violating: true })) } });
  yield edge({ features: { visual: new Array(4096).fill(0.25) } });
  yield edge({ features: { visual: new Array(4097).fill(0.25) } });
  yield edge({ features: { text: [0.1, 'x'] } });
  yield edge({ features: { text: [0.1, null] } });
  yield edge({ live: { stream_id: 's', segment: 1.5 } });
  yield edge({ live: { stream_id: 's', segment: -1 } });
  yield edge({ live: { stream_id: 's' } });
  yield edge({ live: { segment: 3 } });
  yield edge({ prediction: {} });
  yield edge({ label: {} });
  yield edge({ language: 'en-US-x-private1' });
  yield null; yield 5; yield 'item'; yield []; yield {};
}

/** The validator as it was, zod only (validate.ts before the fast path), for line 3. */
function zodOnlyAccept(value: unknown): { ok: true } | { ok: false; message: string; details: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: 'line 3: (item): expected an object', details: { line: 3, field: '(item)' } };
  }
  const r = ItemSchema.safeParse(value);
  if (r.success) return { ok: true };
  const issue = r.error.issues[0];
  let field = '';
  for (const p of issue.path) field += typeof p === 'number' ? `[${p}]` : (field ? '.' : '') + String(p);
  field ||= '(root)';
  const message = issue.code === 'invalid_type' && /received undefined/.test(issue.message) ? 'required' : issue.message;
  return { ok: false, message: `line 3: ${field}: ${message}`, details: { line: 3, field } };
}

describe('item validation fast path', () => {
  it('accepts and rejects exactly what ItemSchema accepts and rejects', () => {
    let valid = 0;
    let invalid = 0;
    const disagreements: string[] = [];
    for (const x of corpus(400, 20261107)) {
      const oracle = ItemSchema.safeParse(x).success;
      const isObj = typeof x === 'object' && x !== null && !Array.isArray(x);
      const fast = isObj ? itemPassesFast(x as Obj) : false;
      if (oracle) valid++; else invalid++;
      if (fast !== oracle && disagreements.length < 10) disagreements.push(`fast=${fast} zod=${oracle}: ${JSON.stringify(x)?.slice(0, 300)}`);
    }
    expect(disagreements).toEqual([]);
    expect(valid).toBeGreaterThan(1000);
    expect(invalid).toBeGreaterThan(10_000);
  });

  it('ItemValidator.accept answers as the zod-only validator did, message for message', () => {
    let n = 0;
    for (const x of corpus(60, 7)) {
      const v = new ItemValidator();
      let got: { ok: true } | { ok: false; message: string; details: unknown };
      try {
        v.accept(x, { line: 3 });
        got = { ok: true };
      } catch (e) {
        expect(e).toBeInstanceOf(ApiError);
        got = { ok: false, message: (e as ApiError).message, details: (e as ApiError).details };
      }
      expect(got).toEqual(zodOnlyAccept(x));
      n++;
    }
    expect(n).toBeGreaterThan(1000);
  });

  it('keeps the exact messages the API documents', () => {
    const item = { item_id: 'a', surface: 'vod', policy: POLICY_CODES[0], prediction: { score: 1.5 } };
    expect(() => new ItemValidator().accept(item, { line: 3 })).toThrow('line 3: prediction.score: Too big: expected number to be <=1');
    expect(() => new ItemValidator().accept({ ...item, prediction: { score: 0.5 }, item_id: '..' }, { line: 2 })).toThrow("line 2: item_id: '.' and '..' are not item ids");
    const v = new ItemValidator();
    v.accept({ ...item, prediction: { score: 0.5 } }, { line: 2 });
    expect(() => v.accept({ ...item, prediction: { score: 0.5 } }, { line: 4 })).toThrow("line 4: item_id: duplicate item_id 'a'");
    expect(() => new ItemValidator().accept({ surface: 'vod', policy: POLICY_CODES[0] }, { prefix: 'items[0]' })).toThrow('items[0].item_id: required');
  });
});

// The consumer's fast paths (functions/store/counters.ts addItem, item-store.ts recordText)
// against what they replace: itemMetrics pairs, JSON.stringify of the diagnosis.
describe('ingest consumer fast paths', () => {
  it('AggregateDelta.addItem counts as add(policy, itemMetrics(item, d)), rows in the same order; recordText reads back (parseRecords) as the record, plain diagnoses stored as their outcome', () => {
    const r = rng(99);
    const fast = new AggregateDelta();
    const slow = new AggregateDelta();
    let n = 0;
    for (let i = 0; i < 3000; i++) {
      const item = validItem(r, i) as unknown as EvalItem;
      if (r() < 0.3 && item.label) item.label.votes = [true, false, r() < 0.5].map((violating, k) => ({ annotator: `a${k}`, violating }));
      const threshold = effectiveThreshold(item, policyByCode(item.policy)!.threshold);
      const facts = (v: boolean) => ({ decision: r() < 0.5, violating: v });
      const neighbours = item.live && r() < 0.7 ? { prev: facts(r() < 0.5), ...(r() < 0.8 ? { next: facts(!!item.label?.violating) } : {}) } : undefined;
      const d = diagnoseItem(item, { threshold, neighbours });
      const sign = r() < 0.1 ? -1 : 1;
      fast.addItem(item.policy, item, d, sign);
      slow.add(item.policy, itemMetrics(item, d), sign);
      const json = JSON.stringify(item);
      const text = recordText(d, threshold, json, neighbours);
      const n2 = neighbours && (neighbours.prev || neighbours.next) ? { n: neighbours } : {};
      expect(parseRecords(`[${text}]`)).toEqual([{ d, t: threshold, ...n2, i: item }]);
      const plain = !d.failure && d.primary === null && d.secondary.length === 0 && !d.excluded;
      expect(text.startsWith(plain ? `{"d":"${d.outcome}",` : `{"d":${JSON.stringify(d)},`)).toBe(true);
      n++;
    }
    expect(fast.rows()).toEqual(slow.rows());
    expect([...fast.cells].map(([p, c]) => [p, [...c.keys()]])).toEqual([...slow.cells].map(([p, c]) => [p, [...c.keys()]]));
    expect(fast.totals('sig:')).toEqual(slow.totals('sig:'));
    expect(n).toBe(3000);
  });
});
