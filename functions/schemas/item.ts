// Eval item v1 and slice header (SPEC §3): the one schema that validates submissions and
// documents them in the OpenAPI document. Unknown fields are kept (loose objects).
import { z } from '@hono/zod-openapi';
import { POLICY_CODES } from '../../taxonomy/policies.ts';
import { ATTR_VALUE_CHARS, DISCOVERY, ITEM_ATTR_KEYS } from '../../taxonomy/discovery/index.ts';

const unit = z.number().min(0).max(1);
const modality = z.enum(['audio', 'visual', 'text']);

export const LabelSchema = z.looseObject({
  violating: z.boolean(),
  source: z.string().max(128).optional(),
  votes: z.array(z.looseObject({ annotator: z.string().min(1).max(128), violating: z.boolean() })).max(1000).optional(),
  evidence: z.array(modality).max(3).optional(),
  adversarial: z.boolean().optional(),
});

export const PredictionSchema = z.looseObject({
  score: unit,
  threshold: unit.optional(),
  parse_ok: z.boolean().optional(),
  grounded: z.boolean().optional(),
});

export const ProbesSchema = z.looseObject({
  audio_only: unit.optional(), visual_only: unit.optional(), text_only: unit.optional(),
  no_audio: unit.optional(), no_visual: unit.optional(), no_text: unit.optional(),
  policy_context: unit.optional(),
});

// Content metadata for slice discovery (SPEC §11). Validated only as an object: values of
// other types are kept with the item (like unknown fields), they just make no predicate; the
// documented value types are the ones discovery uses.
const ATTRIBUTES_DOC = 'Content metadata (creator tier, category, device …): each key becomes the feature '
  + '`attr.<key>` of slice discovery (SPEC §11), its value compared as a string (`true`, `42`). Used values: '
  + `strings of at most ${ATTR_VALUE_CHARS} characters, booleans and integers; other values (fractions, null, arrays, `
  + `objects) are kept with the item but make no predicate. An item contributes its first ${ITEM_ATTR_KEYS} keys by name. `
  + `Per region × model version at most ${DISCOVERY.maxAttrKeys} attribute keys (those seen on most items) and `
  + `${DISCOVERY.maxAttrValues} distinct values per key are used: a key beyond either limit is left out of discovery `
  + "from then on and named in the discovery response's `ignored_features`.";

export const AttributesSchema = z.record(z.string(), z.unknown()).openapi({
  type: 'object',
  additionalProperties: { anyOf: [{ type: 'string', maxLength: ATTR_VALUE_CHARS }, { type: 'boolean' }, { type: 'integer' }] },
  description: ATTRIBUTES_DOC,
  example: { creator_tier: 'new', category: 'gaming', verified: false, followers: 1200 },
});

export const ItemSchema = z.looseObject({
  // '.' and '..' would be normalised away in item URLs.
  item_id: z.string().min(1).max(128).refine((s) => s !== '.' && s !== '..', { message: "'.' and '..' are not item ids" }),
  content_id: z.string().max(256).optional(),
  surface: z.enum(['vod', 'live', 'short', 'image']),
  language: z.string().regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, 'a BCP-47 language tag').optional(),
  policy: z.string().refine((p) => POLICY_CODES.includes(p), { message: 'unknown policy' }),
  label: LabelSchema.optional(),
  prediction: PredictionSchema.optional(),
  probes: ProbesSchema.optional(),
  signals: z.looseObject({ asr_confidence: unit.optional(), ocr_confidence: unit.optional() }).optional(),
  live: z.looseObject({
    stream_id: z.string().min(1).max(256),
    segment: z.number().int().min(0),
    onset_ms: z.number().min(0).optional(),
    flag_ms: z.number().min(0).optional(),
  }).optional(),
  media: z.looseObject({ video_uri: z.string().optional(), audio_uri: z.string().optional() }).optional(),
  attributes: AttributesSchema.optional(),
  features: z.looseObject({
    audio: z.array(z.number()).max(4096).optional(),
    visual: z.array(z.number()).max(4096).optional(),
    text: z.array(z.number()).max(4096).optional(),
  }).optional(),
}).openapi('EvalItem');

export const ModelSchema = z.object({
  id: z.string().min(1).max(128),
  version: z.string().min(1).max(64),
  stage: z.enum(['pretrain', 'sft', 'alignment', 'production']),
}).openapi('ModelVersion');

export const SliceHeaderSchema = z.looseObject({
  slice_id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : -'),
  model: ModelSchema,
});

export const SliceJsonSchema = SliceHeaderSchema.extend({
  items: z.array(ItemSchema),
}).openapi('SliceSubmission');

export type SliceHeader = z.infer<typeof SliceHeaderSchema>;
