/** @jsxImportSource hono/jsx */
// The item diagnosis page (SPEC §10): one item of a slice — what it is, its outcome, every
// signature that fired with the evidence that fired it and the catalogue's rule, the prediction
// and probes, the label with its votes and what the store keeps of its history, the consensus
// posterior and, for a live segment, its stream neighbours. The numbers are the item route's
// (GET /v1/regions/{r}/slices/{s}/items/{id}: the same itemDiagnosis()), never recomputed.
import { raw as rawHtml } from 'hono/html';
import type { itemDiagnosis } from '../services/item-diagnosis.ts';
import type { ItemVote, SignatureText } from '../services/item-page.ts';
import { PROBE_KEYS, type EvalItem } from '../../taxonomy/types.ts';
import { policyByCode } from '../../taxonomy/policies.ts';
import { fmtNum, fmtPct, raw } from './format.ts';
import { html, Layout } from './layout.tsx';
import { itemHref, itemsHref } from './links.ts';
import { regionHref } from './scorecard.tsx';

type Found = Awaited<ReturnType<typeof itemDiagnosis>>;

export interface ItemPageProps {
  found: Found;
  regionName: string;
  texts: Map<string, SignatureText>;
  votes: ItemVote[];
  signedIn: boolean;
}

const yesNo = (b: boolean | undefined) => (b === undefined ? '—' : b ? 'yes' : 'no');
const violating = (b: boolean) => (b ? 'violating' : 'not violating');
/** A value of an evidence object or an item field, as text. */
const show = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'number' ? fmtNum(v) : typeof v === 'string' ? v : JSON.stringify(v));

function Facts({ id, caption, rows }: { id: string; caption: string; rows: Array<[string, unknown, string?]> }) {
  return (
    <table id={id}>
      <caption>{caption}</caption>
      <tbody>
        {rows.map(([k, v, key]) => <tr data-field={key ?? k}><th scope="row">{k}</th><td>{v as string}</td></tr>)}
      </tbody>
    </table>
  );
}

function Signatures({ p }: { p: ItemPageProps }) {
  const { body } = p.found;
  if (!body.secondary.length) {
    return <p class="muted" id="signatures-none">No signature fired: {body.outcome === 'pending' ? 'the item has no outcome yet (no label or no prediction).' : `a ${body.outcome} is not a failure.`}</p>;
  }
  return (
    <table id="signatures">
      <caption>Every signature that matched, the primary first by precedence, with the evidence that fired it and the catalogue's rule</caption>
      <thead><tr><th scope="col">Signature</th><th scope="col">What it means</th><th scope="col">Rule</th><th scope="col">Evidence</th></tr></thead>
      <tbody>
        {body.secondary.map((s) => {
          const t = p.texts.get(s.code);
          return (
            <tr data-code={s.code} data-primary={String(s.code === body.primary)} data-evidence={JSON.stringify(s.evidence)}>
              <th scope="row"><code>{s.code}</code>{s.code === body.primary ? <> <span class="tag">primary</span></> : null}</th>
              <td class="small">{t?.description ?? '—'}</td>
              <td class="small">{t?.rule ?? 'not in the seeded catalogue'}</td>
              <td class="small">
                <ul class="ev">{Object.entries(s.evidence).map(([k, v]) => <li data-key={k}><code>{k}</code> = {show(v)}</li>)}</ul>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Probes({ item }: { item: EvalItem }) {
  return (
    <table id="probes">
      <caption>Probes: the model's score with parts of the input removed or given alone (— = not run)</caption>
      <thead><tr>{PROBE_KEYS.map((k) => <th scope="col" class="num">{k}</th>)}</tr></thead>
      <tbody><tr>{PROBE_KEYS.map((k) => <td class="num" data-probe={k} data-value={raw(item.probes?.[k])}>{show(item.probes?.[k])}</td>)}</tr></tbody>
    </table>
  );
}

function Votes({ votes }: { votes: ItemVote[] }) {
  if (!votes.length) return <p class="muted" id="votes-none">No votes: the label came without individual annotators' votes.</p>;
  return (
    <table id="votes">
      <caption>Votes: each annotator's latest vote (vendors' through their webhook deliveries; "(submitted)" came with the item)</caption>
      <thead><tr><th scope="col">Annotator</th><th scope="col">Vendor</th><th scope="col">Vote</th><th scope="col">Labelled at</th><th scope="col">Delivery</th><th scope="col">Received</th><th scope="col">Evidence</th></tr></thead>
      <tbody>
        {votes.map((v) => (
          <tr data-annotator={v.annotator} data-vendor={v.vendor} data-violating={String(v.violating)} data-labelled-at={v.labelled_at ?? ''}>
            <th scope="row">{v.annotator}</th><td>{v.vendor}</td><td>{violating(v.violating)}{v.adversarial ? ' (adversarial)' : ''}</td>
            <td>{v.labelled_at ?? '—'}</td><td class="small"><code>{v.delivery_id ?? '—'}</code></td><td>{v.received_at ?? '—'}</td>
            <td>{v.evidence?.join(', ') ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Neighbours({ p }: { p: ItemPageProps }) {
  const { rec, slice } = p.found;
  const live = rec.i.live;
  if (!live) return <p class="muted" id="neighbours-none">Not a live segment: no stream neighbours.</p>;
  const side = (label: string, key: 'prev' | 'next', ids: string[] | undefined, segment: number) => {
    const f = rec.n?.[key];
    return (
      <tr data-side={key} data-segment={String(segment)} data-decision={f ? String(f.decision) : ''} data-violating={f ? String(f.violating) : ''}>
        <th scope="row">{label} (segment {segment})</th>
        <td>{ids?.length ? ids.map((id, i) => <>{i ? ', ' : ''}<a href={itemHref(slice.region, slice.slice_id, id)}>{id}</a></>) : '—'}</td>
        <td>{f ? `${f.decision ? 'flagged' : 'not flagged'}, label ${violating(f.violating)}` : 'not in the slice, or undecided'}</td>
      </tr>
    );
  };
  return (
    <table id="neighbours" data-stream={live.stream_id} data-segment={String(live.segment)}>
      <caption>Stream {live.stream_id}, segment {live.segment}: the neighbouring segments TMP.FLIP reads (as stored: the facts are kept current when a neighbour's label changes)</caption>
      <thead><tr><th scope="col">Neighbour</th><th scope="col">Items</th><th scope="col">Decision and label</th></tr></thead>
      <tbody>
        {side('Previous', 'prev', rec.s?.p, live.segment - 1)}
        {side('Next', 'next', rec.s?.x, live.segment + 1)}
      </tbody>
    </table>
  );
}

export function itemPage(p: ItemPageProps): string {
  const { slice, rec, body } = p.found;
  const item = rec.i;
  const label = item.label;
  const model = { region: slice.region, model: slice.model_id, version: slice.model_version };
  const pred = item.prediction;
  const c = rec.c;
  return html(
    <Layout title={`${body.item_id} — ${slice.region} ${slice.slice_id}`} signedIn={p.signedIn}>
      <style>{rawHtml('ul.ev{margin:0;padding-left:1.1rem}')}</style>
      <p class="small">
        <a href={regionHref(slice.region, slice.model_id, slice.model_version)}>← {slice.region} {p.regionName}, {slice.model_id} {slice.model_version}</a>
        {' · '}<a href={itemsHref({ ...model, slice_id: slice.slice_id })}>items of slice {slice.slice_id}</a>
        {body.primary ? <>{' · '}<a href={itemsHref({ ...model, policy: item.policy, signature: body.primary })}>{body.primary} in {item.policy}</a></> : null}
      </p>
      <h1 data-region={slice.region} data-slice={slice.slice_id} data-item={body.item_id} data-outcome={body.outcome} data-primary={body.primary ?? ''}>
        Item <code>{body.item_id}</code> <span class="muted">— {body.outcome}{body.primary ? `, ${body.primary}` : ''}</span>
      </h1>
      <p class="small muted">Same numbers as <code>GET /v1/regions/{slice.region}/slices/{slice.slice_id}/items/{body.item_id}</code>.</p>

      <section aria-labelledby="item-h">
        <h2 id="item-h">The item</h2>
        <Facts id="item" caption="What was evaluated, and where" rows={[
          ['Policy', `${item.policy} — ${policyByCode(item.policy)?.name ?? ''}`, 'policy'],
          ['Surface', item.surface, 'surface'],
          ['Language', item.language ?? '—', 'language'],
          ['Model', `${slice.model_id} ${slice.model_version} (${slice.model_stage})`, 'model'],
          ['Slice', `${slice.slice_id}, submitted ${slice.created_at} (${slice.status})`, 'slice'],
          ...(item.content_id ? [['Content', item.content_id, 'content_id'] as [string, unknown, string]] : []),
          ...(item.media ? [['Media', show(item.media), 'media'] as [string, unknown, string]] : []),
        ]} />
      </section>

      <section aria-labelledby="outcome-h">
        <h2 id="outcome-h">Outcome and signatures</h2>
        <Facts id="outcome" caption="The model's decision against the label" rows={[
          ['Outcome', body.outcome, 'outcome'],
          ['Failure', yesNo(body.failure), 'failure'],
          ['Excluded from the failure rate', body.excluded ? 'yes: the label is in doubt (LBL.AMBIG)' : 'no', 'excluded'],
        ]} />
        <Signatures p={p} />
      </section>

      <section aria-labelledby="pred-h">
        <h2 id="pred-h">Prediction and probes</h2>
        <Facts id="prediction" caption="The model's output on the full input" rows={[
          ['Score', show(pred?.score), 'score'],
          ['Threshold used', `${fmtNum(body.threshold)}${pred?.threshold === undefined ? ' (the policy\'s default)' : ' (the item\'s own)'}`, 'threshold'],
          ['Decision', pred ? (pred.score >= body.threshold ? 'flagged' : 'not flagged') : '— (no prediction yet)', 'decision'],
          ['Output parsed', yesNo(pred?.parse_ok), 'parse_ok'],
          ['Grounded', yesNo(pred?.grounded), 'grounded'],
        ]} />
        {body.probe_error ? <p class="error" id="probe-error">The GPU backend cannot score this item: {body.probe_error}</p> : null}
        <Probes item={item} />
      </section>

      <section aria-labelledby="label-h">
        <h2 id="label-h">Label and votes</h2>
        {label ? (
          <Facts id="label" caption="The item's current label" rows={[
            ['Label', violating(label.violating), 'violating'],
            ['Source', show(label.source), 'source'],
            ['Adjudicated', yesNo(label.adjudicated as boolean | undefined), 'adjudicated'],
            ['Labelled at', show(label.labelled_at), 'labelled_at'],
            ['Evidence', label.evidence?.join(', ') ?? '—', 'evidence'],
            ['Adversarial', yesNo(label.adversarial), 'adversarial'],
          ]} />
        ) : <p class="muted" id="label-none">No label yet: the item is pending.</p>}
        <Votes votes={p.votes} />
        <h3 id="history-h">Label history</h3>
        <p class="small" id="history">What the store keeps: the current label (above, with its source and time), each annotator's latest vote with
          the webhook delivery that brought it and when that delivery arrived. An annotator's earlier votes and earlier labels are replaced,
          not kept, so a full history of changes cannot be shown.</p>
        <h3 id="consensus-h">Consensus</h3>
        <p id="consensus" data-p-violating={raw(c)}>
          {c === undefined
            ? 'No label-consensus run has covered this item\'s current votes (a new vote clears the previous posterior until the next run).'
            : `Dawid–Skene consensus: P(violating) = ${fmtPct(c)}; the current label (${label ? violating(label.violating) : '—'}) has posterior ${fmtPct(label ? (label.violating ? c : 1 - c) : null)}.`}
        </p>
      </section>

      <section aria-labelledby="nb-h">
        <h2 id="nb-h">Live-stream neighbours</h2>
        <Neighbours p={p} />
      </section>
    </Layout>,
  );
}
