/**
 * The analytics' admin API routes (`GET /api/v1/analytics`), mounted by the admin router
 * behind its Bearer token. Shapes and definitions: docs/api.md.
 *
 * @module
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { SwitchboardError } from '../errors';
import { parseInput } from '../server/admin-input';
import { SqlStore, type Store } from '../store';
import type { SqlDriver } from '../store/driver';
import { computeAnalytics } from './figures';
import { parseRange } from './range';

const name = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/, 'must be a name such as web or billing');

const analyticsQuery = z
  .object({
    from: z.string().trim().max(40).optional(),
    to: z.string().trim().max(40).optional(),
    channel: name.optional(),
    team: name.optional(),
  })
  .strict();

/** The SQL driver under the store: analytics are SQL on the store's own tables. */
export function sqlOf(store: Store): SqlDriver {
  if (store instanceof SqlStore) return store.driver;
  throw new SwitchboardError(
    'SB_STORE_UNAVAILABLE',
    'analytics need the SQL store (SQLite or PostgreSQL); this bot runs on another Store',
  );
}

/** `GET /analytics`. */
export function analyticsRouter(deps: { store: Store }): Router {
  const router = express.Router();
  router.get('/analytics', async (req, res) => {
    const query = parseInput(analyticsQuery, req.query);
    const range = parseRange(query);
    res.json(
      await computeAnalytics(sqlOf(deps.store), {
        ...range,
        ...(query.channel !== undefined && { channel: query.channel }),
        ...(query.team !== undefined && { team: query.team }),
      }),
    );
  });
  return router;
}
