/** @jsxImportSource hono/jsx */
// A self-contained API reference rendered from the OpenAPI document (no CDN assets: it
// works offline and on a locked-down network).
type Schema = { $ref?: string; type?: string | string[]; description?: string; properties?: Record<string, Schema>; required?: string[] };
type Doc = { info: { title: string; version: string; description?: string }; paths?: Record<string, Record<string, Op>>; components?: { schemas?: Record<string, Schema> } };
type Body = { required?: boolean; content?: Record<string, { schema?: Schema; example?: unknown }> };
type Op = { summary?: string; description?: string; tags?: string[]; parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: Body; responses?: Record<string, { description?: string }> };

/** A schema's top-level fields, "name (required)", following one $ref into the components. */
function fields(doc: Doc, schema: Schema | undefined): string[] {
  const s = schema?.$ref ? doc.components?.schemas?.[schema.$ref.split('/').pop()!] : schema;
  return Object.keys(s?.properties ?? {}).map((k) => `${k}${s?.required?.includes(k) ? ' (required)' : ''}`);
}

/** The request body: each media type with its fields and example (the document's own). */
function RequestBody({ doc, body }: { doc: Doc; body: Body }) {
  return (
    <div class="body">
      {Object.entries(body.content ?? {}).map(([type, media]) => {
        const f = fields(doc, media.schema);
        return (
          <div>
            <small>request body <code>{type}</code>{body.required ? ', required' : ', optional'}{f.length ? `: ${f.join(', ')}` : media.schema?.description ? `: ${media.schema.description}` : ''}</small>
            {media.example !== undefined ? <pre><code>{typeof media.example === 'string' ? media.example : JSON.stringify(media.example, null, 2)}</code></pre> : null}
          </div>
        );
      })}
    </div>
  );
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

export function docsPage(doc: Doc) {
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] })));
  return '<!doctype html>' + (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{doc.info.title} API</title>
        <style>{`body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#111}
code{background:#f2f2f2;padding:.1em .3em;border-radius:3px}.op{border-top:1px solid #ddd;padding:.6rem 0}
.m{display:inline-block;min-width:4.5em;font-weight:700;text-transform:uppercase}.get{color:#05622e}.post{color:#0645ad}.put{color:#7a4b00}.delete{color:#a00}
small{color:#444}pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.85rem;margin:.3rem 0}`}</style>
      </head>
      <body>
        <h1>{doc.info.title} <small>v{doc.info.version}</small></h1>
        <p>{doc.info.description}</p>
        <p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>.</p>
        <main>
          {ops.map(({ path, method, op }) => (
            <section class="op" id={`${method}-${path}`}>
              <div><span class={`m ${method}`}>{method}</span> <code>{path}</code></div>
              <div>{op.summary}</div>
              {op.description ? <p><small>{op.description}</small></p> : null}
              {op.parameters?.length ? <div><small>parameters: {op.parameters.map((p) => `${p.name} (${p.in}${p.required ? ', required' : ''})`).join('; ')}</small></div> : null}
              {op.requestBody ? <RequestBody doc={doc} body={op.requestBody} /> : null}
              <div><small>responses: {Object.entries(op.responses ?? {}).map(([s, r]) => `${s} ${r.description ?? ''}`).join(' · ')}</small></div>
            </section>
          ))}
        </main>
      </body>
    </html>
  );
}
