/**
 * The web console at `/console`, served by the bot's own server: sign-in with the admin
 * token, a signed-cookie session, and the analytics page (charts drawn by Chart.js from
 * `GET /console/api/analytics`, the admin API's figures). See docs/console.md.
 *
 * CSRF: the session cookie is SameSite=Strict, so other sites' requests never carry it;
 * sign-in and sign-out also require a same-origin `Origin` (or `Referer`), and sign-out the
 * session's CSRF token.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { computeAnalytics } from '../analytics/figures';
import { parseRange } from '../analytics/range';
import { sqlOf } from '../analytics/routes';
import { SwitchboardError } from '../errors';
import { parseInput } from '../server/admin-input';
import type { Store } from '../store';
import { consoleScript } from './assets';
import { appPage, loginPage } from './page';
import { COOKIE, readCookie, type Session, SessionSigner } from './session';

export interface ConsoleDeps {
  token: string;
  store: Store;
  /** Cookies get `Secure` when the console is served over https. */
  secure: boolean;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

const analyticsQuery = z
  .object({
    from: z.string().trim().max(40).optional(),
    to: z.string().trim().max(40).optional(),
    channel: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_-]{0,39}$/)
      .optional(),
    team: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/)
      .optional(),
  })
  .strict();

/** True when the request comes from a page of this same origin (what a form POST from elsewhere is not). */
function sameOrigin(req: Request): boolean {
  const source = req.get('origin') ?? req.get('referer');
  if (!source) return false;
  try {
    return new URL(source).host === req.get('host');
  } catch {
    return false;
  }
}

export function consoleRouter(deps: ConsoleDeps): Router {
  const router = express.Router();
  const signer = new SessionSigner(deps.token);
  const expected = digest(deps.token);
  const cookie = (value: string, maxAge: number) =>
    `${COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${deps.secure ? '; Secure' : ''}`;
  const sessionOf = (req: Request): Session | null => signer.verify(readCookie(req.get('cookie'), COOKIE));
  const noStore = (res: Response) => res.setHeader('Cache-Control', 'no-store');

  router.use(express.urlencoded({ extended: false, limit: '10kb' }));

  router.get('/', (req, res) => {
    noStore(res);
    const session = sessionOf(req);
    res.type('html').send(session ? appPage(session) : loginPage());
  });

  router.post('/login', (req, res) => {
    noStore(res);
    if (!sameOrigin(req)) {
      res.status(403).type('html').send(loginPage('Sign in from the console page itself.'));
      return;
    }
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    if (!token || !timingSafeEqual(digest(token), expected)) {
      res.status(401).type('html').send(loginPage('That is not the admin token.'));
      return;
    }
    const { value } = signer.issue({ role: 'admin', subject: 'admin', name: 'Admin' });
    res.setHeader('Set-Cookie', cookie(value, 12 * 3600));
    res.redirect(303, '/console');
  });

  router.post('/logout', (req, res) => {
    const session = sessionOf(req);
    const csrf = req.get('x-csrf-token') ?? (typeof req.body?.csrf === 'string' ? req.body.csrf : '');
    if (session && (!sameOrigin(req) || csrf !== session.csrf)) {
      res.status(403).json({ error: { code: 'SB_UNAUTHORIZED', message: 'missing or wrong CSRF token' } });
      return;
    }
    res.setHeader('Set-Cookie', cookie('', 0));
    res.redirect(303, '/console');
  });

  router.get('/app.js', async (_req, res) => {
    res.type('application/javascript').setHeader('Cache-Control', 'no-cache');
    res.send(await consoleScript());
  });

  // The console's data: the same figures as the admin API, for a signed-in session.
  router.use('/api', (req, _res, next) => {
    if (!sessionOf(req)) {
      next(new SwitchboardError('SB_UNAUTHORIZED', 'sign in to the console first'));
      return;
    }
    next();
  });

  router.get('/api/analytics', async (req, res) => {
    noStore(res);
    const query = parseInput(analyticsQuery, req.query);
    res.json(
      await computeAnalytics(sqlOf(deps.store), {
        ...parseRange(query),
        ...(query.channel !== undefined && { channel: query.channel }),
        ...(query.team !== undefined && { team: query.team }),
      }),
    );
  });

  return router;
}
