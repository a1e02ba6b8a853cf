/**
 * The review inbox's admin API routes: `GET /api/v1/review` and
 * `POST /api/v1/review/{groupId}`, behind the admin token. Shapes: docs/api.md.
 *
 * @module
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { parseRange } from '../analytics/range';
import { sqlOf } from '../analytics/routes';
import { parseInput } from '../server/admin-input';
import type { Store } from '../store';
import { type ReviewContent, ReviewInbox } from './service';

const DAY = 86_400_000;
/** The inbox looks back 30 days unless told otherwise. */
const REVIEW_SPAN = 30 * DAY;

const rangeQuery = z
  .object({
    from: z.string().trim().max(40).optional(),
    to: z.string().trim().max(40).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

const intentName = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,79}$/, 'must be an intent name such as gift_cards');

const decisionBody = z
  .object({
    action: z.enum(['intent', 'out_of_scope'], { error: 'must be intent or out_of_scope' }),
    intent: intentName.optional(),
    answer: z.string().trim().min(1).max(2000).optional(),
    file: z.string().trim().max(100).optional(),
    examples: z.array(z.string().trim().min(1).max(500)).max(200).optional(),
    mode: z.enum(['write', 'patch']).default('write'),
    decidedBy: z.string().trim().min(1).max(100).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.action === 'intent' && !body.intent)
      ctx.addIssue({ code: 'custom', path: ['intent'], message: 'name the intent to teach' });
  });

const range = (query: { from?: string | undefined; to?: string | undefined }) =>
  parseRange(query, { spanMs: REVIEW_SPAN });

/** `GET /review`, `POST /review/:groupId`. */
export function reviewRouter(deps: { store: Store; content?: ReviewContent | undefined }): Router {
  const router = express.Router();
  const inbox = () => new ReviewInbox(sqlOf(deps.store), deps.content);

  router.get('/review', async (req, res) => {
    const query = parseInput(rangeQuery, req.query);
    const r = range(query);
    const groups = await inbox().groups(r);
    res.json({
      from: new Date(r.from).toISOString(),
      to: new Date(r.to).toISOString(),
      messages: groups.reduce((sum, g) => sum + g.count, 0),
      groups: groups.slice(0, query.limit).map(({ messageIds: _ids, ...group }) => group),
    });
  });

  router.post('/review/:groupId', async (req, res) => {
    const query = parseInput(rangeQuery.omit({ limit: true }), req.query);
    const body = parseInput(decisionBody, req.body);
    res.json(await inbox().decide(String(req.params.groupId), body, range(query)));
  });
  return router;
}
