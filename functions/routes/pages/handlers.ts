// Handlers of the pages for people. They read exactly what the JSON API reads (buildScorecard,
// compareCells, predecessor) plus the heatmap service, and render HTML.
import type { Context } from 'hono';
import type { PagesEnv } from './auth.ts';
import { lookupKey, safeNext, setKeyCookie, clearKeyCookie } from './auth.ts';
import { ApiError } from '../../lib/errors.ts';
import { regionScope, requireAccess } from '../../middleware/auth.ts';
import { readCells } from '../../services/aggregates.ts';
import { compareCells } from '../../services/compare.ts';
import { buildHeatmap } from '../../services/heatmap.ts';
import { buildScorecard } from '../../services/scorecard.ts';
import { costCurves, operatingPoints } from '../../services/operating.ts';
import { globalDiscoveryPair, regionDiscoveryPair } from '../../services/discovery.ts';
import { getVersion, predecessor } from '../../services/versions.ts';
import { attribution, isTargeted } from '../../services/attribution.ts';
import { canReadRecord, listRecords, readRecord, versionRecords } from '../../services/records.ts';
import { forbidden } from '../../lib/errors.ts';
import { interventionPage, interventionsIndexPage } from '../../pages/interventions.tsx';
import { POLICY_CODES } from '../../../taxonomy/policies.ts';
import { emptyHeatmapPage, heatmapPage } from '../../pages/heatmap.tsx';
import { loginPage } from '../../pages/login.tsx';
import { emptyRegionPage, scorecardPage } from '../../pages/scorecard.tsx';
import { allVersions, modelIds, regionName, regionNames, regionVersions } from '../../services/page-data.ts';
import { defaultVersion, listModels } from '../../services/models.ts';
import { parseSort, sortRows } from '../../pages/heatmap-sort.ts';

type C = Context<PagesEnv>;

/** A query parameter, '' counted as absent; too long → 400. */
export function param(c: C, name: string, max: number): string | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === '') return undefined;
  if (v.length > max) throw new ApiError(400, 'invalid_request', `${name}: at most ${max} characters`);
  return v;
}

export async function regionPage(c: C) {
  const given = c.req.param('region') ?? '';
  if (!/^[A-Za-z]{2}$/.test(given)) throw new ApiError(404, 'not_found', `No region '${given}': regions are ISO 3166-1 alpha-2 codes such as BR.`);
  const region = given.toUpperCase();
  if (region !== given) {
    const u = new URL(c.req.url);
    return c.redirect(`/scorecards/${region}${u.search}`, 301);
  }
  requireAccess(c.get('principal'), 'read', region);
  const d1 = c.env.DB;
  const model = param(c, 'model', 128);
  const wanted = param(c, 'version', 64);
  const chosen = param(c, 'compare', 64) ?? '';
  const [name, here] = await Promise.all([regionName(d1, region), regionVersions(d1, region)]);
  if (name === null) throw new ApiError(404, 'unknown_region', `Unknown region '${region}'.`);
  const signedIn = c.get('signedIn');
  const modelId = model ?? here[0]?.model_id;
  if (!modelId) return c.html(emptyRegionPage(region, name, signedIn), 200);
  const ofModel = here.filter((v) => v.model_id === modelId);
  const version = wanted ?? ofModel[0]?.version;
  if (!version) throw new ApiError(404, 'not_found', `Model ${modelId} has no data in ${region}.`);

  // The page's numbers are the JSON API's: the same function builds both. The reads of the
  // comparison run beside it.
  const [sc, pred, picked, after, recs, discovery] = await Promise.all([
    buildScorecard(d1, region, modelId, version),
    predecessor(d1, modelId, version).catch(() => null), // unknown version: buildScorecard says so
    chosen ? getVersion(d1, modelId, chosen, 'compare') : null,
    readCells(d1, region, modelId, version, { operating: true }),
    versionRecords(d1, modelId, version),
    regionDiscoveryPair(d1, region, { model: modelId, version }),
  ]);
  // Interventions of this version that target this region (and this key may read), each with
  // its attribution report: the same attribution() the JSON API answers with.
  const p = c.get('principal');
  const mine = recs.filter((r) => canReadRecord(p, r) && (r.targets.regions.includes('*') || r.targets.regions.includes(region)));
  const interventions = [];
  for (const r of mine) interventions.push(await attribution(d1, r, recs, regionScope(p)));
  const from = picked ?? (chosen ? null : pred);
  const before = from ? await readCells(d1, region, modelId, from.version, { operating: true }) : null;
  const compare = from && before ? { from, predecessor: !chosen, chosen, cells: compareCells(before, after) } : null;
  const operating = { curves: costCurves(after), previous: from && before ? { version: from.version, points: operatingPoints(before) } : null };
  const versions = ofModel.some((v) => v.version === version) ? ofModel : [{ ...sc.model, first_slice_at: '' }, ...ofModel];
  return c.html(scorecardPage({
    sc, regionName: name, models: modelIds(here), versions, compare, predecessor: pred?.version ?? null,
    compareOptions: ofModel.filter((v) => v.version !== version), signedIn, interventions, operating,
    discovery,
  }), 200);
}

/** GET /scorecards/interventions/{id}: one recorded intervention and its attribution report. */
export async function interventionRecordPage(c: C) {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const id = c.req.param('id') ?? '';
  if (id.length > 64) throw new ApiError(404, 'not_found', `No intervention '${id.slice(0, 64)}…'.`);
  const d1 = c.env.DB;
  const rec = await readRecord(d1, id);
  if (!rec) throw new ApiError(404, 'not_found', `No intervention '${id}'.`);
  // A region key reads an intervention only when it targets one of the key's regions.
  if (!canReadRecord(p, rec)) throw forbidden('this key is not scoped to any region this intervention targets');
  const [report, v] = await Promise.all([
    versionRecords(d1, rec.model.id, rec.model.version).then((sib) => attribution(d1, rec, sib, regionScope(p))),
    getVersion(d1, rec.model.id, rec.model.version).catch(() => null),
  ]);
  return c.html(interventionPage({ report, stage: v?.stage ?? null, signedIn: c.get('signedIn') }), 200);
}

/** GET /scorecards/interventions[?model=&version=]: the recorded interventions this key may read. */
export async function interventionsIndex(c: C) {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const model = param(c, 'model', 128) ?? null;
  const version = model ? param(c, 'version', 64) ?? null : null;
  const recs = (await listRecords(c.env.DB, { model: model ?? undefined, version: version ?? undefined })).filter((r) => canReadRecord(p, r));
  // Newest version first (by first slice), recording order within a version.
  const order = new Map((await allVersions(c.env.DB)).map((v, i) => [`${v.model_id}|${v.version}`, i]));
  const rank = (r: typeof recs[number]) => order.get(`${r.model.id}|${r.model.version}`) ?? Infinity;
  const records = recs.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i).map((x) => x.r);
  return c.html(interventionsIndexPage({ records, model, version, signedIn: c.get('signedIn') }), 200);
}

export async function globalPage(c: C) {
  const p = c.get('principal');
  requireAccess(p, 'read');
  const d1 = c.env.DB;
  const signedIn = c.get('signedIn');
  const model = param(c, 'model', 128);
  const wanted = param(c, 'version', 64);
  const policy = param(c, 'policy', 64) ?? null;
  if (policy !== null && !POLICY_CODES.includes(policy)) throw new ApiError(400, 'invalid_request', `policy: unknown policy '${policy}'.`);
  const sort = parseSort(param(c, 'sort', 64), param(c, 'dir', 8));
  const [all, models] = await Promise.all([allVersions(d1), wanted ? null : listModels(d1, regionScope(p))]);
  if (!all.length && !model) return c.html(emptyHeatmapPage(signedIn), 200);
  // By default the version the most of the reader's regions have (newest among equals), not
  // merely the newest: a small test version submitted last would hide the real one.
  const fallback = models ? defaultVersion(models, model) : null;
  const modelId = model ?? fallback?.model ?? all[0].model_id;
  const mine = all.filter((v) => v.model_id === modelId);
  if (!mine.length) throw new ApiError(404, 'not_found', `Model ${modelId} has no versions with slices.`);
  const version = wanted ?? fallback?.version ?? mine[0].version;
  const row = mine.find((v) => v.version === version);
  if (!row) throw new ApiError(404, 'not_found', `Model ${modelId} has no version '${version}' with slices.`);
  const scoped = p.kind === 'key' && !p.regions.includes('*');
  const visible = scoped ? (r: string) => (p as { regions: string[] }).regions.includes(r) : undefined;
  // Discovery pools the regions the key may see (regionScope), as the heatmap shows them.
  const [map, names, discovery] = await Promise.all([buildHeatmap(d1, modelId, version, policy, visible), regionNames(d1),
    globalDiscoveryPair(d1, regionScope(p), { model: modelId, version })]);
  return c.html(heatmapPage({ map: { ...map, rows: sortRows(map.rows, sort) }, stage: row.stage, names, models: modelIds(all), versions: mine, scoped, signedIn, sort, discovery }), 200);
}

export function loginForm(c: C) {
  return c.html(loginPage({ next: safeNext(c.req.query('next')) }), 200);
}

/** POST /scorecards/login: a valid key with the read scope → HttpOnly cookie and 303 to `next`. */
export async function login(c: C) {
  const body = await c.req.parseBody();
  const key = typeof body.key === 'string' ? body.key : '';
  const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
  const p = key ? await lookupKey(c.env, key) : null;
  if (!p) return c.html(loginPage({ next, message: 'That key was not accepted.' }), 401);
  if (p.kind === 'key' && !p.scopes.includes('read')) return c.html(loginPage({ next, message: "That key lacks the 'read' scope." }), 403);
  setKeyCookie(c, key);
  return c.redirect(next, 303);
}

export function logout(c: C) {
  clearKeyCookie(c);
  return c.redirect('/scorecards/login', 303);
}
