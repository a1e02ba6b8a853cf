/**
 * The admin HTTP API under `/api/v1`, for back-office systems and operators: proactive
 * messages, customers (opt-out, CRM data), conversation search and transcripts. Every
 * request needs `Authorization: Bearer <ADMIN_API_TOKEN>`; without that setting the API
 * is off. Routes and shapes: `docs/api.md`.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { SwitchboardError } from '../errors';
import { parseInput as parse } from './admin-input';
import { analyticsRouter } from '../analytics/routes';
import { reviewRouter } from '../review/routes';
import type { ReviewContent } from '../review/service';
import type { Content, Customer } from '../model';
import type { ProactiveMessage, ProactiveRecipient, ProactiveResult } from '../proactive';
import type { ConversationHistory, ConversationSearch, ConversationSummary, Store } from '../store';
import type { EnrichReason, EnrichResult } from '../crm';

/** What the admin API needs from the running bot. */
export interface AdminApiDeps {
  token: string;
  store: Store;
  sendProactive(message: ProactiveMessage): Promise<ProactiveResult>;
  setOptOut(customerId: string, optedOut: boolean): Promise<Customer>;
  searchConversations(query: ConversationSearch): Promise<ConversationSummary[]>;
  enrichCustomer(customerId: string, reason: EnrichReason): Promise<EnrichResult>;
  conversationHistory(conversationId: string): Promise<ConversationHistory | null>;
  /** The bot's intents and NLU, for the review inbox (absent: a bot without a bot folder). */
  review?: ReviewContent | undefined;
}

const MAX_TEXT = 10_000;
const id = (name: string) =>
  z
    .string({ error: `${name} must be a string` })
    .trim()
    .min(1)
    .max(200);
const channel = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be a channel name such as whatsapp or web');

const postbackButton = z.object({
  type: z.literal('postback'),
  title: z.string().min(1).max(200),
  payload: z.string().min(1).max(1000),
});
const button = z.discriminatedUnion('type', [
  postbackButton,
  z.object({ type: z.literal('url'), title: z.string().min(1).max(200), url: z.url() }),
]);
/** Outbound content the API accepts (no postbacks or typing: those are not messages to send). */
const contentSchema: z.ZodType<Content> = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    text: z.string().min(1).max(MAX_TEXT),
    buttons: z.array(button).max(10).optional(),
    quickReplies: z.array(postbackButton).max(13).optional(),
  }),
  z.object({
    type: z.literal('media'),
    kind: z.enum(['image', 'file', 'audio', 'video']),
    url: z.url(),
    caption: z.string().max(MAX_TEXT).optional(),
    filename: z.string().max(200).optional(),
    mimeType: z.string().max(200).optional(),
  }),
  z.object({
    type: z.literal('card'),
    cards: z
      .array(
        z.object({
          title: z.string().min(1).max(200),
          subtitle: z.string().max(1000).optional(),
          imageUrl: z.url().optional(),
          buttons: z.array(button).max(10).optional(),
        }),
      )
      .min(1)
      .max(10),
  }),
  z.object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().max(200).optional(),
    address: z.string().max(500).optional(),
  }),
]) as z.ZodType<Content>;

const sendSchema = z
  .object({
    customerId: id('customerId').optional(),
    conversationId: id('conversationId').optional(),
    identity: z.object({ channel, externalId: id('externalId') }).optional(),
    text: z.string().trim().min(1, 'must not be empty').max(MAX_TEXT).optional(),
    content: contentSchema.optional(),
    channel: channel.optional(),
    idempotencyKey: z.string().trim().min(1).max(200).optional(),
    author: z.enum(['bot', 'system', 'operator']).optional(),
    authorName: z.string().trim().min(1).max(100).optional(),
    exact: z.boolean().optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const targets = [body.customerId, body.conversationId, body.identity].filter((t) => t !== undefined);
    if (targets.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['customerId'],
        message: 'give exactly one of customerId, conversationId or identity {channel, externalId}',
      });
    }
    if ((body.text === undefined) === (body.content === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'give exactly one of text or content' });
    }
  });

const patchCustomerSchema = z
  .object({
    optedOut: z.boolean({ error: 'must be true or false' }).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const searchSchema = z
  .object({
    q: z.string().trim().max(500).optional(),
    channel: channel.optional(),
    outcome: z
      .enum(['resolved', 'handed_back', 'cancelled', 'queued', 'assigned', 'bot', 'closed'], {
        error: 'must be one of resolved, handed_back, cancelled, queued, assigned, bot, closed',
      })
      .optional(),
    sentiment: z
      .enum(['negative', 'neutral', 'positive'], { error: 'must be negative, neutral or positive' })
      .optional(),
    customerId: id('customerId').optional(),
    limit: z.coerce.number().int().min(1).max(200).default(20),
  })
  .strict();

const enrichSchema = z
  .object({ reason: z.enum(['first_contact', 'handoff', 'api']).default('api') })
  .strict();

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Bearer-token check; hashing first makes the comparison constant-time whatever the lengths. */
function requireToken(token: string) {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="switchboard-admin"');
      next(
        new SwitchboardError(
          'SB_UNAUTHORIZED',
          header ? 'the admin API token is wrong' : 'send Authorization: Bearer <ADMIN_API_TOKEN>',
        ),
      );
      return;
    }
    next();
  };
}

/** The admin API's routes, to mount at `/api/v1`. */
export function adminRouter(deps: AdminApiDeps): Router {
  const router = express.Router();
  router.use(requireToken(deps.token));
  router.use(analyticsRouter({ store: deps.store }));
  router.use(reviewRouter({ store: deps.store, content: deps.review }));

  router.post('/messages', async (req, res) => {
    const body = parse(sendSchema, req.body);
    const to: ProactiveRecipient = body.customerId
      ? { customerId: body.customerId }
      : body.conversationId
        ? { conversationId: body.conversationId }
        : { identity: body.identity as { channel: string; externalId: string } };
    const result = await deps.sendProactive({
      to,
      content: body.content ?? (body.text as string),
      ...(body.channel !== undefined && { channel: body.channel }),
      ...(body.idempotencyKey !== undefined && { idempotencyKey: body.idempotencyKey }),
      ...(body.author !== undefined && { author: body.author }),
      ...(body.authorName !== undefined && { authorName: body.authorName }),
      ...(body.exact !== undefined && { exact: body.exact }),
    });
    res.status(result.created ? 202 : 200).json(result);
  });

  router.get('/customers/:id', async (req, res) => {
    const customerId = String(req.params.id);
    const customer = await deps.store.customers.get(customerId);
    if (!customer) throw new SwitchboardError('SB_NOT_FOUND', `customer ${customerId} does not exist`);
    const identities = await deps.store.identities.listByCustomer(customer.id);
    const open = await deps.store.conversations.findOpen(customer.id);
    res.json({
      customer: customer,
      identities: identities.map((i) => ({
        channel: i.channel,
        externalId: i.externalId,
        linkedBy: i.linkedBy,
        lastInboundAt: i.lastInboundAt ?? null,
      })),
      openConversationId: open?.id ?? null,
    });
  });

  router.patch('/customers/:id', async (req, res) => {
    const customerId = String(req.params.id);
    const body = parse(patchCustomerSchema, req.body);
    let customer = await deps.store.customers.get(customerId);
    if (!customer) throw new SwitchboardError('SB_NOT_FOUND', `customer ${customerId} does not exist`);
    if (body.attributes) {
      const { optedOut: _ignored, ...attributes } = body.attributes;
      customer = await deps.store.customers.update(customerId, { attributes });
    }
    if (body.optedOut !== undefined) customer = await deps.setOptOut(customerId, body.optedOut);
    res.json({ customer: customer });
  });

  router.post('/customers/:id/enrich', async (req, res) => {
    const body = parse(enrichSchema, req.body);
    const result = await deps.enrichCustomer(String(req.params.id), body.reason);
    res.json(result);
  });

  router.get('/conversations', async (req, res) => {
    const query = parse(searchSchema, req.query);
    const conversations = await deps.searchConversations({
      limit: query.limit,
      ...(query.q !== undefined && query.q !== '' && { text: query.q }),
      ...(query.channel !== undefined && { channel: query.channel }),
      ...(query.outcome !== undefined && { outcome: query.outcome }),
      ...(query.sentiment !== undefined && { sentiment: query.sentiment }),
      ...(query.customerId !== undefined && { customerId: query.customerId }),
    });
    res.json({ conversations });
  });

  router.get('/conversations/:id', async (req, res) => {
    const conversationId = String(req.params.id);
    const history = await deps.conversationHistory(conversationId);
    if (!history) throw new SwitchboardError('SB_NOT_FOUND', `conversation ${conversationId} does not exist`);
    res.json({
      ...history,
      messages: history.messages.map((m) => ({
        id: m.id,
        seq: m.seq,
        direction: m.direction,
        author: m.author,
        authorName: m.authorName ?? null,
        channel: m.channel,
        text: m.text,
        content: m.content,
        delivery: m.delivery,
        deliveryError: m.deliveryError ?? null,
        nlu: m.nlu ?? null,
        createdAt: m.createdAt,
      })),
    });
  });

  return router;
}

/** What `/api/v1` answers when ADMIN_API_TOKEN is unset. */
export function adminApiOff(): Router {
  const router = express.Router();
  router.use((_req, res) => {
    res.status(404).json({
      error: {
        code: 'SB_NOT_FOUND',
        message: 'the admin API is off: set ADMIN_API_TOKEN to turn it on',
      },
    });
  });
  return router;
}
