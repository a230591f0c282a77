/** @jsxImportSource hono/jsx */
// The global page: regions × primary signatures for one model version (optionally one policy),
// each cell the signature's rate in that region on a sequential colour scale — with the number
// always shown, and cells with n < 30 hatched and marked "too few". Every count links to the
// items behind it (links.ts); the header's links sort by any column (heatmap-sort.ts); the
// table scrolls with the page under a sticky header.
import { raw as rawHtml } from 'hono/html';
import type { Heatmap, HeatmapRow } from '../services/heatmap.ts';
import type { RateOut } from '../services/rates.ts';
import { POLICIES } from '../../taxonomy/policies.ts';
import { fmtCount, fmtEdge, fmtInterval, fmtPct, raw } from './format.ts';
import { html, Layout } from './layout.tsx';
import { legend, niceMax, STEPS, stepOf } from './palette.ts';
import { regionHref, type VersionOption } from './scorecard.tsx';
import { gateHref } from './gate.tsx';
import { itemsHref } from './links.ts';
import { DEFAULT_SORT, linkDir, type HeatSort } from './heatmap-sort.ts';
import { DiscoverySection } from './discovery.tsx';
import type { DiscoveryPair } from '../services/discovery.ts';

export interface HeatmapPageProps {
  map: Heatmap;
  stage: string;
  names: Map<string, string>;
  models: string[];
  /** Versions of map.model, most recent first. */
  versions: VersionOption[];
  /** The reader's key covers only some regions (rows of others are not shown). */
  scoped: boolean;
  signedIn: boolean;
  /** How map.rows are sorted (the caller sorts them). */
  sort: HeatSort;
  /** Slice discovery over the regions shown (SPEC §11). */
  discovery?: DiscoveryPair;
}

const enc = encodeURIComponent;

/** Colour classes of the scale (inline CSS; each step's text colour keeps ≥ 4.5:1). */
const STEP_CSS = STEPS.map((s, i) => `.heat td.s${i},.heat td.s${i} a,.heat td.s${i} .sub{background:${s.bg};color:${s.fg}}`).join('\n')
  + '\n.heat td a{display:block;text-decoration:none;color:inherit}.heat td a:hover .v,.heat td a:focus .v{text-decoration:underline}'
  + '\n.heat td .cnt{display:block;font-size:.72rem}.heat thead th a{color:inherit}';

/** Signature codes break after their dots so narrow columns stay readable. */
const breakable = (code: string) => code.split('.').flatMap((part, i) => (i ? [<wbr />, '.' + part] : [part]));

function cellTitle(region: string, code: string, count: number, r: RateOut) {
  return `${code} in ${region}: ${fmtCount(count)} of ${fmtCount(r.n)} = ${fmtPct(r.value)} (95% CI ${fmtInterval(r.low, r.high)})${r.too_few ? ', too few items' : ''}`;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text and attribute values (the rows are built as strings: see rowsHtml). */
export const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ESC[ch]);

/**
 * The table body as one string. 120 regions × (3 + signatures) cells are ~2,000 elements: built
 * with hono/jsx they took most of the page's time; string building with the same escaping is
 * several times faster and yields the same markup.
 */
function rowsHtml(rows: HeatmapRow[], p: HeatmapPageProps, top: number, topFr: number): string {
  const out: string[] = [];
  const { model, version, policy } = p.map;
  for (const row of rows) {
    const fr = row.failure_rate;
    const cell = { region: row.region, model, version, policy };
    out.push(`<tr data-region="${esc(row.region)}" data-items="${raw(row.items)}">`,
      `<th scope="row"><a href="${esc(regionHref(row.region, model, version))}">${esc(row.region)}</a> <span class="small">${esc(p.names.get(row.region) ?? '')}</span></th>`,
      `<td class="num" data-n="${raw(fr.n)}"><a class="items" href="${esc(itemsHref(cell))}" title="${esc(`The ${fmtCount(row.items)} items of ${row.region} (n = ${fmtCount(fr.n)}: without excluded and pending)`)}">${fmtCount(fr.n)}</a></td>`,
      `<td class="num fr ${fr.too_few ? 'hatch' : `s${stepOf(fr.value ?? 0, topFr)}`}" data-value="${raw(fr.value)}" data-low="${raw(fr.low)}" data-high="${raw(fr.high)}" data-too-few="${fr.too_few}"`,
      ` title="${esc(`All failures in ${row.region}: ${fmtPct(fr.value)} (95% CI ${fmtInterval(fr.low, fr.high)}), n = ${fmtCount(fr.n)}`)}">`,
      `${fmtPct(fr.value)}${fr.too_few ? '<span class="tf">too few</span>' : `<span class="sub">${esc(fmtInterval(fr.low, fr.high))}</span>`}</td>`);
    for (const c of row.cells) {
      const r = c.rate;
      const cls = r.too_few ? 'hatch' : `s${stepOf(r.value ?? 0, top)}`;
      // The count under the rate; with a count, both link to the items of the cell.
      const body = `<span class="v">${fmtPct(r.value)}</span><span class="cnt">${fmtCount(c.count)}</span>${r.too_few ? '<span class="tf">too few</span>' : ''}`;
      out.push(`<td class="${cls}" data-code="${esc(c.code)}" data-count="${raw(c.count)}" data-value="${raw(r.value)}" data-low="${raw(r.low)}"`,
        ` data-high="${raw(r.high)}" data-n="${raw(r.n)}" data-too-few="${r.too_few}" title="${esc(cellTitle(row.region, c.code, c.count, r))}">`,
        c.count > 0 ? `<a class="items" href="${esc(itemsHref({ ...cell, signature: c.code }))}">${body}</a>` : body, '</td>');
    }
    out.push('</tr>');
  }
  return out.join('');
}

function Legend({ top, id = 'legend', label = 'Colour scale of the cells' }: { top: number; id?: string; label?: string }) {
  return (
    <ul class="legend" id={id} aria-label={label} data-top={raw(top)}>
      {id !== 'legend' ? <li><strong>{label}:</strong></li> : null}
      {legend(top).map((l) => (
        <li data-step={String(l.step)}>
          <span class="swatch" style={`background:${STEPS[l.step].bg}`} aria-hidden="true"></span>
          {l.step === 0 ? '0%' : l.step === 1 ? `above 0 up to ${fmtEdge(l.high)}` : `above ${fmtEdge(l.low)} up to ${fmtEdge(l.high)}`}
        </li>
      ))}
      <li><span class="swatch hatch" aria-hidden="true"></span> n &lt; 30: too few items (not coloured, not comparable)</li>
    </ul>
  );
}

function Filters(p: HeatmapPageProps) {
  const others = p.models.filter((m) => m !== p.map.model);
  return (
    <>
      <form class="filters" method="get" action="/scorecards" aria-label="Filter the heatmap">
        <input type="hidden" name="model" value={p.map.model} />
        {p.sort.col !== DEFAULT_SORT.col || p.sort.dir !== DEFAULT_SORT.dir ? (
          <><input type="hidden" name="sort" value={p.sort.col} /><input type="hidden" name="dir" value={p.sort.dir} /></>
        ) : null}
        <div class="field">
          <label for="version">Version of {p.map.model}</label>
          <select id="version" name="version">
            {p.versions.map((v) => <option value={v.version} selected={v.version === p.map.version}>{v.version} — {v.stage}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="policy">Policy</label>
          <select id="policy" name="policy">
            <option value="" selected={p.map.policy === null}>All policies</option>
            {POLICIES.map((pol) => <option value={pol.code} selected={pol.code === p.map.policy}>{pol.code} — {pol.name}</option>)}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      {others.length ? (
        <p class="small">Other models: {others.map((m, i) => <>{i ? ', ' : ''}<a href={`/scorecards?model=${enc(m)}`}>{m}</a></>)}</p>
      ) : null}
    </>
  );
}

/** The heatmap's own URL with another sort (filters kept). */
function sortHref(p: HeatmapPageProps, col: string): string {
  const { map } = p;
  const q = [['model', map.model], ['version', map.version], ...(map.policy ? [['policy', map.policy]] : []), ['sort', col], ['dir', linkDir(p.sort, col)]];
  return `/scorecards?${q.map(([k, v]) => `${k}=${enc(v)}`).join('&')}`;
}

/** A column header whose text links to the page sorted by it; aria-sort on the sorted one. */
function SortTh({ p, col, label, cls, code }: { p: HeatmapPageProps; col: string; label: unknown; cls?: string; code?: string }) {
  const on = p.sort.col === col;
  const dir = on ? (p.sort.dir === 'asc' ? 'ascending' : 'descending') : undefined;
  return (
    <th scope="col" class={cls} data-code={code} data-sort={col} aria-sort={dir}>
      <a href={sortHref(p, col)} rel="nofollow">{label}{on ? (p.sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</a>
    </th>
  );
}

const topOf = (rates: RateOut[]) => {
  const shown = rates.filter((r) => !r.too_few && r.value !== null).map((r) => r.value!);
  return niceMax(shown.length ? Math.max(...shown) : 0);
};

export function heatmapPage(p: HeatmapPageProps): string {
  const { map } = p;
  const top = topOf(map.rows.flatMap((r) => r.cells.map((c) => c.rate)));
  const topFr = topOf(map.rows.map((r) => r.failure_rate));
  const scope = map.policy ? `policy ${map.policy}` : 'all policies';
  return html(
    <Layout title={`All regions — ${map.model} ${map.version}`} signedIn={p.signedIn} wide>
      <style>{rawHtml(STEP_CSS)}</style>
      <h1 data-model={map.model} data-version={map.version} data-policy={map.policy ?? ''}>
        All regions <span class="muted">— {map.model} {map.version} ({p.stage}), {scope}</span>
      </h1>
      <Filters {...p} />
      <p class="small"><a id="gate-link" href={gateHref(map.model, map.version)}>Release gate of {map.model} {map.version}</a>: may it ship, region by region?</p>
      {p.scoped ? <p class="note">Your key covers only some regions: only those are shown.</p> : null}
      {!map.rows.length ? <p class="note" id="no-rows">No region has data for {map.model} {map.version}{map.policy ? ` and ${map.policy}` : ''} yet.</p> : (
        <>
          <Legend top={top} />
          <Legend top={topFr} id="legend-fr" label="Failure rate column" />
          <div class="heat-wrap">
            <table class="heat" id="heatmap">
              <caption id="heat-cap">
                Primary-signature failure rate by region, {map.model} {map.version}, {scope} ({fmtCount(map.rows.length)} regions).
                <span class="small muted"> Each cell: failures with that primary signature ÷ n (items − excluded − pending; LBL.AMBIG ÷ labelled items), the count below it. Follow a region to its scorecard, a count to its items; a column header sorts by it.</span>
              </caption>
              <thead>
                <tr>
                  <SortTh p={p} col="region" label="Region" />
                  <SortTh p={p} col="n" label="n" cls="num" />
                  <SortTh p={p} col="failure_rate" label="Failure rate (95% CI)" cls="num" />
                  {map.signatures.map((s) => <SortTh p={p} col={s} code={s} label={<code>{breakable(s)}</code>} />)}
                </tr>
              </thead>
              <tbody>
                {rawHtml(rowsHtml(map.rows, p, top, topFr))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {p.discovery ? <DiscoverySection {...p.discovery} api={`GET /v1/discovery?model=${p.map.model}&version=${p.map.version}`} /> : null}
    </Layout>,
  );
}

/** No model version has any slice yet. */
export function emptyHeatmapPage(signedIn: boolean): string {
  return html(
    <Layout title="All regions" signedIn={signedIn}>
      <h1>All regions</h1>
      <p class="note" id="no-data">No slices have been submitted yet: the heatmap appears with the first one.</p>
    </Layout>,
  );
}
