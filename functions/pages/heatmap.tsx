/** @jsxImportSource hono/jsx */
// The global page: regions × primary signatures for one model version (optionally one policy),
// each cell the signature's rate in that region on a sequential colour scale — with the number
// always shown, and cells with n < 30 hatched and marked "too few".
import { raw as rawHtml } from 'hono/html';
import type { Heatmap, HeatmapRow } from '../services/heatmap.ts';
import type { RateOut } from '../services/rates.ts';
import { POLICIES } from '../../taxonomy/policies.ts';
import { fmtCount, fmtEdge, fmtInterval, fmtPct, raw } from './format.ts';
import { html, Layout } from './layout.tsx';
import { legend, niceMax, STEPS, stepOf } from './palette.ts';
import { regionHref, type VersionOption } from './scorecard.tsx';
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
  /** Slice discovery over the regions shown (SPEC §11). */
  discovery?: DiscoveryPair;
}

const enc = encodeURIComponent;

/** Colour classes of the scale (inline CSS; each step's text colour keeps ≥ 4.5:1). */
const STEP_CSS = STEPS.map((s, i) => `.heat td.s${i}{background:${s.bg};color:${s.fg}}`).join('\n');

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
function rowsHtml(rows: HeatmapRow[], p: HeatmapPageProps, top: number): string {
  const out: string[] = [];
  for (const row of rows) {
    const fr = row.failure_rate;
    out.push(`<tr data-region="${esc(row.region)}" data-items="${raw(row.items)}">`,
      `<th scope="row"><a href="${esc(regionHref(row.region, p.map.model, p.map.version))}">${esc(row.region)}</a> <span class="small">${esc(p.names.get(row.region) ?? '')}</span></th>`,
      `<td class="num" data-n="${raw(fr.n)}">${fmtCount(fr.n)}</td>`,
      `<td class="num fr${fr.too_few ? ' hatch' : ''}" data-value="${raw(fr.value)}" data-low="${raw(fr.low)}" data-high="${raw(fr.high)}" data-too-few="${fr.too_few}"`,
      ` title="${esc(`All failures in ${row.region}: ${fmtPct(fr.value)} (95% CI ${fmtInterval(fr.low, fr.high)}), n = ${fmtCount(fr.n)}`)}">`,
      `${fmtPct(fr.value)}${fr.too_few ? '<span class="tf">too few</span>' : `<span class="sub">${esc(fmtInterval(fr.low, fr.high))}</span>`}</td>`);
    for (const c of row.cells) {
      const r = c.rate;
      const cls = r.too_few ? 'hatch' : `s${stepOf(r.value ?? 0, top)}`;
      out.push(`<td class="${cls}" data-code="${esc(c.code)}" data-count="${raw(c.count)}" data-value="${raw(r.value)}" data-low="${raw(r.low)}"`,
        ` data-high="${raw(r.high)}" data-n="${raw(r.n)}" data-too-few="${r.too_few}" title="${esc(cellTitle(row.region, c.code, c.count, r))}">`,
        `${fmtPct(r.value)}${r.too_few ? '<span class="tf">too few</span>' : ''}</td>`);
    }
    out.push('</tr>');
  }
  return out.join('');
}

function Legend({ top }: { top: number }) {
  return (
    <ul class="legend" id="legend" aria-label="Colour scale of the cells" data-top={raw(top)}>
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

export function heatmapPage(p: HeatmapPageProps): string {
  const { map } = p;
  const shown = map.rows.flatMap((r) => r.cells).filter((c) => !c.rate.too_few && c.rate.value !== null).map((c) => c.rate.value!);
  const top = niceMax(shown.length ? Math.max(...shown) : 0);
  const scope = map.policy ? `policy ${map.policy}` : 'all policies';
  return html(
    <Layout title={`All regions — ${map.model} ${map.version}`} signedIn={p.signedIn}>
      <style>{rawHtml(STEP_CSS)}</style>
      <h1 data-model={map.model} data-version={map.version} data-policy={map.policy ?? ''}>
        All regions <span class="muted">— {map.model} {map.version} ({p.stage}), {scope}</span>
      </h1>
      <Filters {...p} />
      {p.scoped ? <p class="note">Your key covers only some regions: only those are shown.</p> : null}
      {!map.rows.length ? <p class="note" id="no-rows">No region has data for {map.model} {map.version}{map.policy ? ` and ${map.policy}` : ''} yet.</p> : (
        <>
          <Legend top={top} />
          <div class="heat-wrap" role="region" aria-labelledby="heat-cap" tabindex={0}>
            <table class="heat" id="heatmap">
              <caption id="heat-cap">
                Primary-signature failure rate by region, {map.model} {map.version}, {scope} ({fmtCount(map.rows.length)} regions).
                <span class="small muted"> Each cell: failures with that primary signature ÷ n (items − excluded − pending; LBL.AMBIG ÷ labelled items). Follow a region to its scorecard.</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">Region</th>
                  <th scope="col" class="num">n</th>
                  <th scope="col" class="num">Failure rate (95% CI)</th>
                  {map.signatures.map((s) => <th scope="col" data-code={s}><code>{breakable(s)}</code></th>)}
                </tr>
              </thead>
              <tbody>
                {rawHtml(rowsHtml(map.rows, p, top))}
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
