/** @jsxImportSource hono/jsx */
// Closing the loop (SPEC §5, §9) for people: one recorded intervention with its attribution
// report — the same attribution() result GET /v1/interventions/{id}/attribution answers, never
// recomputed — the list of recorded interventions, and the region page's section
// "Interventions in this version".
import type { attribution, InterventionRecord } from '../services/attribution.ts';
import { costValue, getIntervention } from '../../taxonomy/interventions.ts';
import { fmtCount, fmtInterval, fmtNum, fmtP, fmtPct, fmtPp, fmtStat, raw } from './format.ts';
import { html, Layout } from './layout.tsx';

export type Attribution = Awaited<ReturnType<typeof attribution>>;
type Targeted = Attribution['targeted'][number];
type Collateral = Attribution['collateral'][number];
type Cell = Targeted | Collateral;

const enc = encodeURIComponent;
export const interventionHref = (id: string) => `/scorecards/interventions/${enc(id)}`;
const regionHref = (region: string, model: string, version: string) => `/scorecards/${region}?model=${enc(model)}&version=${enc(version)}`;

/** Verdicts in words (with an arrow for the direction): never colour alone. */
export const VERDICT_TEXT: Record<string, string> = {
  effective: '▼ effective', no_effect: 'no effect', harmful: '▲ harmful', too_few: 'too few items',
  improved: '▼ improved', regressed: '▲ regressed',
};

function InterventionName({ code }: { code: string }) {
  const i = getIntervention(code);
  return <><code>{code}</code>{i ? <> {i.name}</> : null}</>;
}

const cellAttrs = (c: Cell) => ({
  'data-region': c.region, 'data-signature': c.signature, 'data-verdict': c.verdict,
  'data-before-count': raw(c.before.count), 'data-before-n': raw(c.before.n), 'data-before-value': raw(c.before.rate.value),
  'data-before-low': raw(c.before.rate.low), 'data-before-high': raw(c.before.rate.high),
  'data-after-count': raw(c.after.count), 'data-after-n': raw(c.after.n), 'data-after-value': raw(c.after.rate.value),
  'data-after-low': raw(c.after.rate.low), 'data-after-high': raw(c.after.rate.high),
  'data-diff': raw(c.diff?.value), 'data-diff-low': raw(c.diff?.low), 'data-diff-high': raw(c.diff?.high),
  'data-z': raw(c.z), 'data-p': raw(c.p), 'data-q': raw(c.q),
});

function Side({ s }: { s: Cell['before'] }) {
  return (
    <>
      <td class="num">{fmtCount(s.count)} / {fmtCount(s.n)}</td>
      <td class="num">{fmtPct(s.rate.value)}<span class="sub">{fmtInterval(s.rate.low, s.rate.high)}</span>{s.rate.too_few ? <span class="tag">too few</span> : null}</td>
    </>
  );
}

function CellRow({ c, model, version, extra, children }: { c: Cell; model: string; version: string; extra?: Record<string, string>; children?: unknown }) {
  return (
    <tr {...cellAttrs(c)} {...(extra ?? {})}>
      <th scope="row"><a href={regionHref(c.region, model, version)}>{c.region}</a></th>
      <td><code>{c.signature}</code></td>
      <Side s={c.before} />
      <Side s={c.after} />
      <td class="num">{c.diff ? <>{fmtPp(c.diff.value)}<span class="sub">{fmtPp(c.diff.low)} to {fmtPp(c.diff.high)}</span></> : '—'}</td>
      <td class="num">{fmtStat(c.z)}</td>
      <td class="num">{fmtP(c.p)}</td>
      <td class="num">{fmtP(c.q)}</td>
      <td class={`v-${c.verdict} verdict`}>{VERDICT_TEXT[c.verdict] ?? c.verdict}</td>
      {children}
    </tr>
  );
}

const CellHead = ({ before, after, more }: { before: string; after: string; more?: unknown }) => (
  <thead>
    <tr>
      <th scope="col">Region</th><th scope="col">Signature</th>
      <th scope="col" class="num">{before}: count / n</th><th scope="col" class="num">{before}: rate (95% CI)</th>
      <th scope="col" class="num">{after}: count / n</th><th scope="col" class="num">{after}: rate (95% CI)</th>
      <th scope="col" class="num">Difference (95% CI)</th><th scope="col" class="num">z</th><th scope="col" class="num">p</th>
      <th scope="col" class="num">q (BH)</th><th scope="col">Verdict</th>{more}
    </tr>
  </thead>
);

function RecordFacts({ rec, report, stage }: { rec: InterventionRecord; report: Attribution; stage: string | null }) {
  const i = getIntervention(rec.intervention);
  const cost = i ? costValue(rec.intervention) : null;
  return (
    <section aria-labelledby="record-h">
      <h2 id="record-h">The record</h2>
      <table id="record" data-id={rec.id} data-intervention={rec.intervention} data-model={rec.model.id} data-version={rec.model.version}
        data-applied-at={rec.applied_at} data-cost={raw(cost)} data-lever={i?.lever ?? ''}>
        <caption class="sr-only">Intervention record {rec.id}</caption>
        <tbody>
          <tr><th scope="row">Intervention</th><td><InterventionName code={rec.intervention} />{i ? <span class="sub">{i.description}</span> : null}</td></tr>
          <tr><th scope="row">Lever · stage · cost</th><td>{i ? `${i.lever} · ${i.stage ?? '—'} · ${i.cost} (${fmtNum(cost)})` : '—'}</td></tr>
          <tr><th scope="row">Model version</th><td>{rec.model.id} {rec.model.version}{stage ? ` (${stage})` : ''} — compared with {report.before ? <>its predecessor {report.before}</> : 'nothing (no predecessor)'}</td></tr>
          <tr><th scope="row">Targets: signatures</th><td id="target-signatures">{rec.targets.signatures.map((s, k) => <>{k ? ', ' : ''}<code>{s}</code></>)}</td></tr>
          <tr><th scope="row">Targets: regions</th><td id="target-regions">{rec.targets.regions.map((r, k) => <>{k ? ', ' : ''}{r === '*' ? 'all regions (*)' : <a href={regionHref(r, rec.model.id, rec.model.version)}>{r}</a>}</>)}</td></tr>
          <tr><th scope="row">Targets: policies</th><td>{rec.targets.policies?.length ? rec.targets.policies.map((p, k) => <>{k ? ', ' : ''}<code>{p}</code></>) : 'all policies'}</td></tr>
          <tr><th scope="row">Note</th><td id="note">{rec.note ?? <span class="muted">none</span>}</td></tr>
          <tr><th scope="row">Applied at</th><td><time datetime={rec.applied_at}>{rec.applied_at}</time></td></tr>
          <tr><th scope="row">Recorded</th><td class="small">{rec.created_at} by <code>{rec.created_by}</code></td></tr>
        </tbody>
      </table>
    </section>
  );
}

function SummaryKpis({ report }: { report: Attribution }) {
  const s = report.summary;
  const weak = s.weakly_attributable === null ? '—' : s.weakly_attributable ? 'yes' : 'no';
  return (
    <section aria-labelledby="summary-h">
      <h2 id="summary-h">Did it work?</h2>
      {'note' in s && s.note ? <p class="note" id="summary-note">{s.note}</p> : null}
      <div class="kpis" id="summary">
        <div class="kpi main" data-metric="recovered" data-value={raw(s.recovered)}><span class="k">Failures recovered (targeted cells)</span><span class="v">{fmtNum(s.recovered)}</span></div>
        <div class="kpi" data-metric="overall_gain" data-value={raw(s.overall_gain)}><span class="k">Overall gain of the model</span><span class="v">{fmtNum(s.overall_gain)}</span></div>
        <div class="kpi" data-metric="attributable_share" data-value={raw(s.attributable_share)}><span class="k">Attributable share</span><span class="v">{s.attributable_share === null ? '—' : fmtPct(s.attributable_share)}</span></div>
        <div class="kpi" data-metric="weakly_attributable" data-value={s.weakly_attributable === null ? '' : String(s.weakly_attributable)}><span class="k">Weakly attributable (share &lt; 50%)</span><span class="v">{weak}</span></div>
      </div>
      <p class="small muted" id="summary-line">
        Recovered {fmtNum(s.recovered)} failures = Σ over the targeted cells of (before − after rate) × after n, shared evenly where several
        interventions of this version target the same cell; overall gain {fmtNum(s.overall_gain)} = (before − after failure rate of the model) × after n,
        over every region this key may read and every policy; attributable share {s.attributable_share === null ? '— (no overall gain)' : fmtStat(s.attributable_share, 2)}; weakly attributable: {weak}.
        Shares are not a partition: where other cells got worse (collateral, or changes outside the targets) the targeted recovery
        can exceed the overall gain, so one share, or the sum of a version's shares, can pass 100%.
      </p>
    </section>
  );
}

function TargetedTable({ report }: { report: Attribution }) {
  const { intervention: rec, before, after } = report;
  if (!before) return null;
  const tally = new Map<string, number>();
  for (const c of report.targeted) tally.set(c.verdict, (tally.get(c.verdict) ?? 0) + 1);
  return (
    <section aria-labelledby="targeted-h">
      <h2 id="targeted-h">Targeted cells</h2>
      <p class="small" id="targeted-tally">{['effective', 'no_effect', 'harmful', 'too_few'].map((v) => `${tally.get(v) ?? 0} ${VERDICT_TEXT[v].replace(/^[▲▼] /, '')}`).join(' · ')}.
        Effective: the targeted signature fell with q &lt; 0.05 (Benjamini–Hochberg over every tested cell of the report); harmful: it rose; cells with n &lt; 30 on either side are not tested.</p>
      {!report.targeted.length ? <p class="muted" id="targeted-none">No targeted signature has failures in either version in the targeted regions.</p> : (
        <div class="scroll"><table id="targeted">
          <caption>Each targeted (region, signature), pooled over {rec.targets.policies?.length ? 'the targeted policies' : 'all policies'}: {before} → {after}</caption>
          <CellHead before={before} after={after} more={<><th scope="col" class="num">Recovered (credit)</th><th scope="col">Shared with</th></>} />
          <tbody>
            {report.targeted.map((c) => (
              <CellRow c={c} model={rec.model.id} version={after} extra={{ 'data-recovered': raw(c.recovered), 'data-shared-with': c.shared_with.join(' ') }}>
                <td class="num">{fmtNum(c.recovered)}</td>
                <td class="small">{c.shared_with.length ? c.shared_with.map((id, k) => <>{k ? ', ' : ''}<a href={interventionHref(id)}>{id}</a></>) : '—'}</td>
              </CellRow>
            ))}
          </tbody>
        </table></div>
      )}
    </section>
  );
}

function CollateralTable({ report }: { report: Attribution }) {
  const { intervention: rec, before, after } = report;
  if (!before) return null;
  return (
    <section aria-labelledby="collateral-h">
      <h2 id="collateral-h">Collateral: untargeted cells that moved</h2>
      {!report.collateral.length ? <p class="muted" id="collateral-none">No untargeted (region, signature) cell moved significantly (q &lt; 0.05).</p> : (
        <div class="scroll"><table id="collateral">
          <caption>Untargeted cells with q &lt; 0.05: ▲ regressed (rose), ▼ improved (fell)</caption>
          <CellHead before={before} after={after} />
          <tbody>{report.collateral.map((c) => <CellRow c={c} model={rec.model.id} version={after} />)}</tbody>
        </table></div>
      )}
    </section>
  );
}

export interface InterventionPageProps { report: Attribution; stage: string | null; signedIn: boolean }

export function interventionPage({ report, stage, signedIn }: InterventionPageProps): string {
  const rec = report.intervention;
  return html(
    <Layout title={`${rec.intervention} in ${rec.model.id} ${rec.model.version}`} signedIn={signedIn} wide>
      <p class="small"><a href={`/scorecards/interventions?model=${enc(rec.model.id)}&version=${enc(rec.model.version)}`}>← Interventions of {rec.model.id} {rec.model.version}</a></p>
      <h1 data-id={rec.id} data-intervention={rec.intervention} data-model={rec.model.id} data-version={rec.model.version} data-before={report.before ?? ''}>
        <InterventionName code={rec.intervention} /> <span class="muted">— {rec.model.id} {rec.model.version}</span>
      </h1>
      <p class="small muted">Same numbers as <code>GET /v1/interventions/{rec.id}/attribution</code>.</p>
      <RecordFacts rec={rec} report={report} stage={stage} />
      <SummaryKpis report={report} />
      <TargetedTable report={report} />
      <SharedCredit report={report} />
      <CollateralTable report={report} />
    </Layout>,
  );
}

function SharedCredit({ report }: { report: Attribution }) {
  const shared = report.targeted.filter((c) => c.shared_with.length);
  if (!report.before) return null;
  return (
    <section aria-labelledby="shared-h">
      <h2 id="shared-h">Shared credit</h2>
      {!shared.length ? <p class="muted" id="shared-none">No other intervention of this version targets these cells: all their recovery is credited here.</p> : (
        <ul id="shared">
          {shared.map((c) => (
            <li data-region={c.region} data-signature={c.signature} data-shared-with={c.shared_with.join(' ')}>
              {c.region} <code>{c.signature}</code>: recovery split evenly {c.shared_with.length + 1} ways (credit here {fmtNum(c.recovered)}) with{' '}
              {c.shared_with.map((id, k) => <>{k ? ', ' : ''}<a href={interventionHref(id)}>{id}</a></>)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// ---------------------------------------------------------------------------------------
// The list of recorded interventions

export interface InterventionsIndexProps {
  records: InterventionRecord[];
  model: string | null;
  version: string | null;
  signedIn: boolean;
}

export function interventionsIndexPage({ records, model, version, signedIn }: InterventionsIndexProps): string {
  const scope = model ? `${model}${version ? ` ${version}` : ''}` : 'all models';
  return html(
    <Layout title={`Interventions — ${scope}`} signedIn={signedIn}>
      <p class="small"><a href={model ? `/scorecards?model=${enc(model)}${version ? `&version=${enc(version)}` : ''}` : '/scorecards'}>← All regions</a></p>
      <h1 data-model={model ?? ''} data-version={version ?? ''}>Recorded interventions <span class="muted">— {scope}</span></h1>
      <form class="filters" method="get" action="/scorecards/interventions" aria-label="Filter the interventions">
        <div class="field"><label for="model">Model</label><input id="model" name="model" value={model ?? ''} /></div>
        <div class="field"><label for="version">Version</label><input id="version" name="version" value={version ?? ''} /></div>
        <button type="submit">Show</button>
      </form>
      {!records.length ? <p class="muted" id="interventions-none">No intervention recorded{model ? ` for ${scope}` : ''} that this key may read. Record one with <code>POST /v1/interventions</code>.</p> : (
        <table id="interventions">
          <caption>Newest versions first; each links to its attribution report</caption>
          <thead><tr><th scope="col">Intervention</th><th scope="col">Model version</th><th scope="col">Signatures</th><th scope="col">Regions</th><th scope="col">Note</th><th scope="col">Applied at</th></tr></thead>
          <tbody>
            {records.map((r) => (
              <tr data-id={r.id} data-intervention={r.intervention} data-version={r.model.version}>
                <th scope="row"><a href={interventionHref(r.id)}><InterventionName code={r.intervention} /></a></th>
                <td>{r.model.id} {r.model.version}</td>
                <td>{r.targets.signatures.map((s, k) => <>{k ? ', ' : ''}<code>{s}</code></>)}</td>
                <td>{r.targets.regions.join(', ')}</td>
                <td class="small">{r.note ?? '—'}</td>
                <td class="small">{r.applied_at}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>,
  );
}

// ---------------------------------------------------------------------------------------
// The region page's section

export function RegionInterventions({ region, model, version, reports }: { region: string; model: string; version: string; reports: Attribution[] }) {
  return (
    <section aria-labelledby="interventions-h">
      <h2 id="interventions-h">Interventions in this version</h2>
      {!reports.length ? (
        <p class="muted" id="region-interventions-none">No intervention recorded for {model} {version} targets {region}.
          {' '}<a href={`/scorecards/interventions?model=${enc(model)}&version=${enc(version)}`}>All interventions of this version</a></p>
      ) : (
        <ul id="region-interventions">
          {reports.map((r) => {
            const mine = r.targeted.filter((c) => c.region === region);
            return (
              <li data-id={r.intervention.id} data-intervention={r.intervention.intervention}>
                <a href={interventionHref(r.intervention.id)}><InterventionName code={r.intervention.intervention} /></a>
                {' '}<span class="muted small">targets {r.intervention.targets.signatures.join(', ')}{r.before ? `; ${r.before} → ${r.after}` : '; no predecessor to compare with'}</span>
                {mine.length ? (
                  <ul>
                    {mine.map((c) => (
                      <li {...cellAttrs(c)}>
                        <code>{c.signature}</code>: {fmtPct(c.before.rate.value)} → {fmtPct(c.after.rate.value)}, {c.diff ? fmtPp(c.diff.value) : '—'}{' '}
                        (q {fmtP(c.q)}) — <span class={`v-${c.verdict}`}>{VERDICT_TEXT[c.verdict]}</span>
                      </li>
                    ))}
                  </ul>
                ) : <span class="small"> — no targeted signature has failures here in either version.</span>}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
