/** @jsxImportSource hono/jsx */
// The login form (sets the avlm_key cookie) and the plain error pages (401/403/404/400/500).
// The key itself is never written into a page: the form's input always starts empty.
import { html, Layout } from './layout.tsx';

export interface LoginProps {
  /** Where to go after signing in (a /scorecards path, already checked). */
  next: string;
  /** Why the form is shown (e.g. "That key was not accepted."). */
  message?: string;
}

function LoginForm({ next, message }: LoginProps) {
  return (
    <section class="login" aria-labelledby="login-h">
      <h2 id="login-h">Sign in with an API key</h2>
      {message ? <p class="error" role="alert">{message}</p> : null}
      <p>Use the admin token or a region key with the <code>read</code> scope. The key is kept in an
        HttpOnly cookie for this site only (8 hours); scripts can send <code>Authorization: Bearer</code> instead.</p>
      <form method="post" action="/scorecards/login">
        <input type="hidden" name="next" value={next} />
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}

export function loginPage(props: LoginProps): string {
  return html(
    <Layout title="Sign in">
      <h1>Scorecards</h1>
      <p>Per-region failure rates of the moderation model, with their uncertainty, causes and the changes most likely to help.</p>
      <LoginForm {...props} />
    </Layout>,
  );
}

export function errorPage(status: number, heading: string, message: string, opts: { signedIn?: boolean } = {}): string {
  return html(
    <Layout title={heading} signedIn={opts.signedIn}>
      <h1>{heading}</h1>
      <p class="error" data-status={String(status)}>{message}</p>
      <p><a href="/scorecards">All regions</a></p>
    </Layout>,
  );
}
