// The item-level signature registry. Array order IS precedence (SPEC §4): the first entry
// that matches is the primary. Adding a signature = one entry here + one test.
import { MODALITIES } from '../types.ts';
import { LBL_AMBIG } from './label.ts';
import { OUT_FORMAT, GRD_HALLUC } from './output.ts';
import { ADV_EVASION, LANG_ASR } from './input.ts';
import { PER_MISS } from './perception.ts';
import { FUS_SUPPRESS, FUS_SHORTCUT } from './fusion.ts';
import { POL_GAP } from './policy.ts';
import { TMP_FLIP, TMP_LATE } from './temporal.ts';
import { THR_MARGIN } from './threshold.ts';
import { UNPROBED, UNEXPLAINED } from './fallback.ts';
import type { FailureOutcome, ItemSignatureDef } from './types.ts';

export const ITEM_SIGNATURES: readonly ItemSignatureDef[] = Object.freeze([
  LBL_AMBIG,     // label trust first
  OUT_FORMAT,    // hard output errors next
  ADV_EVASION,
  LANG_ASR,
  PER_MISS,      // perception before fusion …
  FUS_SUPPRESS,
  FUS_SHORTCUT,
  POL_GAP,       // … before policy
  GRD_HALLUC,
  TMP_FLIP,
  TMP_LATE,
  THR_MARGIN,    // threshold last among the explained
  UNPROBED,      // fallbacks: only when nothing above matched
  UNEXPLAINED,
]);

/** Concrete codes of one entry: the family itself, or one per modality. */
const codesOf = (def: ItemSignatureDef): string[] =>
  def.perModality ? MODALITIES.map((m) => `${def.family}.${m}`) : [def.family];

export interface SignatureFamily {
  code: string;
  level: 'item';
  description: string;
  rule: string;
  appliesTo: readonly FailureOutcome[];
  /** Concrete codes a diagnosis can carry for this family. */
  codes: readonly string[];
}

/** Families in precedence order, as `GET /v1/taxonomy` lists them. */
export const SIGNATURE_FAMILIES: readonly SignatureFamily[] = Object.freeze(ITEM_SIGNATURES.map((d) => Object.freeze({
  code: d.family, level: d.level, description: d.description, rule: d.rule, appliesTo: d.appliesTo, codes: Object.freeze(codesOf(d)),
})));

/** Every concrete code in precedence order (indexOf gives a stable sort key). */
export const ALL_ITEM_SIGNATURE_CODES: readonly string[] = Object.freeze(ITEM_SIGNATURES.flatMap(codesOf));

/** Sorts codes in precedence order; codes not in the registry after them, by name. */
export function bySignatureOrder(a: string, b: string): number {
  const rank = (c: string) => { const i = ALL_ITEM_SIGNATURE_CODES.indexOf(c); return i < 0 ? ALL_ITEM_SIGNATURE_CODES.length : i; };
  return rank(a) - rank(b) || a.localeCompare(b);
}

const MODAL_FAMILIES = new Set(ITEM_SIGNATURES.filter((d) => d.perModality).map((d) => d.family));
const FAMILY_CODES = new Set(ITEM_SIGNATURES.map((d) => d.family));
const ALL_CODES = new Set(ALL_ITEM_SIGNATURE_CODES);

/**
 * 'PER.MISS.audio' → 'PER.MISS'; 'THR.MARGIN' → 'THR.MARGIN'. Only the modality suffix of a
 * per-modality family is stripped; any other code (slice-level, unknown) comes back unchanged.
 */
export function familyOf(code: string): string {
  const dot = code.lastIndexOf('.');
  if (dot > 0) {
    const head = code.slice(0, dot);
    if (MODAL_FAMILIES.has(head) && (MODALITIES as readonly string[]).includes(code.slice(dot + 1))) return head;
  }
  return code;
}

/** A concrete item-level code (incl. modality suffix) or a family code such as 'PER.MISS'. */
export function isItemSignatureCode(code: string): boolean {
  return ALL_CODES.has(code) || FAMILY_CODES.has(code);
}

/** The modality of a per-modality code ('FUS.SUPPRESS.audio' → 'audio'), else null. */
export function modalityOf(code: string): string | null {
  const family = familyOf(code);
  return family !== code ? code.slice(family.length + 1) : null;
}

/**
 * A family's description or rule as it reads for one concrete code: the modality placeholder
 * (`m`, `<m>`) becomes the code's modality — FUS.SUPPRESS.audio "audio was perceived alone but
 * drowned in fusion". Family codes and other signatures keep the text as it is.
 */
export function textForCode(code: string, text: string): string {
  const m = modalityOf(code);
  return m === null ? text : text.replace(/<m>/g, m).replace(/\bm\b/g, m);
}
