/**
 * The console's HTML: the sign-in page and the app shell the bundled script fills in.
 *
 * @module
 */
import type { Session } from './session';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const STYLE = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f5f6f8; }
  header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.2rem; background: #1d2433; color: #fff; }
  header b { font-size: 1.05rem; } header span { margin-left: auto; opacity: .8; }
  header button { background: none; border: 1px solid #fff6; color: #fff; border-radius: 4px; padding: .2rem .6rem; cursor: pointer; }
  main { padding: 1rem 1.2rem; max-width: 1200px; margin: 0 auto; }
  form.filters { display: flex; gap: .8rem; align-items: end; flex-wrap: wrap; margin-bottom: 1rem; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #555; gap: .2rem; }
  input, select, button { font: inherit; padding: .3rem .5rem; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: .8rem; margin-bottom: 1rem; }
  .tile { background: #fff; border-radius: 6px; padding: .7rem .9rem; box-shadow: 0 1px 2px #0001; }
  .tile div { font-size: 1.5rem; font-weight: 600; } .tile small { color: #666; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1rem; }
  .chart { background: #fff; border-radius: 6px; padding: .7rem; box-shadow: 0 1px 2px #0001; }
  .chart h3 { margin: 0 0 .4rem; font-size: 13px; } .chart .box { position: relative; height: 260px; }
  table { border-collapse: collapse; width: 100%; background: #fff; margin-top: 1rem; }
  td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; }
  .login { max-width: 360px; margin: 12vh auto; background: #fff; padding: 1.5rem; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
  .login form { display: flex; flex-direction: column; gap: .8rem; } .error { color: #b00020; }
`;

/** The sign-in page: the admin token (operators sign in with Slack where it is set up). */
export function loginPage(error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchboard console · sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><div class="login"><h2>Switchboard console</h2>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/console/login">
  <label>Admin token (ADMIN_API_TOKEN)<input type="password" name="token" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form></div></body></html>`;
}

/** The app shell; the CSRF token travels in a meta tag for the script's POSTs. */
export function appPage(session: Session): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchboard console</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="csrf-token" content="${escapeHtml(session.csrf)}">
<style>${STYLE}</style></head>
<body><header><b>Switchboard</b><nav>Analytics</nav><span>${escapeHtml(session.name)} (${session.role})</span>
<form method="post" action="/console/logout" id="logout"><input type="hidden" name="csrf" value="${escapeHtml(session.csrf)}"><button>Sign out</button></form></header>
<main id="app"><p>Loading…</p></main>
<script src="/console/app.js"></script></body></html>`;
}
