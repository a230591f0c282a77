/** @jsxImportSource hono/jsx */
// The items page (SPEC §10): the items of one cell of a region × model version — filters, the
// exact total, pages by cursor, a CSV link — each item linking to its diagnosis page. The same
// listItems() answer GET /v1/regions/{region}/items gives, rendered.
import type { ItemsPage, ItemsQuery } from '../services/items.ts';
import { fmtCount, fmtNum } from './format.ts';
import { html, Layout } from './layout.tsx';

const enc = encodeURIComponent;
const OUTCOMES = ['TP', 'TN', 'FP', 'FN', 'pending'] as const;
/** The filters, by the query names the heatmap and region page link with. */
const FILTERS = ['policy', 'signature', 'outcome', 'slice_id', 'population'] as const;

export const itemHref = (region: string, sliceId: string, itemId: string) => `/scorecards/${region}/slices/${enc(sliceId)}/items/${enc(itemId)}`;

/** The items page URL of a cell: what the heatmap and region page counts link to. */
export function itemsHref(region: string, q: Pick<ItemsQuery, 'model' | 'version' | 'features' | typeof FILTERS[number]>, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ model: q.model, version: q.version });
  for (const k of FILTERS) if (q[k] !== undefined) params.set(k, q[k]!);
  for (const [k, v] of q.features ?? []) params.set(k, v);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return `/scorecards/${region}/items?${params}`;
}

export interface ItemsPageProps {
  region: string; regionName: string; query: ItemsQuery; page: ItemsPage; signedIn?: boolean;
  policies: readonly string[];
}

export function itemsPage({ region, regionName, query: q, page, signedIn, policies }: ItemsPageProps): string {
  const cell = [...FILTERS.filter((k) => q[k] !== undefined).map((k) => `${k} ${q[k]}`), ...(q.features ?? []).map(([k, v]) => `${k} = ${v}`)].join(', ');
  return html(
    <Layout title={`Items · ${region} · ${q.model} ${q.version}`} signedIn={signedIn}>
      <p><a href={`/scorecards/${region}?model=${enc(q.model)}&version=${enc(q.version)}`}>← {regionName} ({region}) scorecard</a></p>
      <h1>Items of {region} · {q.model} {q.version}{cell ? <> · {cell}</> : null}</h1>
      <form method="get" action={`/scorecards/${region}/items`} class="filters">
        <input type="hidden" name="model" value={q.model} />
        <input type="hidden" name="version" value={q.version} />
        {(q.features ?? []).map(([k, v]) => <input type="hidden" name={k} value={v} />)}
        <label>Policy <select name="policy">
          <option value="">any</option>
          {policies.map((p) => <option value={p} selected={p === q.policy}>{p}</option>)}
        </select></label>
        <label>Signature <input name="signature" value={q.signature ?? ''} placeholder="FUS.SUPPRESS or FUS.SUPPRESS.audio" /></label>
        <label>Outcome <select name="outcome">
          <option value="">any</option>
          {OUTCOMES.map((o) => <option value={o} selected={o === q.outcome}>{o}</option>)}
        </select></label>
        <label>Slice <input name="slice_id" value={q.slice_id ?? ''} /></label>
        <button type="submit">Show</button>
      </form>
      <p><strong id="items-total" data-total={String(page.total)}>{fmtCount(page.total)}</strong> {page.total === 1 ? 'item' : 'items'}
        {' · '}<a id="items-csv" href={itemsHref(region, q, { format: 'csv' })}>Download all as CSV</a></p>
      {page.slices_catching_up > 0 ? (
        <p id="items-catching-up" class="note" role="status">{fmtCount(page.slices_catching_up)} {page.slices_catching_up === 1 ? 'slice was' : 'slices were'} committed
          moments ago and {page.slices_catching_up === 1 ? 'is' : 'are'} still being copied into the item store: until then the total leaves
          {page.slices_catching_up === 1 ? ' its' : ' their'} items out. Reload in a few seconds.</p>
      ) : null}
      {page.items.length ? (
        <table class="items">
          <thead><tr><th scope="col">Slice</th><th scope="col">Item</th><th scope="col">Policy</th><th scope="col">Outcome</th>
            <th scope="col">Primary signature</th><th scope="col" class="num">Score</th><th scope="col" class="num">Threshold</th>
            <th scope="col">Language</th><th scope="col">Surface</th></tr></thead>
          <tbody>
            {page.items.map((it) => (
              <tr data-slice={it.slice_id} data-item={it.item_id} data-outcome={it.outcome}>
                <td>{it.slice_id}</td>
                <th scope="row"><a href={itemHref(region, it.slice_id, it.item_id)}>{it.item_id}</a></th>
                <td>{it.policy}</td><td>{it.outcome}</td><td>{it.primary ? <code>{it.primary}</code> : '—'}</td>
                <td class="num">{fmtNum(it.score)}</td><td class="num">{fmtNum(it.threshold)}</td>
                <td>{it.language ?? '—'}</td><td>{it.surface}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p>No items in this cell.</p>}
      <nav class="pages">
        {q.cursor ? <a id="items-first" href={itemsHref(region, q)}>First page</a> : null}
        {q.cursor && page.next_cursor ? ' · ' : null}
        {page.next_cursor ? <a id="items-next" rel="next" href={itemsHref(region, q, { cursor: page.next_cursor })}>Next {fmtCount(q.limit)} →</a> : null}
      </nav>
    </Layout>,
  );
}
