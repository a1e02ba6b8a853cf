/**
 * The web channel: the embeddable chat widget (`/widget.js`), a demo page (`/`), and
 * the web API the widget talks to.
 *
 * - `POST /web/messages` `{visitorId, text | postback, clientMessageId?}` → `202 {conversationId, messageId}`
 * - `GET /web/messages?visitorId=…&after=<cursor>&wait=<s>` → `{messages, cursor}` (long poll)
 * - WebSocket `/web/socket?visitorId=…` pushing `{type:"message", message}` and `{type:"typing", on}`
 *
 * A signed identity token (header `X-Switchboard-Identity`, or `identity=` on the
 * socket URL) links the visitor to the host site's logged-in customer.
 *
 * @module
 */
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { Request, Response } from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  InboundEvent,
} from '../../src/core/adapter';
import type { BusEvent } from '../../src/core/bus';
import { PayloadError } from '../../src/errors';
import { isPlainJson, readJsonBody } from '../../src/server/http';
import type { Content } from '../../src/model';
import { newId } from '../../src/util/ids';
import { type WebSettings, webSettings } from './config';
import { demoPageFor, renderDemoPage } from './demo-page';
import { decodeCursor, encodeCursor, toWebMessage, webPlatformId } from './render';
import type { WebErrorBody, WebPage, WebPostAnswer, WebServerFrame } from './wire';
import { capabilities } from './capabilities';
import { type IdentityClaims, verifyIdentityToken } from './verify';

export { signIdentityToken, verifyIdentityToken } from './verify';
export type * from './wire';

const CHANNEL = 'web';
const MAX_WAIT_S = 30;
/** A widget message's body is small; this is the same ceiling as express's JSON parser here. */
const BODY_LIMIT = 1024 * 1024;
const visitorIdSchema = z
  .string({ error: 'visitorId is required' })
  .regex(/^[A-Za-z0-9_-]{8,128}$/, 'visitorId must be 8–128 characters of A–Z, a–z, 0–9, "_" or "-"');

export interface WebAdapterOptions {
  /** Serve the demo page at `/` (default true; `WEB_DEMO_PAGE=off` turns it off too). */
  demoPage?: boolean;
  /** The widget's face on the demo page; default: read from the bot's settings at start. */
  settings?: WebSettings;
}

export class WebAdapter implements ChannelAdapter {
  readonly channel = CHANNEL;
  readonly delivery = 'store' as const;
  readonly capabilities: ChannelCapabilities = capabilities;

  private runtime: AdapterRuntime | undefined;
  private wss: WebSocketServer | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Live sockets by customer, and by visitor while the visitor has no customer yet. */
  private readonly socketsByCustomer = new Map<string, Set<WebSocket>>();
  private readonly socketsByVisitor = new Map<string, Set<WebSocket>>();
  private readonly waiters = new Set<{ customerId: string | null; visitorId: string; wake: () => void }>();
  private readonly publicDir = findPublicDir();
  private readonly corsByOrigin = new Map<string, [string, string][]>();
  private readonly postSchema: z.ZodType<{
    visitorId: string;
    text?: string | undefined;
    postback?: { payload: string; title?: string | undefined } | undefined;
    clientMessageId?: string | undefined;
  }>;

  constructor(private readonly options: WebAdapterOptions = {}) {
    this.postSchema = z
      .object({
        visitorId: visitorIdSchema,
        text: z.string({ error: 'text must be a string' }).optional(),
        postback: z
          .object({
            payload: z.string({ error: 'postback.payload must be a string' }).min(1).max(1000),
            title: z.string().max(200).optional(),
          })
          .optional(),
        clientMessageId: z
          .string({ error: 'clientMessageId must be a string' })
          .regex(
            /^[A-Za-z0-9_.:-]{1,128}$/,
            'clientMessageId must be 1–128 characters of A–Z, a–z, 0–9, "_.:-"',
          )
          .optional(),
      })
      .strict();
  }

  async start(runtime: AdapterRuntime): Promise<void> {
    this.runtime = runtime;
    const { router, config } = runtime;

    const cors = (req: Request, res: Response, next: () => void) => {
      for (const [name, value] of this.corsHeaders(req.headers.origin)) res.setHeader(name, value);
      if (req.method === 'OPTIONS') res.status(204).end();
      else next();
    };

    const widget = findWidgetFile();
    if (!widget) {
      runtime.logger.warn(
        { channel: CHANNEL },
        'the web chat widget is not built (dist/web/widget.js): run `npm run build`; /widget.js answers 503 until then',
      );
    }
    for (const [route, type] of [
      ['/widget.js', 'application/javascript'],
      ['/widget.js.map', 'application/json'],
    ] as const) {
      router.get(route, (_req, res, next) => {
        if (!widget) {
          const body: WebErrorBody = {
            error: {
              code: 'SB_WIDGET_NOT_BUILT',
              message: 'the web chat widget is not built: run `npm run build`',
            },
          };
          res.status(503).json(body);
          return;
        }
        res.setHeader('Cache-Control', 'public, max-age=300');
        res.setHeader('Access-Control-Allow-Origin', '*');
        res
          .type(type)
          .sendFile(route === '/widget.js' ? widget : `${widget}.map`, (error) => error && next(error));
      });
    }
    const settings = this.options.settings ?? webSettings(config);
    const page =
      this.options.demoPage === false ? null : demoPageFor(settings, config.botDir, this.publicDir);
    if (page && 'file' in page) {
      router.get('/', (_req, res, next) => {
        res.type('html').sendFile(page.file, (error) => error && next(error));
      });
    } else if (page) {
      const html = renderDemoPage(page.html, settings, config.publicUrl);
      router.get('/', (_req, res) => {
        res.type('html').send(html);
      });
    }
    router.use('/web', cors);

    // Every message a visitor sends comes here: served ahead of express when the body is
    // plain JSON (the widget's always is), by express otherwise; the same handling either way.
    runtime.direct('POST', '/web/messages', (req, res, next) => {
      // Set before anything can fail, so a browser can read every answer, errors included
      // (also those of express's body parser, for bodies that are not plain JSON).
      for (const [name, value] of this.corsHeaders(req.headers.origin)) res.setHeader(name, value);
      if (!isPlainJson(req)) return next();
      readJsonBody(req, BODY_LIMIT)
        .then((body) => this.acceptPost(body, header(req.headers['x-switchboard-identity'])))
        .then((answer) => {
          res.writeHead(202, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(answer),
          });
          res.end(answer);
        })
        .catch((error: unknown) => runtime.sendError(req, res, error));
    });
    router.post('/web/messages', async (req, res, next) => {
      try {
        const answer = await this.acceptPost(req.body, req.get('x-switchboard-identity'));
        res.writeHead(202, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(answer),
        });
        res.end(answer);
      } catch (error) {
        next(error);
      }
    });

    router.get('/web/messages', async (req, res, next) => {
      try {
        const visitor = visitorIdSchema.safeParse(req.query.visitorId);
        if (!visitor.success)
          throw new PayloadError(visitor.error.issues[0]?.message ?? 'bad visitorId', 'visitorId');
        const after = typeof req.query.after === 'string' ? req.query.after : undefined;
        if (after && !decodeCursor(after))
          throw new PayloadError('after is not a cursor this server gave out', 'after');
        const waitRaw = req.query.wait === undefined ? 0 : Number(req.query.wait);
        if (!Number.isFinite(waitRaw) || waitRaw < 0)
          throw new PayloadError('wait must be a number of seconds', 'wait');
        this.identityFrom(req.get('x-switchboard-identity'));
        const wait = Math.min(waitRaw, MAX_WAIT_S) * 1000;
        const deadline = Date.now() + wait;
        for (;;) {
          const page = await this.page(visitor.data, after);
          if (page.messages.length > 0 || Date.now() >= deadline || req.socket.destroyed) {
            const answer: WebPage = { messages: page.messages, cursor: page.cursor };
            res.json(answer);
            return;
          }
          await this.waitForActivity(visitor.data, page.customerId, deadline - Date.now());
        }
      } catch (error) {
        next(error);
      }
    });

    this.wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
    runtime.httpServer.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/web/socket') return;
      const origin = req.headers.origin;
      const allowed = config.allowedOrigins;
      const visitor = visitorIdSchema.safeParse(url.searchParams.get('visitorId'));
      let rejected: string | null = null;
      if (!visitor.success) rejected = '400 Bad Request';
      else if (origin && allowed !== '*' && !allowed.includes(origin)) rejected = '403 Forbidden';
      else {
        try {
          this.identityFrom(url.searchParams.get('identity') ?? undefined);
        } catch {
          rejected = '401 Unauthorized';
        }
      }
      if (rejected || !visitor.success) {
        socket.end(`HTTP/1.1 ${rejected}\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.wss?.handleUpgrade(req, socket, head, (ws) => void this.onSocket(ws, visitor.data, req));
    });

    this.unsubscribe = runtime.bus.subscribe((event) => this.onBusEvent(event));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    for (const waiter of this.waiters) waiter.wake();
    for (const ws of this.wss?.clients ?? []) ws.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }

  /**
   * `POST /web/messages`: validates the body, stores the message (the inbox), and returns
   * the `202` answer's JSON. Throws PayloadError (400) or SignatureError (401).
   */
  private async acceptPost(rawBody: unknown, identityToken: string | undefined): Promise<string> {
    const runtime = this.need();
    const maxText = runtime.config.WEB_MAX_TEXT_LENGTH;
    const body = this.postSchema.safeParse(rawBody ?? {});
    if (!body.success) {
      const issue = body.error.issues[0];
      const field =
        issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(',') : undefined);
      throw new PayloadError(issue?.message ?? 'invalid body', field);
    }
    const { visitorId, text, postback, clientMessageId } = body.data;
    let content: Content;
    if (postback && text === undefined) {
      content = {
        type: 'postback',
        payload: postback.payload,
        ...(postback.title && { title: postback.title }),
      };
    } else if (text !== undefined && !postback) {
      if (text.trim().length === 0) throw new PayloadError('text must not be empty', 'text');
      if (text.length > maxText) throw new PayloadError(`text is longer than ${maxText} characters`, 'text');
      content = { type: 'text', text };
    } else {
      throw new PayloadError('send either "text" or "postback"', 'text');
    }
    const claims = this.identityFrom(identityToken);
    const event: InboundEvent = {
      channel: CHANNEL,
      platformMessageId: webPlatformId(visitorId, clientMessageId ?? newId('cm')),
      sender: { externalId: visitorId },
      address: { visitorId },
      content,
    };
    if (claims) event.verifiedAccount = { id: claims.sub, profile: profileOf(claims) };
    const accepted = await runtime.inbox.accept(event);
    this.learnCustomer(visitorId, accepted.customer.id);
    const answer: WebPostAnswer = {
      conversationId: accepted.conversation.id,
      messageId: accepted.message.id,
    };
    return JSON.stringify(answer);
  }

  /** The CORS headers for a request from `origin` (none when it is not allowed), cached per origin. */
  private corsHeaders(origin: string | undefined): [string, string][] {
    if (!origin) return [];
    let headers = this.corsByOrigin.get(origin);
    if (!headers) {
      const allowed = this.need().config.allowedOrigins;
      headers =
        allowed === '*' || allowed.includes(origin)
          ? [
              ['Access-Control-Allow-Origin', allowed === '*' ? '*' : origin],
              ['Vary', 'Origin'],
              ['Access-Control-Allow-Headers', 'content-type, x-switchboard-identity'],
              ['Access-Control-Allow-Methods', 'GET, POST, OPTIONS'],
              ['Access-Control-Max-Age', '600'],
            ]
          : [];
      // Bounded: origins are whatever browsers (or anyone) send.
      if (this.corsByOrigin.size >= 256) this.corsByOrigin.clear();
      this.corsByOrigin.set(origin, headers);
    }
    return headers;
  }

  private identityFrom(token: string | undefined | null): IdentityClaims | null {
    if (!token) return null;
    return verifyIdentityToken(token, this.runtime?.config.WEB_IDENTITY_SECRET);
  }

  /** The visitor's current conversation after the cursor. */
  private async page(visitorId: string, after: string | undefined) {
    const store = this.need().store;
    const identity = await store.identities.find(CHANNEL, visitorId);
    if (!identity) return { messages: [], cursor: after ?? '', customerId: null as string | null };
    const conversation = await store.conversations.findOpen(identity.customerId);
    if (!conversation) return { messages: [], cursor: after ?? '', customerId: identity.customerId };
    const cursor = decodeCursor(after);
    const afterSeq = cursor && cursor.conversationId === conversation.id ? cursor.seq : 0;
    const messages = (await store.messages.list(conversation.id, { afterSeq, limit: 500 })).filter(
      (m) => m.content.type !== 'typing',
    );
    const last = messages.at(-1);
    return {
      messages: messages.map(toWebMessage),
      cursor: encodeCursor(conversation.id, last ? last.seq : afterSeq),
      customerId: identity.customerId as string | null,
    };
  }

  private waitForActivity(visitorId: string, customerId: string | null, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        customerId,
        visitorId,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, Math.max(0, ms));
      this.waiters.add(waiter);
    });
  }

  private async onSocket(ws: WebSocket, visitorId: string, _req: IncomingMessage): Promise<void> {
    const identity = await this.need().store.identities.find(CHANNEL, visitorId);
    if (identity) this.addSocket(this.socketsByCustomer, identity.customerId, ws);
    else this.addSocket(this.socketsByVisitor, visitorId, ws);
    ws.on('message', () => {
      // Visitor typing notifications are accepted and ignored for now; the socket is push-only.
    });
    ws.on('close', () => {
      for (const map of [this.socketsByCustomer, this.socketsByVisitor]) {
        for (const [key, set] of map) if (set.delete(ws) && set.size === 0) map.delete(key);
      }
    });
    ws.on('error', () => ws.terminate());
    // Keep-alive through proxies that drop idle connections.
    const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.ping(), 25_000);
    ping.unref();
    ws.on('close', () => clearInterval(ping));
  }

  private addSocket(map: Map<string, Set<WebSocket>>, key: string, ws: WebSocket): void {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    set.add(ws);
  }

  /** A visitor's first message created their customer: move their sockets over. */
  private learnCustomer(visitorId: string, customerId: string): void {
    const pending = this.socketsByVisitor.get(visitorId);
    if (pending) {
      this.socketsByVisitor.delete(visitorId);
      for (const ws of pending) this.addSocket(this.socketsByCustomer, customerId, ws);
    }
  }

  private onBusEvent(event: BusEvent): void {
    if (event.kind === 'message') {
      const visitorId = event.message.address?.visitorId;
      if (typeof visitorId === 'string') this.learnCustomer(visitorId, event.customerId);
      if (event.message.content.type === 'typing') return;
      this.broadcast(event.customerId, { type: 'message', message: toWebMessage(event.message) });
      for (const waiter of this.waiters) {
        if (
          waiter.customerId === event.customerId ||
          (waiter.customerId === null && waiter.visitorId === visitorId)
        ) {
          waiter.wake();
        }
      }
    } else if (event.kind === 'typing') {
      this.broadcast(event.customerId, { type: 'typing', on: event.on });
    }
  }

  private broadcast(customerId: string, frame: WebServerFrame): void {
    const sockets = this.socketsByCustomer.get(customerId);
    if (!sockets) return;
    const data = JSON.stringify(frame);
    for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(data);
  }

  private need(): AdapterRuntime {
    if (!this.runtime) throw new Error('web adapter used before start()');
    return this.runtime;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function profileOf(claims: IdentityClaims) {
  return {
    ...(claims.name !== undefined && { name: claims.name }),
    ...(claims.email !== undefined && { email: claims.email }),
    ...(claims.phone !== undefined && { phone: claims.phone }),
  };
}

function findPublicDir(): string {
  // From TypeScript sources (tests) the files sit beside this module; from dist/ they
  // stay in the source tree, two levels up.
  const candidates = [
    path.join(__dirname, 'public'),
    path.resolve(__dirname, '../../../adapters/web/public'),
  ];
  return (
    candidates.find((dir) => fs.existsSync(path.join(dir, 'demo.html'))) ?? path.join(__dirname, 'public')
  );
}

/**
 * The widget bundle, built from adapters/web/widget by scripts/build-widget.cjs into
 * dist/web/widget.js: found from the TypeScript sources (tests) and from dist/ alike.
 */
function findWidgetFile(): string | null {
  const candidates = [
    path.resolve(__dirname, '../../dist/web/widget.js'),
    path.resolve(__dirname, '../../web/widget.js'),
  ];
  return candidates.find((file) => fs.existsSync(file)) ?? null;
}
