import { createRoute, z } from '@hono/zod-openapi';
import { bearer, errorsWhen, READ_REGION, RegionParam, UNKNOWN_REGION } from '../../schemas/common.ts';
import { DISCOVERY } from '../../../taxonomy/discovery/index.ts';

const Rate = z.object({ value: z.number(), low: z.number(), high: z.number() }).openapi('DiscoveryRate');
const Predicate = z.object({ feature: z.string(), value: z.string() });

const sliceFields = {
  predicates: z.array(Predicate).openapi({ description: 'one or two `feature = value` on distinct features' }),
  n: z.number().int(), errors: z.number().int(), rate: Rate,
  rest: z.object({ n: z.number().int(), errors: z.number().int(), rate: Rate }).openapi({ description: 'the population outside the slice' }),
  lift: z.number().nullable().openapi({ description: 'rate / rest rate; null when the rest has no errors' }),
  z: z.number(), p: z.number().openapi({ description: 'one-sided: 1 − Φ(z)' }),
  q: z.number().openapi({ description: 'Benjamini–Hochberg over the `evaluated` candidates' }),
  items_url: z.string().nullable().openapi({
    description: "§10's items route filtered to the slice: `policy=` as that route filters it; every other predicate as a query parameter named by "
      + 'its feature (`surface=short`, `language=ar`, `score_band=[0.8,1]`, `attr.tier=new`), which the items route filters on, and `population=discovery` (the items discovery counts): its `total` is the slice\'s `n`. '
      + 'On the global route, null for a slice without a `region` predicate (its items span regions).',
  }),
};
const Folded = z.object({ ...sliceFields, folded: z.array(z.unknown()).openapi({ description: 'always empty here' }) });
const Slice = z.object({
  ...sliceFields,
  folded: z.array(Folded).openapi({ description: 'reported one-predicate parents folded under this child: it holds ≥ 80 % of their excess errors' }),
}).openapi('DiscoveredSlice');

export const DiscoverySchema = z.object({
  population: z.object({ n: z.number().int(), errors: z.number().int() }),
  evaluated: z.number().int().openapi({ description: 'candidate slices tested (the m of Benjamini–Hochberg)' }),
  features: z.array(z.string()),
  ignored_features: z.array(z.object({ feature: z.string(), reason: z.string() })).openapi({
    description: `attribute keys left out: more than ${DISCOVERY.maxAttrValues} distinct values, or beyond the ${DISCOVERY.maxAttrKeys} keys seen on most items. `
      + 'A region × version stops counting such a key when it crosses the limit, for good.',
  }),
  slices: z.array(Slice).openapi({ description: 'reported slices, z descending' }),
}).openapi('Discovery');

const Query = {
  model: z.string().min(1).max(128), version: z.string().min(1).max(64),
  signature: z.string().min(1).max(64).optional().openapi({ description: 'errors are failures whose primary is this code or in this family (`UNEXPLAINED`: what no signature explains); all failures when absent' }),
};

const DESCRIPTION = 'SPEC §11: every slice of one or two predicates on `policy`, `surface`, `language`, `label_source`, `score_band`, `evidence` and `attr.<key>` '
  + `with n ≥ ${DISCOVERY.minSliceItems}, tested against the rest of the population (items with an outcome, LBL.AMBIG left out) by a one-sided pooled `
  + `two-proportion z-test; reported when BH q < ${DISCOVERY.qLevel} and lift ≥ ${DISCOVERY.minLift}, with the nesting rules (a child must beat each `
  + 'reported parent; a parent is folded under a child holding 80 % of its excess errors). Read from counts kept at commit and moved by every label edit.';

export const regionDiscovery = createRoute({
  operationId: 'getRegionDiscovery',
  method: 'get', path: '/v1/regions/{region}/discovery', tags: ['discovery'], security: bearer,
  summary: 'Slices of a region × model version where failures (or one signature) concentrate',
  description: DESCRIPTION,
  request: {
    params: z.object({ region: RegionParam }),
    query: z.object({ ...Query, policy: z.string().min(1).max(64).optional().openapi({ description: 'only the items of this policy (then no `policy` predicate)' }) }),
  },
  responses: { 200: { description: 'The reported slices', content: { 'application/json': { schema: DiscoverySchema } } }, ...errorsWhen({ 400: 'model or version missing, an unknown policy, or a signature that is neither a code nor a family (the message names the parameter)', 403: READ_REGION, 404: UNKNOWN_REGION }) },
});

export const globalDiscovery = createRoute({
  operationId: 'getGlobalDiscovery',
  method: 'get', path: '/v1/discovery', tags: ['discovery'], security: bearer,
  summary: 'Slices of a model version over every region the key may see, `region` being one more feature',
  description: `${DESCRIPTION} A key scoped to some regions pools only those: no number here is pooled over a region outside its scope.`,
  request: { query: z.object(Query) },
  responses: { 200: { description: 'The reported slices', content: { 'application/json': { schema: DiscoverySchema } } }, ...errorsWhen({ 400: 'model or version missing, an unknown policy, or a signature that is neither a code nor a family (the message names the parameter)', 403: "The key lacks the 'read' scope" }) },
});
