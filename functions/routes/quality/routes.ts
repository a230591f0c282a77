import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_ONLY, bearer, errorsWhen } from '../../schemas/common.ts';
import { CONSENSUS_LIMITS } from '../../labels/consensus.ts';

const Consensus = z.object({
  method: z.literal('dawid-skene'), classes: z.array(z.string()), votes: z.number().int(), items: z.number().int(),
  annotators: z.number().int(), prevalence: z.number().optional(), iterations: z.number().int(), converged: z.boolean(),
}).openapi('ConsensusRun');

const Quality = {
  votes: z.number().int(), items: z.number().int(),
  accuracy: z.number().nullable().openapi({ description: 'mean Dawid–Skene posterior of the label given: expected share of right votes' }),
  agreement: z.number().nullable().openapi({ description: 'share of votes equal to the consensus label' }),
  confusion: z.array(z.array(z.number()).nullable()).openapi({ description: 'P(vote | true class): rows [not violating, violating], columns [not violating, violating]; estimated from the posteriors' }),
  sensitivity: z.number().nullable(), specificity: z.number().nullable(),
};

const AnnotatorQ = z.object({ annotator: z.string(), ...Quality });
const VendorQ = z.object({ vendor: z.string(), ...Quality });

export const vendorQuality = createRoute({
  operationId: 'getVendorQuality',
  method: 'get', path: '/v1/vendors/{vendor}/quality', tags: ['labels'], security: bearer,
  summary: 'Quality of a vendor and of each of its annotators (Dawid–Skene over all votes; admin, or a read key for all regions)',
  description: 'A vendor\'s votes are its webhook votes and the votes inside submitted items whose `label.source` names it. 404 for a name that is neither registered nor named by any vote.',
  request: { params: z.object({ vendor: z.string().max(64).openapi({ param: { name: 'vendor', in: 'path' }, example: 'acme-labels' }) }) },
  responses: {
    200: { description: 'Per-vendor summary and per-annotator figures', content: { 'application/json': { schema: z.object({ vendor: z.string(), consensus: Consensus, summary: z.object({ annotators: z.number().int(), ...Quality }), annotators: z.array(AnnotatorQ) }).openapi('VendorQuality') } } },
    ...errorsWhen({ 403: "The key lacks the 'read' scope or is not scoped to ['*'] (quality spans regions)", 404: 'No registered vendor of this name' }),
  },
});

export const annotatorQuality = createRoute({
  operationId: 'getAnnotatorQuality',
  method: 'get', path: '/v1/annotators/{id}', tags: ['labels'], security: bearer,
  summary: 'One annotator\'s quality over all their votes, and per vendor (admin, or a read key for all regions)',
  request: { params: z.object({ id: z.string().max(128).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The annotator', content: { 'application/json': { schema: z.object({ annotator: z.string(), consensus: Consensus, ...Quality, vendors: z.array(VendorQ) }).openapi('AnnotatorQuality') } } },
    ...errorsWhen({ 403: "The key lacks the 'read' scope or is not scoped to ['*'] (quality spans regions)", 404: 'No votes by this annotator' }),
  },
});

export const runConsensus = createRoute({
  operationId: 'runConsensus',
  method: 'post', path: '/v1/admin/consensus', tags: ['labels'], security: bearer,
  summary: 'Run label consensus (admin): Dawid–Skene over all votes; voted labels take the consensus, posteriors are stored, items re-diagnosed',
  description: `Bounded and idempotent: examines at most \`limit\` voted items per call (default ${CONSENSUS_LIMITS.defaultItems}, at most ${CONSENSUS_LIMITS.maxItems}; whole item-store buckets), `
    + 'answers `remaining` and `next_cursor` (call again with `cursor` until it is null); a second run over the same votes changes nothing. '
    + `Also applies up to ${CONSENSUS_LIMITS.stranded} parked events whose slice has been stored since.`,
  request: {
    body: { content: { 'application/json': { schema: z.object({
      limit: z.number().int().min(1).max(CONSENSUS_LIMITS.maxItems).optional(),
      cursor: z.number().int().min(0).optional(),
    }).openapi('RunConsensus'), example: { limit: 5000 } } }, required: false },
  },
  responses: {
    200: { description: 'What changed', content: { 'application/json': { schema: z.object({
      consensus: Consensus,
      pending: z.object({ applied: z.number().int(), parked: z.number().int() }),
      examined: z.number().int(),
      items_changed: z.number().int().openapi({ description: 'voted items whose stored record the run changed (label or posterior)' }),
      relabelled: z.number().int().openapi({ description: 'voted items whose label.violating the consensus changed' }),
      rediagnosed: z.number().int().openapi({ description: 'items whose outcome, primary signature or exclusion changed: voted items, and live segments next to a relabelled one (TMP.FLIP)' }),
      ambiguous: z.object({ became: z.number().int(), cleared: z.number().int() }),
      unstored_items: z.number().int(), remaining: z.number().int(), next_cursor: z.number().int().nullable(),
      limits: z.object({ items_per_call: z.number().int() }),
    }).openapi('ConsensusResult') } } },
    ...errorsWhen({ 400: 'limit or cursor out of range (the message names it)', 403: ADMIN_ONLY }),
  },
});
