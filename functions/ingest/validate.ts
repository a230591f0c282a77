// Validates a slice line by line with the same zod schemas the OpenAPI document shows.
// Every message names the line and the field; the first error stops the slice.
import type { z } from '@hono/zod-openapi';
import { ApiError } from '../lib/errors.ts';
import { ItemSchema, SliceHeaderSchema, type SliceHeader } from '../schemas/item.ts';
import type { EvalItem } from '../../taxonomy/types.ts';
import { POLICY_CODES } from '../../taxonomy/policies.ts';
import type { FeatureDims } from '../../gpu-backend/client/index.ts';
import { featureLengthIssue } from '../lib/feature-dims.ts';
import { PROBE_ERROR_FIELD } from '../store/items/format.ts';

function fieldPath(path: readonly PropertyKey[], prefix: string): string {
  let s = prefix;
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : (s ? '.' : '') + String(p);
  return s || '(root)';
}

function invalid(where: string, field: string, message: string, line?: number): ApiError {
  return new ApiError(400, 'invalid_slice', `${where}${field}: ${message}`, { ...(line ? { line } : {}), field });
}

function firstIssue(err: z.ZodError, prefix: string, where: string, line?: number): ApiError {
  const issue = err.issues[0];
  const field = fieldPath(issue.path, prefix);
  let message = issue.message;
  // zod reports a missing required field as "expected X, received undefined": say "required".
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'required';
  return invalid(where, field, message, line);
}

export function parseJsonLine(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'malformed_json', `line ${line}: malformed JSON (${(e as Error).message})`, { line });
  }
}

export function validateHeader(value: unknown, line?: number): SliceHeader {
  const r = SliceHeaderSchema.safeParse(value);
  if (!r.success) throw firstIssue(r.error, '', line ? `line ${line}: ` : '', line);
  return r.data;
}

// Messages (and their prefixes) are built only on error: accept runs once per item.
const whereOf = (opts: { line?: number }) => (opts.line ? `line ${opts.line}: ` : '');


/** Tracks what a slice must hold across lines: unique item ids. */
export class ItemValidator {
  private readonly ids = new Set<string>();
  count = 0;

  /** `dims`: the feature lengths the GPU backend takes (functions/lib/feature-dims.ts); without
   *  them feature lengths are not checked. */
  constructor(private readonly dims?: FeatureDims) {}

  /** `where` prefixes messages: NDJSON says the line, JSON the items[i] path. */
  accept(value: unknown, opts: { line?: number; prefix?: string }): EvalItem {
    const prefix = opts.prefix ?? '';
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw invalid(whereOf(opts), prefix || '(item)', 'expected an object', opts.line);
    }
    let item: EvalItem;
    // The fast path vouches for the common, valid item; anything else goes to zod, which
    // decides (and words the error) exactly as before.
    if (itemPassesFast(value as Record<string, unknown>)) item = value as EvalItem;
    else {
      const r = ItemSchema.safeParse(value);
      if (!r.success) throw firstIssue(r.error, prefix, whereOf(opts), opts.line);
      item = r.data as EvalItem;
    }
    const bad = this.dims && featureLengthIssue(item.features, this.dims);
    if (bad) throw invalid(whereOf(opts), fieldPath([bad.field], prefix), bad.message, opts.line);
    // The service's own marker: a submitted one would make the item count as unprobeable.
    if (PROBE_ERROR_FIELD in item) {
      throw invalid(whereOf(opts), fieldPath([PROBE_ERROR_FIELD], prefix), 'set by the service when the GPU backend cannot score an item; not accepted on input', opts.line);
    }
    const size = this.ids.size;
    this.ids.add(item.item_id);
    if (this.ids.size === size) {
      throw invalid(whereOf(opts), fieldPath(['item_id'], prefix), `duplicate item_id '${item.item_id}'`, opts.line);
    }
    this.count++;
    return item;
  }
}

// ── Fast path ────────────────────────────────────────────────────────────────────────────
// ItemSchema's rules, hand-written: zod's safeParse costs ~6 µs per item, most of a large
// slice's submission. True only when ItemSchema would accept the value too; anything it
// cannot vouch for returns false and the caller asks zod, whose first issue is the message.
// Keep in step with functions/schemas/item.ts (test/worker/validate-fast.test.ts checks).

const SURFACES = new Set(['vod', 'live', 'short', 'image']);
const MODALITY_SET = new Set(['audio', 'visual', 'text']);
const POLICY_SET = new Set(POLICY_CODES);
const LANGUAGE_RE = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;
const PROBE_FIELDS = ['audio_only', 'visual_only', 'text_only', 'no_audio', 'no_visual', 'no_text', 'policy_context'] as const;
const FEATURE_FIELDS = ['audio', 'visual', 'text'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUnit = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
const optUnit = (v: unknown) => v === undefined || (typeof v === 'number' && v >= 0 && v <= 1);
const optBool = (v: unknown) => v === undefined || typeof v === 'boolean';
const optStr = (v: unknown, max: number) => v === undefined || (typeof v === 'string' && v.length <= max);
const optNonNeg = (v: unknown) => v === undefined || (typeof v === 'number' && v >= 0 && v < Infinity);

function labelOk(l: Obj): boolean {
  if (typeof l.violating !== 'boolean' || !optStr(l.source, 128) || !optBool(l.adversarial)) return false;
  const votes = l.votes;
  if (votes !== undefined) {
    if (!Array.isArray(votes) || votes.length > 1000) return false;
    for (let i = 0; i < votes.length; i++) {
      const v = votes[i];
      if (!isObj(v) || typeof v.violating !== 'boolean') return false;
      const a = v.annotator;
      if (typeof a !== 'string' || a.length === 0 || a.length > 128) return false;
    }
  }
  const ev = l.evidence;
  if (ev !== undefined) {
    if (!Array.isArray(ev) || ev.length > 3) return false;
    for (let i = 0; i < ev.length; i++) if (!MODALITY_SET.has(ev[i] as string)) return false;
  }
  return true;
}

function numbersOk(a: unknown): boolean {
  if (a === undefined) return true;
  if (!Array.isArray(a) || a.length > 4096) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !(x - x === 0)) return false; // finite numbers only
  }
  return true;
}

/** True when ItemSchema accepts `o` (a JSON value); false means "ask zod". */
export function itemPassesFast(o: Obj): boolean {
  const id = o.item_id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 128 || id === '.' || id === '..') return false;
  if (!optStr(o.content_id, 256)) return false;
  if (typeof o.surface !== 'string' || !SURFACES.has(o.surface)) return false;
  const lang = o.language;
  if (lang !== undefined && (typeof lang !== 'string' || !LANGUAGE_RE.test(lang))) return false;
  if (typeof o.policy !== 'string' || !POLICY_SET.has(o.policy)) return false;
  const label = o.label;
  if (label !== undefined && !(isObj(label) && labelOk(label))) return false;
  const p = o.prediction;
  if (p !== undefined) {
    if (!isObj(p) || !isUnit(p.score) || !optUnit(p.threshold) || !optBool(p.parse_ok) || !optBool(p.grounded)) return false;
  }
  const probes = o.probes;
  if (probes !== undefined) {
    if (!isObj(probes)) return false;
    for (let i = 0; i < PROBE_FIELDS.length; i++) if (!optUnit(probes[PROBE_FIELDS[i]])) return false;
  }
  const s = o.signals;
  if (s !== undefined && !(isObj(s) && optUnit(s.asr_confidence) && optUnit(s.ocr_confidence))) return false;
  const live = o.live;
  if (live !== undefined) {
    if (!isObj(live)) return false;
    const sid = live.stream_id;
    if (typeof sid !== 'string' || sid.length === 0 || sid.length > 256) return false;
    const seg = live.segment;
    if (typeof seg !== 'number' || !Number.isSafeInteger(seg) || seg < 0) return false;
    if (!optNonNeg(live.onset_ms) || !optNonNeg(live.flag_ms)) return false;
  }
  const media = o.media;
  if (media !== undefined && !(isObj(media) && optStr(media.video_uri, Infinity) && optStr(media.audio_uri, Infinity))) return false;
  if (o.attributes !== undefined && !isObj(o.attributes)) return false;
  const f = o.features;
  if (f !== undefined) {
    if (!isObj(f)) return false;
    for (let i = 0; i < FEATURE_FIELDS.length; i++) if (!numbersOk(f[FEATURE_FIELDS[i]])) return false;
  }
  return true;
}
