// Reading server-rendered pages in tests: elements' attributes and texts via HTMLRewriter
// (the Workers runtime's own HTML parser), and a page request that keeps redirects visible.
import { ADMIN, api } from '../helpers.ts';

export type Attrs = Record<string, string>;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };
export const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e) => ENTITIES[e]);

/** Every element matching `selector`, as its attributes. */
export async function elements(html: string, selector: string): Promise<Attrs[]> {
  const out: Attrs[] = [];
  await new HTMLRewriter().on(selector, { element(e) { out.push(Object.fromEntries([...e.attributes].map(([k, v]) => [k, decode(v)]))); } })
    .transform(new Response(html)).text();
  return out;
}

/** Text content of every element matching `selector` (entities decoded unless `raw`). */
export async function texts(html: string, selector: string, raw = false): Promise<string[]> {
  const out: string[] = [];
  let cur: string[] | null = null;
  await new HTMLRewriter().on(selector, {
    element(e) { cur = []; out.push(''); e.onEndTag(() => { const t = cur!.join(''); out[out.length - 1] = raw ? t : decode(t); }); },
    text(t) { cur?.push(t.text); },
  }).transform(new Response(html)).text();
  return out;
}

export const num = (s: string | undefined) => (s === undefined || s === '' ? null : Number(s));

export function page(path: string, opts: { token?: string | null; cookie?: string } = {}) {
  return api(path, { token: opts.token === undefined ? ADMIN : opts.token, headers: opts.cookie ? { cookie: opts.cookie } : {}, redirect: 'manual' });
}
