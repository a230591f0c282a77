// Human-readable output per kind of answer (--json prints the API's JSON as it is instead).

const pct = (/** @type {number | null | undefined} */ v) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);
/** @param {{ value: number | null, low: number | null, high: number | null, n: number, too_few: boolean }} r */
const rate = (r) => `${pct(r.value)} [${pct(r.low)}, ${pct(r.high)}] n=${r.n}${r.too_few ? ' (too few)' : ''}`;

const num = (/** @type {number | null | undefined} */ v, /** @type {number} */ d) => (v === null || v === undefined ? '–' : v.toFixed(d));

/** @type {Record<string, (d: any) => string[]>} */
const FORMATS = {
  items: (d) => [
    `${d.total} items in this cell${d.items.length < d.total ? ` (${d.items.length} on this page)` : ''}`,
    ...d.items.map((/** @type {any} */ i) =>
      `  ${i.slice_id.padEnd(24)} ${i.item_id.padEnd(24)} ${i.policy.padEnd(22)} ${i.outcome.padEnd(7)} ${(i.primary ?? '–').padEnd(22)} score ${num(i.score, 2)} thr ${num(i.threshold, 2)}`),
    ...(d.next_cursor ? [`more: --cursor ${d.next_cursor}   (all of them: --export csv|ndjson)`] : []),
  ],
  discovery: (d) => [
    `${d.population.n} items, ${d.population.errors} errors; ${d.evaluated} slices evaluated, ${d.slices.length} reported${d.ignored_features.length ? `; ignored: ${d.ignored_features.map((/** @type {any} */ f) => f.feature ?? f).join(', ')}` : ''}`,
    ...d.slices.map((/** @type {any} */ s) =>
      `  ${s.predicates.map((/** @type {any} */ p) => `${p.feature}=${p.value}`).join(' & ').padEnd(48)} n ${String(s.n).padStart(7)}  errors ${String(s.errors).padStart(6)}  ${pct(s.rate.value).padStart(8)} vs ${pct(s.rest.rate.value).padStart(8)}  lift ${num(s.lift, 2)}  q ${s.q.toPrecision(2)}${s.folded.length ? `  (+${s.folded.length} folded)` : ''}`),
  ],
  slice: (d) => [
    `slice ${d.slice_id}: ${d.status}${d.error ? ` (${d.error})` : ''}`,
    `  ${d.items} items, ${d.failures} failures, ${d.excluded} excluded, ${d.pending} pending`,
    ...Object.entries(d.by_signature ?? {}).sort((a, b) => Number(b[1]) - Number(a[1])).map(([k, v]) => `  ${k.padEnd(24)} ${v}`),
  ],
  scorecard: (d) => [
    `${d.region} · ${d.model.id} ${d.model.version} (${d.model.stage}): ${d.items} items, ${d.failures} failures, ${d.excluded} excluded, ${d.pending} pending`,
    `  failure rate ${rate(d.failure_rate)}`,
    ...d.by_signature.map((/** @type {any} */ s) => `  ${s.code.padEnd(24)} ${String(s.count).padStart(7)}  ${rate(s.rate)}`),
    ...(d.recommendations.length ? ['recommendations:'] : []),
    ...d.recommendations.slice(0, 10).map((/** @type {any} */ r, /** @type {number} */ i) => `  ${i + 1}. ${r.intervention} (${r.lever}, cost ${r.cost}): recoverable ${r.recoverable.toFixed(1)}, score ${r.score.toFixed(2)}`),
  ],
  compare: (d) => [
    `${d.region} · ${d.model} ${d.from.version} (${d.from.stage}) → ${d.to.version} (${d.to.stage})`,
    ...d.cells.filter((/** @type {any} */ c) => c.verdict !== 'too_few').map((/** @type {any} */ c) =>
      `  ${c.policy.padEnd(22)} ${c.signature.padEnd(22)} ${pct(c.from.rate.value).padStart(8)} → ${pct(c.to.rate.value).padStart(8)}  q=${c.q === null ? '–' : c.q.toPrecision(2)}  ${c.verdict}`),
    `  (${d.cells.filter((/** @type {any} */ c) => c.verdict === 'too_few').length} cells with too few items not shown; --json for all)`,
  ],
  gate: (d) => {
    const by = (/** @type {string} */ v) => d.regions.filter((/** @type {any} */ r) => r.verdict === v);
    const fails = by('fail');
    return [
      `gate ${d.model} ${d.version} against ${d.baseline}: ${d.pass ? 'PASS' : 'FAIL'} — ${fails.length} fail, ${by('pass').length} pass, ${by('no_data').length} no data (of ${d.regions.length} regions)`,
      ...fails.flatMap((/** @type {any} */ r) => [
        `  ${r.region}: fail (n ${r.n.baseline} → ${r.n.version})`,
        ...r.regressed.map((/** @type {any} */ c) =>
          `    ${c.policy.padEnd(22)} ${c.signature.padEnd(22)} ${pct(c.from.rate.value).padStart(8)} → ${pct(c.to.rate.value).padStart(8)}  q=${c.q.toPrecision(2)}`),
      ]),
    ];
  },
  models: (d) => (d.models.length ? d.models.flatMap((/** @type {any} */ m) => [
    `${m.id}`,
    ...m.versions.map((/** @type {any} */ v) => `  ${v.version.padEnd(12)} ${v.stage.padEnd(11)} first slice ${v.first_slice_at}  ${String(v.regions).padStart(4)} regions ${String(v.items).padStart(10)} items`),
  ]) : ['no model has a committed slice (in this key\'s regions)']),
  slices: (d) => [
    ...(d.slices.length ? d.slices.map((/** @type {any} */ s) =>
      `${s.slice_id.padEnd(28)} ${`${s.model.id} ${s.model.version}`.padEnd(18)} ${s.created_at}  ${s.status.padEnd(10)} ${s.items} items, ${s.failures} failures, ${s.excluded} excluded, ${s.pending} pending`) : ['no slices']),
    ...(d.next_cursor ? [`more: --cursor ${d.next_cursor}`] : []),
  ],
  key: (d) => [`key ${d.id} for ${d.regions.join(', ')} (${d.scopes.join(', ')})${d.note ? ` "${d.note}"` : ''} — shown once, store it now:`, d.key],
  keys: (d) => (d.keys.length ? d.keys.map((/** @type {any} */ k) =>
    `${k.id.padEnd(16)} ${k.regions.join(',').padEnd(20)} ${k.scopes.join(',').padEnd(24)} created ${k.created_at}${k.revoked_at ? `, revoked ${k.revoked_at}` : ''}${k.note ? `  — ${k.note}` : ''}`) : ['no keys']),
  revoked: (d) => [`key ${d.id} ${d.revoked ? 'revoked' : 'was already revoked'}`],
  vendors: (d) => (d.vendors.length ? d.vendors.map((/** @type {any} */ v) => `${v.vendor.padEnd(24)} ${v.scheme}`) : ['no vendors']),
  vendor: (d) => [
    `${d.vendor}: ${d.scheme}${d.signature_header ? `, signature in ${d.signature_header}` : ''}${d.id_header ? `, id in ${d.id_header}` : ''}`,
    ...(d.previous_valid_until ? [`  previous secret valid until ${d.previous_valid_until}`] : []),
    ...(d.secret ? ['  secret — shown once, give it to the vendor now:', d.secret] : []),
  ],
  subscriptions: (d) => (d.subscriptions.length
    ? d.subscriptions.map((/** @type {any} */ s) => `${s.id.padEnd(24)} ${s.regions.join(',').padEnd(12)} ${s.events.join(',')}  ${s.url}`)
    : ['no subscriptions']),
  subscription: (d) => [
    `${d.id}: ${d.url}`, `  regions ${d.regions.join(', ')}; events ${d.events.join(', ')}; created ${d.created_at}`,
    ...(d.secret ? ['  secret — shown once, give it to the receiver now (it verifies webhook-signature with it):', d.secret] : []),
  ],
  unsubscribed: (d) => [`subscription ${d.id} deleted`],
  deliveries: (d) => (d.deliveries.length
    ? d.deliveries.map((/** @type {any} */ a) => `${a.at}  ${String(a.status ?? '—').padEnd(4)} ${(a.event_type ?? '?').padEnd(19)} ${a.webhook_id}  ${a.delivery ?? ''}${a.error ? `  ${a.error}` : ''}`)
    : ['no delivery attempts']),
};

/** @param {string} kind @param {unknown} data @param {boolean} json */
export function render(kind, data, json) {
  return json ? JSON.stringify(data, null, 2) : (FORMATS[kind] ?? ((/** @type {unknown} */ d) => [JSON.stringify(d, null, 2)]))(data).join('\n');
}
