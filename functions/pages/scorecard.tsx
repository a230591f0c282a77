/** @jsxImportSource hono/jsx */
// The region scorecard page: the numbers of GET /v1/regions/{region}/scorecard (the same
// buildScorecard result, never recomputed), the comparison with the predecessor (or a chosen
// version) from services/compare.ts, and the recommendations with their arithmetic.
import type { buildScorecard } from '../services/scorecard.ts';
import type { compareCells } from '../services/compare.ts';
import type { RateOut } from '../services/rates.ts';
import { getIntervention } from '../../taxonomy/interventions.ts';
import { policyByCode } from '../../taxonomy/policies.ts';
import { SignatureChart } from './chart.tsx';
import { fmtCount, fmtInterval, fmtNum, fmtP, fmtPct, fmtPp, fmtStat, raw } from './format.ts';
import { html, Layout } from './layout.tsx';
import { RegionInterventions, type Attribution } from './interventions.tsx';
import { OperatingSection, type OperatingProps } from './operating.tsx';
import { itemsHref, type ItemsCell } from './links.ts';
import { DiscoverySection, DISCOVERY_ANCHOR, UNEXPLAINED_ANCHOR } from './discovery.tsx';
import type { DiscoveryPair } from '../services/discovery.ts';

export type Scorecard = Awaited<ReturnType<typeof buildScorecard>>;
type CompareCell = ReturnType<typeof compareCells>[number];
export interface VersionOption { version: string; stage: string; first_slice_at: string }

export interface ScorecardPageProps {
  sc: Scorecard;
  regionName: string;
  /** Other model ids with data in the region (links). */
  models: string[];
  /** Versions of this model with data in the region, most recent first. */
  versions: VersionOption[];
  compare: null | {
    from: VersionOption;
    /** true: the predecessor (SPEC §9); false: chosen with ?compare=. */
    predecessor: boolean;
    /** The ?compare= value as given ('' for the default). */
    chosen: string;
    cells: CompareCell[];
  };
  /** The predecessor of sc.model.version, when it has one (for the form's default). */
  predecessor: string | null;
  /** Versions offered in the compare select. */
  compareOptions: VersionOption[];
  signedIn: boolean;
  topRecommendations?: number;
  /** Attribution reports of the interventions of this version that target this region. */
  interventions?: Attribution[];
  /** SPEC §12's section: the scorecard's numbers plus the cost curves and the compared version's points. */
  operating?: Pick<OperatingProps, 'curves' | 'previous'>;
  /** Slice discovery of this region × version: all failures and UNEXPLAINED ones (SPEC §11). */
  discovery?: DiscoveryPair;
}

const enc = encodeURIComponent;
export const regionHref = (region: string, model: string, version: string) => `/scorecards/${region}?model=${enc(model)}&version=${enc(version)}`;

/** The items cell of this page's region and version, narrowed by `f`. */
const cellOf = (sc: Scorecard, f: Omit<ItemsCell, 'region' | 'model' | 'version'> = {}): ItemsCell =>
  ({ region: sc.region, model: sc.model.id, version: sc.model.version, ...f });

/** A count that links to the items behind it (a plain number when there are none). */
function Count({ n, cell }: { n: number; cell: ItemsCell }) {
  return n > 0 ? <a class="items" href={itemsHref(cell)}>{fmtCount(n)}</a> : <>{fmtCount(n)}</>;
}

function RateText({ rate }: { rate: RateOut }) {
  return (
    <span>
      {fmtPct(rate.value)} <span class="muted">(95% CI {fmtInterval(rate.low, rate.high)})</span>
      {rate.too_few ? <> <span class="tag">too few items</span></> : null}
    </span>
  );
}

const rateAttrs = (prefix: string, r: RateOut) => ({
  [`data-${prefix}value`]: raw(r.value), [`data-${prefix}low`]: raw(r.low), [`data-${prefix}high`]: raw(r.high),
  [`data-${prefix}n`]: raw(r.n), [`data-${prefix}too-few`]: String(r.too_few),
});

function Summary({ sc }: { sc: Scorecard }) {
  const r = sc.failure_rate;
  return (
    <section aria-labelledby="summary-h">
      <h2 id="summary-h">Failure rate</h2>
      <div class="kpis">
        <div class="kpi main" id="failure-rate" {...rateAttrs('', r)} data-failures={raw(sc.failures)} data-excluded={raw(sc.excluded)}>
          <span class="k">Failure rate (95% Wilson interval)</span>
          <span class="v">{fmtPct(r.value)}</span>
          <span>{fmtInterval(r.low, r.high)} · n = {fmtCount(r.n)}</span>
          {r.too_few ? <span class="tag" style="margin-top:.2rem">too few items (n &lt; 30)</span> : null}
        </div>
        <div class="kpi" data-metric="items" data-value={raw(sc.items)}><span class="k">Items</span><span class="v"><Count n={sc.items} cell={cellOf(sc)} /></span></div>
        <div class="kpi" data-metric="failures" data-value={raw(sc.failures)}><span class="k">Failures (all)</span><span class="v">{fmtCount(sc.failures)}</span></div>
        <div class="kpi" data-metric="excluded" data-value={raw(sc.excluded)}><span class="k">Excluded (LBL.AMBIG)</span><span class="v"><Count n={sc.excluded} cell={cellOf(sc, { signature: 'LBL.AMBIG' })} /></span></div>
        <div class="kpi" data-metric="pending" data-value={raw(sc.pending)}><span class="k">Pending (no label or prediction)</span><span class="v"><Count n={sc.pending} cell={cellOf(sc, { outcome: 'pending' })} /></span></div>
      </div>
      <p class="small muted">Rate = (failures − excluded) ÷ n, with n = items − excluded − pending = {fmtCount(sc.items)} − {fmtCount(sc.excluded)} − {fmtCount(sc.pending)} = {fmtCount(r.n)}.
        Outcomes: <span id="outcomes">{(['TP', 'TN', 'FP', 'FN'] as const).map((o, i) => (
          <>{i ? ' · ' : ''}{o} <Count n={sc.outcomes[o.toLowerCase() as 'tp']} cell={cellOf(sc, { outcome: o })} /></>
        ))}</span>.
        {r.too_few ? ' Fewer than 30 items: shown, but not ranked or tested.' : ''}</p>
    </section>
  );
}

function PolicyTable({ sc }: { sc: Scorecard }) {
  if (!sc.by_policy.length) return null;
  return (
    <section aria-labelledby="policies-h">
      <h2 id="policies-h">By policy</h2>
      <table id="policies">
        <caption>Failure rate per policy, {sc.region}, {sc.model.id} {sc.model.version}</caption>
        <thead>
          <tr>
            <th scope="col">Policy</th><th scope="col" class="num">Severity</th><th scope="col" class="num">Items</th>
            <th scope="col" class="num">Excluded</th><th scope="col" class="num">Pending</th><th scope="col" class="num">Failures counted</th>
            <th scope="col" class="num">Failure rate</th><th scope="col" class="num">95% interval</th><th scope="col" class="num">n</th>
            <th scope="col" class="num">FP</th><th scope="col" class="num">FN</th><th scope="col">Top signatures</th>
          </tr>
        </thead>
        <tbody>
          {sc.by_policy.map((p) => (
            <tr data-policy={p.policy} {...rateAttrs('', p.failure_rate)} data-items={raw(p.items)}>
              <th scope="row"><code>{p.policy}</code> <span class="muted small">{policyByCode(p.policy)?.name ?? ''}</span></th>
              <td class="num">{fmtNum(p.severity)}</td>
              <td class="num"><Count n={p.items} cell={cellOf(sc, { policy: p.policy })} /></td>
              <td class="num">{fmtCount(p.excluded)}</td>
              <td class="num">{fmtCount(p.pending)}</td>
              <td class="num">{fmtCount(p.failures - p.excluded)}</td>
              <td class="num">{fmtPct(p.failure_rate.value)}{p.failure_rate.too_few ? <> <span class="tag">too few</span></> : null}</td>
              <td class="num">{fmtInterval(p.failure_rate.low, p.failure_rate.high)}</td>
              <td class="num">{fmtCount(p.failure_rate.n)}</td>
              <td class="num"><Count n={p.outcomes.fp} cell={cellOf(sc, { policy: p.policy, outcome: 'FP' })} /></td>
              <td class="num"><Count n={p.outcomes.fn} cell={cellOf(sc, { policy: p.policy, outcome: 'FN' })} /></td>
              <td class="small">{p.by_signature.length ? p.by_signature.slice(0, 3).map((s, i) => (
                <>{i ? ' · ' : ''}{s.code} <Count n={s.count} cell={cellOf(sc, { policy: p.policy, signature: s.code })} /></>
              )) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

type SliceSig = Scorecard['slice_signatures'][number];
const num = (x: unknown) => (typeof x === 'number' ? x : null);

function sliceEvidence(s: SliceSig): string {
  const st = s.statistics as Record<string, any>;
  switch (s.code) {
    case 'CAL.MISFIT':
      return `ECE over ${fmtCount(st.n)} scored items; FP ${fmtCount(st.fp)} : FN ${fmtCount(st.fn)} (binomial p ${fmtP(num(st.fp_fn_p))})`;
    case 'REG.DISPARITY':
      return `${fmtPct(num(st.rate))} of ${fmtCount(st.n)} here vs ${fmtPct(num(st.rest_of_world_rate))} in the rest of the world (global ${fmtPct(num(st.global_rate))}; ${fmtCount(st.cells_tested)} cells tested)`;
    case 'VER.REGRESSION':
      return `${s.signature}: ${fmtPct(st.from?.rate?.value)} (${fmtCount(st.from?.count)}/${fmtCount(st.from?.n)}) in ${st.previous_version} → ${fmtPct(st.to?.rate?.value)} (${fmtCount(st.to?.count)}/${fmtCount(st.to?.n)}); difference ${fmtPp(st.diff?.value)} (95% CI ${fmtPp(st.diff?.low)} to ${fmtPp(st.diff?.high)})`;
    case 'DIST.SHIFT':
      return `latest slice ${st.slice} against the previous slice ${st.previous_slice}`;
  }
  return '';
}

function SliceSignatures({ sc }: { sc: Scorecard }) {
  return (
    <section aria-labelledby="slice-h">
      <h2 id="slice-h">Slice-level signatures</h2>
      {!sc.slice_signatures.length ? <p class="muted" id="slice-signatures-none">None fired for this region and version (CAL.MISFIT, REG.DISPARITY, VER.REGRESSION, DIST.SHIFT were checked).</p> : (
        <table id="slice-signatures">
          <caption>Listed beside the recommendations, not scored (v1). q: Benjamini–Hochberg over all tested cells.</caption>
          <thead>
            <tr>
              <th scope="col">Signature</th><th scope="col">Policy</th><th scope="col">Evidence</th>
              <th scope="col" class="num">ECE</th><th scope="col" class="num">z</th><th scope="col" class="num">p</th>
              <th scope="col" class="num">q (BH)</th><th scope="col" class="num">PSI</th><th scope="col">Interventions (weight)</th>
            </tr>
          </thead>
          <tbody>
            {sc.slice_signatures.map((s) => {
              const st = s.statistics as Record<string, unknown>;
              const ece = s.code === 'CAL.MISFIT' ? num(st.ece) : null;
              const p = s.code === 'CAL.MISFIT' ? num(st.fp_fn_p) : num(st.p);
              const psiParts = s.code === 'DIST.SHIFT'
                ? [['score', num(st.psi_score)], ['language', num(st.psi_language)], ['surface', num(st.psi_surface)]] as const
                : null;
              return (
                <tr data-code={s.code} data-policy={s.policy} data-signature={s.signature ?? ''} data-ece={raw(ece)}
                  data-z={raw(num(st.z))} data-p={raw(p)} data-q={raw(num(st.q))}
                  data-psi-score={raw(psiParts ? psiParts[0][1] : null)} data-psi-language={raw(psiParts ? psiParts[1][1] : null)} data-psi-surface={raw(psiParts ? psiParts[2][1] : null)}>
                  <th scope="row"><code>{s.code}</code>{s.signature ? <> <span class="small">(<code>{s.signature}</code>)</span></> : null}</th>
                  <td><code>{s.policy}</code></td>
                  <td class="small">{sliceEvidence(s)}</td>
                  <td class="num">{fmtStat(ece, 3)}</td>
                  <td class="num">{fmtStat(num(st.z))}</td>
                  <td class="num">{fmtP(p)}</td>
                  <td class="num">{fmtP(num(st.q))}</td>
                  <td class="num small">{psiParts ? psiParts.map(([k, v]) => `${k} ${fmtStat(v, 3)}`).join(' · ') : '—'}</td>
                  <td class="small">{s.interventions.map((i) => `${i.code} (${fmtNum(i.weight)})`).join(', ') || '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

const VERDICT_TEXT: Record<string, string> = { improved: '▼ improved', regressed: '▲ regressed', no_change: 'no change', too_few: 'too few items' };

function Comparison({ sc, compare }: { sc: Scorecard; compare: ScorecardPageProps['compare'] }) {
  if (!compare) {
    return (
      <section aria-labelledby="compare-h">
        <h2 id="compare-h">Compared with the previous version</h2>
        <p class="muted" id="compare-none">{sc.model.id} {sc.model.version} is the first version of this model: there is nothing to compare it with.</p>
      </section>
    );
  }
  const tally = new Map<string, number>();
  for (const c of compare.cells) tally.set(c.verdict, (tally.get(c.verdict) ?? 0) + 1);
  return (
    <section aria-labelledby="compare-h">
      <h2 id="compare-h">{sc.model.version} against {compare.from.version} {compare.predecessor ? '(its predecessor)' : '(chosen)'}</h2>
      <p class="small">
        {['improved', 'regressed', 'no_change', 'too_few'].map((v) => `${tally.get(v) ?? 0} ${VERDICT_TEXT[v].replace(/^[▲▼] /, '')}`).join(' · ')}.
        A verdict needs q &lt; 0.05 (Benjamini–Hochberg over every tested cell); cells with n &lt; 30 on either side are not tested.
      </p>
      <table id="compare" data-from={compare.from.version} data-to={sc.model.version}>
        <caption>Per policy: the failure rate (*) and each primary signature, {compare.from.version} ({compare.from.stage}) → {sc.model.version} ({sc.model.stage})</caption>
        <thead>
          <tr>
            <th scope="col">Policy</th><th scope="col">Signature</th>
            <th scope="col" class="num">{compare.from.version}: count / n</th><th scope="col" class="num">{compare.from.version}: rate</th>
            <th scope="col" class="num">{sc.model.version}: count / n</th><th scope="col" class="num">{sc.model.version}: rate</th>
            <th scope="col" class="num">Difference (95% CI)</th><th scope="col" class="num">z</th><th scope="col" class="num">p</th>
            <th scope="col" class="num">q (BH)</th><th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {compare.cells.map((c) => (
            <tr data-policy={c.policy} data-signature={c.signature} data-verdict={c.verdict}
              data-from-count={raw(c.from.count)} data-from-n={raw(c.from.n)} data-to-count={raw(c.to.count)} data-to-n={raw(c.to.n)}
              data-diff={raw(c.diff?.value)} data-diff-low={raw(c.diff?.low)} data-diff-high={raw(c.diff?.high)}
              data-z={raw(c.z)} data-p={raw(c.p)} data-q={raw(c.q)}>
              <td><code>{c.policy}</code></td>
              <th scope="row">{c.signature === '*' ? 'all failures (*)' : <code>{c.signature}</code>}</th>
              <td class="num">{c.signature === '*' ? fmtCount(c.from.count) : <Count n={c.from.count} cell={{ ...cellOf(sc, { policy: c.policy, signature: c.signature }), version: compare.from.version }} />} / {fmtCount(c.from.n)}</td>
              <td class="num">{fmtPct(c.from.rate.value)}</td>
              <td class="num">{c.signature === '*' ? fmtCount(c.to.count) : <Count n={c.to.count} cell={cellOf(sc, { policy: c.policy, signature: c.signature })} />} / {fmtCount(c.to.n)}</td>
              <td class="num">{fmtPct(c.to.rate.value)}</td>
              <td class="num">{c.diff ? <>{fmtPp(c.diff.value)}<span class="sub">{fmtPp(c.diff.low)} to {fmtPp(c.diff.high)}</span></> : '—'}</td>
              <td class="num">{fmtStat(c.z)}</td>
              <td class="num">{fmtP(c.p)}</td>
              <td class="num">{fmtP(c.q)}</td>
              <td class={`v-${c.verdict}`}>{VERDICT_TEXT[c.verdict]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

type Rec = Scorecard['recommendations'][number];

function Recommendation({ r, rank, sc }: { r: Rec; rank: number; sc: Scorecard }) {
  const name = getIntervention(r.intervention)?.name ?? '';
  return (
    <li data-intervention={r.intervention} data-score={raw(r.score)} data-recoverable={raw(r.recoverable)} data-cost={raw(r.cost)} data-rank={String(rank)}>
      <h3><code>{r.intervention}</code> {name} <span class="muted small">· lever {r.lever} · cost {fmtNum(r.cost)}</span></h3>
      <p class="arith"><strong>score {fmtNum(r.score)}</strong> = recoverable {fmtNum(r.recoverable)} ÷ cost {fmtNum(r.cost)}</p>
      {r.intervention === 'EVAL.PROBE' ? <p class="small"><a href={`#${DISCOVERY_ANCHOR}`}>Slices where failures concentrate →</a></p> : null}
      <table class="terms">
        <caption class="sr-only">Terms of {r.intervention}: failures × weight × severity</caption>
        <thead>
          <tr><th scope="col">Signature</th><th scope="col">Policy</th><th scope="col" class="num">Failures</th><th scope="col" class="num">× weight</th><th scope="col" class="num">× severity</th><th scope="col" class="num">= recoverable</th></tr>
        </thead>
        <tbody>
          {r.terms.map((t) => (
            <tr data-signature={t.signature} data-policy={t.policy} data-failures={raw(t.failures)} data-weight={raw(t.weight)} data-severity={raw(t.severity)}>
              <td><code>{t.signature}</code></td><td><code>{t.policy}</code></td>
              <td class="num"><Count n={t.failures} cell={cellOf(sc, { policy: t.policy, signature: t.signature })} /></td><td class="num">× {fmtNum(t.weight)}</td><td class="num">× {fmtNum(t.severity)}</td>
              <td class="num">= {fmtNum(t.failures * t.weight * t.severity)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr><th scope="row" colspan={5}>Σ recoverable</th><td class="num">{fmtNum(r.recoverable)}</td></tr>
        </tfoot>
      </table>
    </li>
  );
}

function Recommendations({ sc, top }: { sc: Scorecard; top: number }) {
  const recs = sc.recommendations;
  return (
    <section aria-labelledby="recs-h">
      <h2 id="recs-h">What to change: recommendations</h2>
      <p class="small">Each intervention's score = Σ (failures × weight × severity) ÷ cost, over the (signature, policy) cells it addresses
        (weights after this region's overrides; cost low 1, medium 3, high 9).</p>
      {!recs.length ? <p class="muted" id="recs-none">Nothing to recover: no failures with a mapped signature.</p> : (
        <>
          <ol class="recs" id="recommendations">
            {recs.slice(0, top).map((r, i) => <Recommendation r={r} rank={i + 1} sc={sc} />)}
          </ol>
          {recs.length > top ? (
            <details>
              <summary>All {recs.length} recommendations</summary>
              <ol class="recs" start={top + 1}>
                {recs.slice(top).map((r, i) => <Recommendation r={r} rank={top + i + 1} sc={sc} />)}
              </ol>
            </details>
          ) : null}
        </>
      )}
    </section>
  );
}

function Picker(p: ScorecardPageProps) {
  const { sc } = p;
  const others = p.models.filter((m) => m !== sc.model.id);
  return (
    <>
      <form class="filters" method="get" action={`/scorecards/${sc.region}`} aria-label="Choose the model version">
        <input type="hidden" name="model" value={sc.model.id} />
        <div class="field">
          <label for="version">Version of {sc.model.id}</label>
          <select id="version" name="version">
            {p.versions.map((v) => <option value={v.version} selected={v.version === sc.model.version}>{v.version} — {v.stage}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="compare-with">Compare with</label>
          <select id="compare-with" name="compare">
            <option value="" selected={!p.compare || p.compare.chosen === ''}>its predecessor{p.predecessor ? ` (now ${p.predecessor})` : ''}</option>
            {p.compareOptions.map((v) => <option value={v.version} selected={p.compare?.chosen === v.version}>{v.version} — {v.stage}</option>)}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      {others.length ? (
        <p class="small">Other models with data here: {others.map((m, i) => <>{i ? ', ' : ''}<a href={`/scorecards/${sc.region}?model=${enc(m)}`}>{m}</a></>)}</p>
      ) : null}
    </>
  );
}

export function scorecardPage(p: ScorecardPageProps): string {
  const { sc } = p;
  const title = `${sc.region} ${p.regionName} — ${sc.model.id} ${sc.model.version}`;
  const bars = sc.by_signature.map((s) => ({ code: s.code, count: s.count, rate: s.rate, href: itemsHref(cellOf(sc, { signature: s.code })) }));
  return html(
    <Layout title={title} signedIn={p.signedIn} wide>
      <p class="small"><a href={`/scorecards?model=${enc(sc.model.id)}&version=${enc(sc.model.version)}`}>← All regions</a></p>
      <h1 data-region={sc.region} data-model={sc.model.id} data-version={sc.model.version}>
        {sc.region} · {p.regionName} <span class="muted">— {sc.model.id} {sc.model.version} ({sc.model.stage})</span>
      </h1>
      <p class="small muted">Taxonomy {sc.taxonomy_version}. Same numbers as <code>GET /v1/regions/{sc.region}/scorecard?model={sc.model.id}&amp;version={sc.model.version}</code>.</p>
      <Picker {...p} />
      <Summary sc={sc} />
      <section aria-labelledby="sig-h">
        <h2 id="sig-h">Failures by primary signature</h2>
        <SignatureChart id="signatures" bars={bars}
          caption={`Rate of each primary signature with its 95% Wilson interval (whiskers), n = ${fmtCount(sc.failure_rate.n)}; LBL.AMBIG over all labelled items. Hatched: too few items.`} />
        {p.discovery && sc.by_signature.some((s) => s.code === 'UNEXPLAINED') ? <p class="small" id="unexplained-link"><a href={`#${UNEXPLAINED_ANCHOR}`}>UNEXPLAINED: where those failures concentrate →</a></p> : null}
      </section>
      <PolicyTable sc={sc} />
      {p.operating ? <OperatingSection region={sc.region} version={sc.model.version} points={sc.operating_points} thresholds={sc.thresholds} times={sc.time_to_detect} {...p.operating} /> : null}
      <Recommendations sc={sc} top={p.topRecommendations ?? 5} />
      {p.discovery ? <DiscoverySection {...p.discovery} api={`GET /v1/regions/${sc.region}/discovery?model=${sc.model.id}&version=${sc.model.version}`} /> : null}
      <SliceSignatures sc={sc} />
      <Comparison sc={sc} compare={p.compare} />
      <RegionInterventions region={sc.region} model={sc.model.id} version={sc.model.version} reports={p.interventions ?? []} />
    </Layout>,
  );
}

/** A region without any data yet. */
export function emptyRegionPage(region: string, regionName: string, signedIn: boolean): string {
  return html(
    <Layout title={`${region} ${regionName}`} signedIn={signedIn}>
      <p class="small"><a href="/scorecards">← All regions</a></p>
      <h1>{region} · {regionName}</h1>
      <p class="note" id="no-data">No model version has data in {region} yet. Submit a slice with <code>POST /v1/regions/{region}/slices</code>.</p>
    </Layout>,
  );
}
