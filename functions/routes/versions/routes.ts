import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorsWhen, RateSchema, READ_REGION, RegionParam } from '../../schemas/common.ts';

const Side = z.object({ count: z.number(), n: z.number(), rate: RateSchema });
const Interval = z.object({ value: z.number(), low: z.number(), high: z.number() });
export const CompareCell = z.object({
  policy: z.string(), signature: z.string().openapi({ description: '"*" = the overall failure rate' }),
  from: Side, to: Side, diff: Interval.nullable().openapi({ description: 'to − from, Newcombe hybrid score interval' }),
  z: z.number().nullable(), p: z.number().nullable(), q: z.number().nullable().openapi({ description: 'Benjamini–Hochberg over all tested cells' }),
  verdict: z.enum(['improved', 'regressed', 'no_change', 'too_few']),
}).openapi('CompareCell');

const Version = z.object({ version: z.string(), stage: z.string() });

export const compare = createRoute({
  operationId: 'compareVersions',
  method: 'get', path: '/v1/regions/{region}/compare', tags: ['versions'], security: bearer,
  summary: 'Two model versions side by side in a region: every (policy, signature) cell with difference, p, BH q and a verdict',
  request: {
    params: z.object({ region: RegionParam }),
    query: z.object({ model: z.string().min(1).max(128), from: z.string().min(1).max(64), to: z.string().min(1).max(64) }),
  },
  responses: {
    200: { description: 'Cells', content: { 'application/json': { schema: z.object({ region: z.string(), model: z.string(), from: Version, to: Version, cells: z.array(CompareCell) }) } } },
    ...errorsWhen({ 400: 'model, from or to missing or too long (the message names it)', 403: READ_REGION, 404: 'Unknown region, or the model has no such from or to version with slices (the message names which)' }),
  },
});

const SigRate = z.object({ code: z.string(), count: z.number(), rate: RateSchema });
export const lifecycle = createRoute({
  operationId: 'getLifecycle',
  method: 'get', path: '/v1/lifecycle', tags: ['versions'], security: bearer,
  summary: 'Signature rates by lifecycle stage (pretrain → sft → alignment → production), all regions or one',
  request: { query: z.object({ model: z.string().min(1).max(128), region: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code').optional() }) },
  responses: {
    200: {
      description: 'Stages in lifecycle order',
      content: { 'application/json': { schema: z.object({
        model: z.string(), region: z.string().nullable(),
        stages: z.array(z.object({ stage: z.string(), versions: z.array(z.string()), items: z.number(), failures: z.number(), excluded: z.number(), pending: z.number(), failure_rate: RateSchema, by_signature: z.array(SigRate),
          time_to_detect: z.object({ n: z.number(), p50: z.number(), p90: z.number(), p99: z.number(), within_30s: z.number() }).nullable()
            .openapi({ description: 'SPEC §12, pooled over the stage\'s versions and policies (ms; null without live TPs)' }) })),
      }) } },
    },
    ...errorsWhen({ 400: 'model missing, or a malformed region', 403: "The key lacks the 'read' scope; or, without region=, is not scoped to [\"*\"] (all regions pooled)" }),
  },
});

const GateCell = z.object({
  policy: z.string(), signature: z.string().openapi({ description: '"*" = the overall failure rate' }),
  from: Side.openapi({ description: 'the baseline' }), to: Side.openapi({ description: 'the gated version' }),
  diff: Interval.openapi({ description: 'version − baseline, Newcombe hybrid score interval' }),
  q: z.number().openapi({ description: 'Benjamini–Hochberg over all tested cells of the region (< 0.05)' }),
}).openapi('GateCell');
export const GateReport = z.object({
  model: z.string(), version: z.string(), baseline: z.string().openapi({ description: 'the version compared against' }),
  pass: z.boolean().openapi({ description: 'true when no region listed fails (a region key: over its own regions only)' }),
  regions: z.array(z.object({
    region: z.string(),
    verdict: z.enum(['pass', 'fail', 'no_data']),
    n: z.object({ baseline: z.number(), version: z.number() }).openapi({ description: 'items − excluded − pending of each version in the region' }),
    regressed: z.array(GateCell).openapi({ description: 'the cells whose verdict is regressed (empty unless fail)' }),
  })),
}).openapi('GateReport');

export const gate = createRoute({
  operationId: 'getReleaseGate',
  method: 'get', path: '/v1/models/{model}/versions/{version}/gate', tags: ['versions'], security: bearer,
  summary: 'Release gate: may this version ship? Per region pass, fail or no_data against the baseline',
  description: `Every region with data in either version is compared as in GET /v1/regions/{region}/compare
(BH over all tested cells of the region). A region **fails** when any cell is \`regressed\` (q < 0.05 and worse), is
\`no_data\` when either version has n < 30 there (or data in only one version), and passes otherwise. \`pass\` is true
when no region fails. A key scoped to some regions sees only those regions, and \`pass\` is computed over them alone
(a CI step deciding for every region needs a key scoped to ["*"]).`,
  request: {
    params: z.object({
      model: z.string().min(1).max(128).openapi({ param: { name: 'model', in: 'path' }, example: 'avlm' }),
      version: z.string().min(1).max(64).openapi({ param: { name: 'version', in: 'path' }, example: '4' }),
    }),
    query: z.object({ baseline: z.string().min(1).max(64).optional().openapi({ description: 'the version to compare against (default: the predecessor, SPEC §9)', example: '3' }) }),
  },
  responses: {
    200: { description: 'The gate, regions in code order', content: { 'application/json': { schema: GateReport } } },
    ...errorsWhen({
      400: 'baseline equals version, or a parameter is malformed (the message names it)', 403: "The key lacks the 'read' scope",
      404: 'Unknown model, version or baseline, or a first version without baseline= (the message names which)',
    }),
  },
});
