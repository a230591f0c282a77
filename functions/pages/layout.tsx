/** @jsxImportSource hono/jsx */
// The frame every page for people shares: lang, title, inline CSS only (no external assets,
// no scripts), a skip link, the site header and visible focus.
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

export const CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#111;background:#fff}
.skip{position:absolute;left:-9999px;top:.4rem;background:#fff;color:#0b5394;padding:.4rem .6rem;z-index:10}
.skip:focus{left:.5rem}
header.site{background:#1f2a44;color:#fff;padding:.55rem 1rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header.site a{color:#fff;font-weight:600}
header.site .who{margin-left:auto;font-size:.9rem;color:#e6e9f0}
header.site form{display:inline;margin:0}
header.site button{background:transparent;border:1px solid #e6e9f0;color:#fff;padding:.1rem .5rem}
main{max-width:1240px;margin:0 auto;padding:.6rem 1rem 3rem}
main.wide{max-width:1600px}
h1{font-size:1.55rem;margin:.7rem 0 .3rem}
h2{font-size:1.22rem;margin:2rem 0 .5rem;border-bottom:1px solid #c8c8c8;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1rem 0 .3rem}
p{margin:.4rem 0}
a{color:#0b5394}
a:focus-visible,button:focus-visible,select:focus-visible,input:focus-visible,summary:focus-visible,[tabindex]:focus-visible{outline:3px solid #1a4fd6;outline-offset:2px}
header.site a:focus-visible,header.site button:focus-visible{outline-color:#ffd54f}
main[tabindex]:focus-visible,main[tabindex]:focus{outline:none}
table{border-collapse:collapse;margin:.3rem 0 1rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.3rem 0;caption-side:top}
th,td{border:1px solid #c8c8c8;padding:.28rem .5rem;text-align:left;vertical-align:top}
thead th{background:#eef1f6}
.num{text-align:right;white-space:nowrap}
.muted{color:#555}
.small{font-size:.88rem}
.sub{display:block;font-size:.8rem;color:#444}
code{font:.92em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f2f2f2;padding:0 .2em;border-radius:2px}
form.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-end;background:#f4f6fa;padding:.6rem .8rem;border:1px solid #c9d1df;border-radius:4px;margin:.6rem 0}
form.filters .field{display:flex;flex-direction:column;gap:.15rem}
form.filters label{font-weight:600;font-size:.9rem}
select,input,button{font:inherit;padding:.25rem .45rem;border:1px solid #767676;border-radius:3px;background:#fff;color:#111}
button{background:#1f4e99;color:#fff;border-color:#1f4e99;cursor:pointer}
.kpis{display:flex;flex-wrap:wrap;gap:.8rem;margin:.6rem 0}
.kpi{border:1px solid #c9d1df;border-radius:4px;padding:.5rem .8rem;min-width:9rem;background:#f8f9fb}
.kpi .k{display:block;font-size:.85rem;color:#444}
.kpi .v{display:block;font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums}
.kpi.main{border-color:#1f4e99;background:#eef3fb}
.note{border-left:4px solid #8a5a00;background:#fff8e6;padding:.4rem .7rem;margin:.5rem 0}
.error{border-left:4px solid #a00000;background:#fdeeee;padding:.4rem .7rem;margin:.5rem 0}
.hatch{background:repeating-linear-gradient(45deg,#ffffff 0 5px,#dcdcdc 5px 7px)}
.tag{display:inline-block;font-size:.78rem;font-weight:600;padding:0 .3rem;border:1px solid #555;border-radius:3px;background:#fff;color:#333;white-space:nowrap}
.v-improved{color:#05622e;font-weight:600}
.v-regressed{color:#a00000;font-weight:600}
.v-no_change,.v-too_few{color:#444}
.v-effective{color:#05622e;font-weight:600}
.v-harmful{color:#a00000;font-weight:600}
.v-no_effect{color:#444}
.scroll{overflow-x:auto;max-width:100%}
td.verdict{white-space:nowrap}
figure{margin:.3rem 0 1rem}
figcaption{font-weight:600;margin-bottom:.3rem}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
ol.recs{padding-left:1.4rem}
ol.recs li{margin-bottom:1rem}
.arith{font-variant-numeric:tabular-nums}
details summary{cursor:pointer;color:#0b5394;font-weight:600}
.heat-wrap{margin:.3rem 0 1rem}
.heat{margin:0}
.heat caption{padding:.4rem .5rem}
.heat thead th{position:sticky;top:0;z-index:2;font-size:.82rem;vertical-align:bottom}
.heat th[scope=row]{position:sticky;left:0;background:#fff;z-index:1;white-space:nowrap}
.heat td{text-align:right;white-space:nowrap;min-width:4.6rem}
.heat td .tf{display:block;font-size:.72rem;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:.3rem;align-items:center;margin:.4rem 0;padding:0;list-style:none}
.legend li{display:flex;align-items:center;gap:.25rem;font-size:.85rem;margin-right:.5rem}
.swatch{display:inline-block;width:1.6rem;height:1.1rem;border:1px solid #555}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.login{max-width:30rem}
.login label{display:block;font-weight:600;margin:.6rem 0 .2rem}
.login input{width:100%}
.login button{margin-top:.7rem}
`;

export interface LayoutProps {
  title: string;
  /** Shown in the header when the key came from the login cookie: a sign-out button. */
  signedIn?: boolean;
  /** Pages with wide tables (13 columns and more): up to 1600 px, so at 1400 px their last column (Verdict) is not cut off. */
  wide?: boolean;
  children?: Child;
}

export function Layout({ title, signedIn, wide, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{title} · avlm-diag</title>
        <style>{raw(CSS)}</style>
      </head>
      <body>
        <a class="skip" href="#content">Skip to content</a>
        <header class="site">
          <a href="/scorecards">avlm-diag scorecards</a>
          <a href="/docs">API reference</a>
          {signedIn ? (
            <span class="who">
              <form method="post" action="/scorecards/logout"><button type="submit">Sign out</button></form>
            </span>
          ) : null}
        </header>
        <main id="content" tabindex={-1} class={wide ? 'wide' : undefined}>{children}</main>
      </body>
    </html>
  );
}

/** Serialises a page element as a full HTML document. */
export const html = (el: unknown) => '<!doctype html>' + String(el);
