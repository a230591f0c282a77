/** @jsxImportSource hono/jsx */
// The release gate (SPEC §14) for people: the same releaseGate() report that
// GET /v1/models/{model}/versions/{version}/gate answers, as a region table whose failing
// cells link to their items.
import type { GateReport } from '../services/gate.ts';
import { regionHref, type VersionOption } from './scorecard.tsx';
import { fmtCount, fmtP, fmtPct, fmtPp, raw } from './format.ts';
import { html, Layout } from './layout.tsx';

const enc = encodeURIComponent;
export const gateHref = (model: string, version: string, baseline?: string) =>
  `/scorecards/gate?model=${enc(model)}&version=${enc(version)}${baseline ? `&baseline=${enc(baseline)}` : ''}`;
/** The items behind a cell (the items page); "*" is every failure of the policy. */
const itemsHref = (region: string, model: string, version: string, policy: string, signature: string) =>
  `/scorecards/${region}/items?model=${enc(model)}&version=${enc(version)}&policy=${enc(policy)}${signature === '*' ? '' : `&signature=${enc(signature)}`}`;

const VERDICT: Record<string, string> = { fail: '▲ fail', pass: 'pass', no_data: 'no data' };

export interface GatePageProps {
  model: string; version: string; stage: string; versions: VersionOption[];
  /** null: the version has no predecessor and no baseline was chosen. */
  report: GateReport | null;
  scoped: boolean; signedIn?: boolean;
}

function Filters({ model, version, versions, report }: GatePageProps) {
  const option = (v: VersionOption, selected: boolean) => <option value={v.version} selected={selected}>{v.version} — {v.stage}</option>;
  return (
    <form class="filters" method="get" action="/scorecards/gate" aria-label="Choose the version and its baseline">
      <input type="hidden" name="model" value={model} />
      <div class="field"><label for="version">Version of {model}</label><select id="version" name="version">{versions.map((v) => option(v, v.version === version))}</select></div>
      <div class="field">
        <label for="baseline">Baseline</label>
        <select id="baseline" name="baseline">
          <option value="" selected={!report}>the predecessor</option>
          {versions.filter((v) => v.version !== version).map((v) => option(v, v.version === report?.baseline))}
        </select>
      </div>
      <button type="submit">Show</button>
    </form>
  );
}

function RegionRow({ r, report }: { r: GateReport['regions'][number]; report: GateReport }) {
  return (
    <tr data-region={r.region} data-verdict={r.verdict} data-n-baseline={raw(r.n.baseline)} data-n-version={raw(r.n.version)}>
      <th scope="row"><a href={regionHref(r.region, report.model, report.version)}>{r.region}</a></th>
      <td class={`verdict v-${r.verdict === 'fail' ? 'regressed' : r.verdict}`}>{VERDICT[r.verdict]}</td>
      <td class="num">{fmtCount(r.n.baseline)}</td>
      <td class="num">{fmtCount(r.n.version)}</td>
      <td>
        {r.verdict === 'no_data' ? <span class="small muted">n &lt; 30 in {r.n.baseline < 30 ? `${report.baseline}` : `${report.version}`}: not decided</span> : null}
        {r.regressed.length ? (
          <ul class="small">
            {r.regressed.map((c) => (
              <li data-policy={c.policy} data-signature={c.signature} data-q={raw(c.q)} data-diff={raw(c.diff.value)}>
                <a href={itemsHref(r.region, report.model, report.version, c.policy, c.signature)}>{c.policy} · <code>{c.signature === '*' ? 'failure rate' : c.signature}</code></a>:
                {' '}{fmtPct(c.from.rate.value)} → {fmtPct(c.to.rate.value)}, {fmtPp(c.diff.value)} <span class="muted">({fmtPp(c.diff.low)} to {fmtPp(c.diff.high)})</span>, q {fmtP(c.q)}
              </li>
            ))}
          </ul>
        ) : null}
      </td>
    </tr>
  );
}

export function gatePage(p: GatePageProps): string {
  const { report } = p;
  const count = (v: string) => report?.regions.filter((r) => r.verdict === v).length ?? 0;
  return html(
    <Layout title={`Release gate — ${p.model} ${p.version}`} signedIn={p.signedIn}>
      <h1 data-model={p.model} data-version={p.version} data-baseline={report?.baseline ?? ''} data-pass={report ? String(report.pass) : ''}>
        Release gate <span class="muted">— {p.model} {p.version} ({p.stage}){report ? ` against ${report.baseline}` : ''}</span>
      </h1>
      <Filters {...p} />
      <p class="small">A region <strong>fails</strong> when any cell of the comparison (policy × signature, BH over the region's tested cells) is
        {' '}<em>regressed</em> at q &lt; 0.05; it has <strong>no data</strong> when either version has fewer than 30 items there. The gate passes when no region fails.
        {' '}Machine-readable: <code>GET /v1/models/{p.model}/versions/{p.version}/gate</code>, or <code>avlm-diag gate</code> in CI.</p>
      {p.scoped ? <p class="note">Your key covers only some regions: only those are shown, and the verdict is over them alone.</p> : null}
      {!report ? <p class="note" id="no-baseline">{p.model} {p.version} is the first version of the model: choose a baseline to compare with.</p> : (
        <>
          <p id="gate-verdict" class={report.pass ? 'v-improved' : 'v-regressed'}>
            {report.pass ? 'PASS' : 'FAIL'} — {count('fail')} region{count('fail') === 1 ? '' : 's'} fail, {count('pass')} pass, {count('no_data')} without enough data.
          </p>
          {!report.regions.length ? <p class="note" id="no-rows">No region has data for {p.model} {report.baseline} or {p.version}.</p> : (
            <table id="gate">
              <caption>Failing regions first; each regressed cell links to its items</caption>
              <thead><tr>
                <th scope="col">Region</th><th scope="col">Verdict</th>
                <th scope="col" class="num">n in {report.baseline}</th><th scope="col" class="num">n in {report.version}</th><th scope="col">Regressed cells</th>
              </tr></thead>
              <tbody>
                {[...report.regions].sort((a, b) => Number(b.verdict === 'fail') - Number(a.verdict === 'fail')).map((r) => <RegionRow r={r} report={report} />)}
              </tbody>
            </table>
          )}
        </>
      )}
    </Layout>,
  );
}
