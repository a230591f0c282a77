/** @jsxImportSource hono/jsx */
// The top discovered slices (SPEC §11) on the region and global pages: the same result the
// discovery routes answer (services/discovery.ts), never recomputed. Anchored so that the
// EVAL.PROBE recommendation and the UNEXPLAINED row can link here.
import type { DiscoveryResponse, LinkedSlice } from '../services/discovery.ts';
import { fmtCount, fmtInterval, fmtNum, fmtP, fmtPct, raw } from './format.ts';
import { itemsHref } from './links.ts';

/** Anchors: all failures, and the failures no signature explains. */
export const DISCOVERY_ANCHOR = 'discovery';
export const UNEXPLAINED_ANCHOR = 'discovery-unexplained';

const TOP = 5;
const label = (s: LinkedSlice) => s.predicates.map((p) => `${p.feature} = ${p.value}`).join(' ∧ ');

/** The items PAGE of a slice (a cookie reader cannot open the JSON items_url): the same region
 *  and parameters, read back from items_url so that the two never disagree. */
function pageHref(itemsUrl: string): string {
  const u = new URL(itemsUrl, 'http://x');
  const region = decodeURIComponent(u.pathname.split('/')[3]);
  const p = u.searchParams;
  const own = ['model', 'version', 'policy', 'population'];
  const features = [...p].filter(([k]) => !own.includes(k));
  return itemsHref({ region, model: p.get('model') ?? '', version: p.get('version') ?? '', policy: p.get('policy'), population: 'discovery', features });
}

function SliceRows({ slices }: { slices: LinkedSlice[] }) {
  return (
    <>
      {slices.slice(0, TOP).map((s) => (
        <tr data-slice={label(s)} data-n={raw(s.n)} data-errors={raw(s.errors)} data-z={raw(s.z)} data-q={raw(s.q)}>
          <th scope="row">{s.items_url ? <a href={pageHref(s.items_url)}>{label(s)}</a> : label(s)}
            {s.folded.length ? <span class="small muted"> (holds {s.folded.map(label).join('; ')})</span> : null}</th>
          <td class="num">{fmtCount(s.errors)} / {fmtCount(s.n)}</td>
          <td class="num">{fmtPct(s.rate.value)} <span class="small muted">{fmtInterval(s.rate.low, s.rate.high)}</span></td>
          <td class="num">{fmtPct(s.rest.rate.value)}</td>
          <td class="num">{s.lift === null ? '—' : `× ${fmtNum(s.lift)}`}</td>
          <td class="num">{fmtP(s.q)}</td>
        </tr>
      ))}
    </>
  );
}

function SliceTable({ id, title, result }: { id: string; title: string; result: DiscoveryResponse }) {
  const ignored = result.ignored_features.map((g) => g.feature).join(', ');
  return (
    <div id={id}>
      <h3>{title}</h3>
      {!result.slices.length ? (
        <p class="muted" id={`${id}-none`}>No slice stands out: {fmtCount(result.evaluated)} candidates tested over {fmtCount(result.population.n)} items.</p>
      ) : (
        <table>
          <caption>Top {Math.min(TOP, result.slices.length)} of {result.slices.length} reported; {fmtCount(result.evaluated)} candidates tested
            (BH q over all), population {fmtCount(result.population.n)} items, {fmtCount(result.population.errors)} errors.</caption>
          <thead><tr><th scope="col">Slice</th><th scope="col" class="num">Errors / items</th><th scope="col" class="num">Rate (95% CI)</th>
            <th scope="col" class="num">Rest</th><th scope="col" class="num">Lift</th><th scope="col" class="num">q</th></tr></thead>
          <tbody><SliceRows slices={result.slices} /></tbody>
        </table>
      )}
      {ignored ? <p class="small muted">Attribute keys left out (too many values or keys): {ignored}.</p> : null}
    </div>
  );
}

/** The section: slices of all failures, then of UNEXPLAINED ones; `api` is the JSON route shown. */
export function DiscoverySection({ all, unexplained, api }: { all: DiscoveryResponse; unexplained: DiscoveryResponse; api: string }) {
  return (
    <section aria-labelledby="discovery-h">
      <h2 id="discovery-h">Where failures concentrate: slice discovery</h2>
      <p class="small">Slices of one or two predicates (policy, surface, language, label source, score band, evidence, attributes) whose rate is
        significantly higher than the rest's (one-sided z-test, q &lt; 0.05, lift ≥ 1.5). Same numbers as <code>{api}</code>.</p>
      <SliceTable id={DISCOVERY_ANCHOR} title="All failures" result={all} />
      <SliceTable id={UNEXPLAINED_ANCHOR} title="UNEXPLAINED failures (no signature names them)" result={unexplained} />
    </section>
  );
}
