/**
 * The Direct Line 3.0 channel: Microsoft's Web Chat (`botframework-webchat`) and any Direct
 * Line client (`botframework-directlinejs`, Botium) talk to Switchboard as they would to
 * Azure's Direct Line service. On when `DIRECTLINE_SECRET` is set.
 *
 * Under `/v3/directline`: `tokens/generate`, `tokens/refresh`, `conversations` (start),
 * `conversations/{id}?watermark=` (reconnect), `conversations/{id}/activities` (POST a
 * customer activity; GET with `?watermark=` to poll) and the WebSocket `streamUrl`
 * (`activitySet` frames with watermarks). Errors are `{"error": {"code", "message"}}`.
 *
 * A Direct Line conversation is a window on the customer's Switchboard conversation: the
 * user id (from the token, or `from.id` with the secret) is the customer's identity on
 * this channel, so identity linking, handoff and search work as on every channel. Like
 * the web widget, the channel is read from the store (`delivery: 'store'`): clients poll
 * it or get live pushes from the bus.
 *
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import type { AdapterRuntime, ChannelAdapter, ChannelCapabilities } from '../../src/core/adapter';
import type { BusEvent } from '../../src/core/bus';
import type { Message } from '../../src/model';
import { newId } from '../../src/util/ids';
import { capabilities as botFrameworkCapabilities } from '../botframework/capabilities';
import { verifyIdentityToken } from '../web/verify';
import type { DirectLineSettings } from './config';
import {
  activitySchema,
  type PostedActivity,
  parseBody,
  type Sender,
  startRequestSchema,
  toInboundEvents,
  tokenRequestSchema,
} from './parse';
import { BOT_ID, CHANNEL, decodeWatermark, encodeWatermark, toActivity } from './render';
import {
  authorize,
  type Caller,
  DirectLineError,
  requireConversation,
  signToken,
  type VerifiedAccount,
  verifyToken,
} from './verify';

export { type DirectLineSettings, directLineSettings } from './config';
export { DirectLineError, signToken, verifyToken } from './verify';

export const BASE_PATH = '/v3/directline';
const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const STREAM_PATH = /^\/v3\/directline\/conversations\/([A-Za-z0-9_-]{1,64})\/stream$/;
/** Direct Line keeps a conversation for a while after its last use; ours lives in the store's kv. */
const CONVERSATION_TTL_MS = 30 * 24 * 3600 * 1000;
const PAGE = 500;

/** What the store keeps about a Direct Line conversation (kv `directline:conversation:<id>`). */
interface ConversationRecord {
  userId: string;
  userName?: string;
  account?: VerifiedAccount;
  started: boolean;
}

/** One open WebSocket: which conversation it shows and how far. */
interface Stream {
  ws: WebSocket;
  sender: Sender;
  customerId: string | null;
  /** The Switchboard conversation and last seq the client has. */
  position: { conversationId: string; seq: number };
  /** Pushes run one after another, so frames keep their order and never repeat. */
  queue: Promise<void>;
}

export class DirectLineAdapter implements ChannelAdapter {
  readonly channel = CHANNEL;
  readonly delivery = 'store' as const;
  /** Web Chat renders activities as Bot Framework channels do: the same table of limits (same mapping). */
  readonly capabilities: ChannelCapabilities = botFrameworkCapabilities;

  private runtime: AdapterRuntime | undefined;
  private wss: WebSocketServer | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly streams = new Set<Stream>();
  private activity: ReturnType<typeof activitySchema> | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = STREAM_PATH.exec(url.pathname);
    if (!match) return;
    this.upgrade(req, socket, head, match[1] as string, url).catch(() => socket.destroy());
  };

  constructor(readonly settings: DirectLineSettings) {}

  async start(runtime: AdapterRuntime): Promise<void> {
    this.runtime = runtime;
    this.activity = activitySchema(runtime.config.WEB_MAX_TEXT_LENGTH);
    const { router } = runtime;
    const route =
      (handler: (req: Request, res: Response) => Promise<void>) =>
      (req: Request, res: Response, next: NextFunction) => {
        handler(req, res).catch(next);
      };

    router.use(BASE_PATH, (req, res, next) => {
      for (const [name, value] of this.corsHeaders(req.headers.origin)) res.setHeader(name, value);
      if (req.method === 'OPTIONS') res.status(204).end();
      else next();
    });
    router.post(
      `${BASE_PATH}/tokens/generate`,
      route((req, res) => this.generate(req, res)),
    );
    router.post(
      `${BASE_PATH}/tokens/refresh`,
      route((req, res) => this.refresh(req, res)),
    );
    router.post(
      `${BASE_PATH}/conversations`,
      route((req, res) => this.startConversation(req, res)),
    );
    router.get(
      `${BASE_PATH}/conversations/:id`,
      route((req, res) => this.reconnect(req, res)),
    );
    router.post(
      `${BASE_PATH}/conversations/:id/activities`,
      route((req, res) => this.post(req, res)),
    );
    router.get(
      `${BASE_PATH}/conversations/:id/activities`,
      route((req, res) => this.poll(req, res)),
    );
    router.all(`${BASE_PATH}/*rest`, (_req, _res, next) =>
      next(new DirectLineError(404, 'NotFound', 'no such Direct Line operation')),
    );
    // Errors of these routes (and of the JSON body parser before them) in Direct Line's shape.
    router.use(BASE_PATH, (error: unknown, req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(error);
      const answer = this.errorAnswer(error, req);
      res.status(answer.status).json({ error: { code: answer.code, message: answer.message } });
    });

    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    runtime.httpServer.on('upgrade', this.onUpgrade);
    this.unsubscribe = runtime.bus.subscribe((event) => this.onBusEvent(event));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.runtime?.httpServer.off('upgrade', this.onUpgrade);
    for (const stream of this.streams) stream.ws.close(1001, 'server shutting down');
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
  }

  // ---- REST ----

  /** `POST /tokens/generate` (secret only): a new conversation and a token bound to it. */
  private async generate(req: Request, res: Response): Promise<void> {
    const caller = this.caller(req);
    if (caller.kind !== 'secret')
      throw new DirectLineError(403, 'Forbidden', 'tokens/generate needs the secret, not a token');
    const body = parseBody(tokenRequestSchema, req.body);
    const account = this.account(req.get('x-switchboard-identity'));
    const record: ConversationRecord = {
      userId: body.user?.id ?? this.userIdFor(account),
      ...(body.user?.name !== undefined && { userName: body.user.name }),
      ...(account && { account }),
      started: false,
    };
    const conversationId = newConversationId();
    await this.saveConversation(conversationId, record);
    res.json(this.tokenAnswer(conversationId, record));
  }

  /** `POST /tokens/refresh` (token only): the same binding, a new expiry. */
  private async refresh(req: Request, res: Response): Promise<void> {
    const caller = this.caller(req);
    if (caller.kind !== 'token')
      throw new DirectLineError(403, 'Forbidden', 'tokens/refresh needs a token, not the secret');
    const record = await this.conversation(caller.claims.conv);
    res.json(this.tokenAnswer(caller.claims.conv, record));
  }

  /** `POST /conversations`: starts the token's conversation (201, or 200 again), or a new one with the secret. */
  private async startConversation(req: Request, res: Response): Promise<void> {
    const caller = this.caller(req);
    const body = parseBody(startRequestSchema, req.body);
    let conversationId: string;
    let record: ConversationRecord;
    if (caller.kind === 'token') {
      conversationId = caller.claims.conv;
      record = await this.conversation(conversationId);
    } else {
      conversationId = newConversationId();
      record = {
        userId: body.user?.id ?? this.userIdFor(undefined),
        ...(body.user?.name !== undefined && { userName: body.user.name }),
        started: false,
      };
    }
    const again = record.started;
    if (!again) await this.saveConversation(conversationId, { ...record, started: true });
    res.status(again ? 200 : 201).json({
      ...this.tokenAnswer(conversationId, record),
      streamUrl: this.streamUrl(req, conversationId, record),
    });
  }

  /** `GET /conversations/{id}?watermark=`: a fresh token and a `streamUrl` that replays from the watermark. */
  private async reconnect(req: Request, res: Response): Promise<void> {
    const conversationId = String(req.params.id);
    const caller = this.caller(req);
    requireConversation(caller, conversationId);
    const watermark = this.watermarkParam(req);
    const record = await this.conversation(conversationId);
    res.json({
      ...this.tokenAnswer(conversationId, record),
      streamUrl: this.streamUrl(req, conversationId, record, watermark),
    });
  }

  /** `POST /conversations/{id}/activities`: stores the customer's activity, answers its id. */
  private async post(req: Request, res: Response): Promise<void> {
    const conversationId = String(req.params.id);
    const caller = this.caller(req);
    requireConversation(caller, conversationId);
    const activity = parseBody(this.need().activity, req.body);
    const record = await this.conversation(conversationId);
    const sender = this.sender(conversationId, record, caller, activity);
    const events = toInboundEvents(activity, sender);
    if (events.length === 0) {
      // Typing: shown to nobody yet, stored nowhere; the client still gets an id.
      res.json({ id: `${conversationId}|typing` });
      return;
    }
    let firstId: string | undefined;
    for (const event of events) {
      const accepted = await this.need().runtime.inbox.accept(event);
      firstId ??= accepted.message.id;
    }
    res.json({ id: firstId });
  }

  /**
   * `GET /conversations/{id}/activities?watermark=`: what happened since the watermark.
   * Never a 5xx: a single one stops Web Chat's polling for good (`research/webchat.md` §3.8),
   * so a store failure is logged and answered with nothing new.
   */
  private async poll(req: Request, res: Response): Promise<void> {
    const conversationId = String(req.params.id);
    const caller = this.caller(req);
    requireConversation(caller, conversationId);
    const watermark = this.watermarkParam(req);
    const record = await this.conversation(conversationId);
    const sender = this.sender(conversationId, record, caller, undefined);
    try {
      const page = await this.page(sender, decodeWatermark(watermark) ?? { conversationId: '', seq: 0 });
      res.json({ activities: page.activities, ...(page.watermark && { watermark: page.watermark }) });
    } catch (error) {
      this.need().runtime.logger.error({ err: error, conversationId }, 'directline poll failed');
      res.json({ activities: [], ...(watermark && { watermark }) });
    }
  }

  // ---- WebSocket ----

  private async upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    conversationId: string,
    url: URL,
  ): Promise<void> {
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    };
    // Upgrades are not subject to CORS, so the page's origin is checked here, as the web widget's.
    const origin = req.headers.origin;
    const allowed = this.need().runtime.config.allowedOrigins;
    if (origin && allowed !== '*' && !allowed.includes(origin)) return refuse('403 Forbidden');
    let claims: ReturnType<typeof verifyToken>;
    try {
      // The socket carries no Authorization header: the streamUrl is pre-authorised with `t=`.
      claims = verifyToken(url.searchParams.get('t') ?? '', this.settings.secret);
    } catch {
      return refuse('403 Forbidden');
    }
    if (claims.conv !== conversationId) return refuse('403 Forbidden');
    const watermark = url.searchParams.get('watermark') ?? '';
    const position = decodeWatermark(watermark);
    if (!position) return refuse('400 Bad Request');
    const record = await this.loadConversation(conversationId);
    if (!record) return refuse('404 Not Found');
    this.wss?.handleUpgrade(req, socket, head, (ws) => {
      const stream: Stream = {
        ws,
        sender: senderOf(conversationId, record),
        customerId: null,
        position,
        queue: Promise.resolve(),
      };
      this.streams.add(stream);
      // Web Chat sends "" every 20 s to keep the socket open; nothing a client sends means anything.
      ws.on('message', () => {});
      ws.on('error', () => ws.terminate());
      const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.ping(), 25_000);
      ping.unref();
      ws.on('close', () => {
        clearInterval(ping);
        this.streams.delete(stream);
      });
      // Replay what the client has not seen yet (everything, for a new conversation).
      this.enqueue(stream, () => this.catchUp(stream));
    });
  }

  private onBusEvent(event: BusEvent): void {
    for (const stream of this.streams) {
      if (event.kind === 'message') {
        // A message of this Direct Line conversation names it in its address (replies copy
        // the customer's): that is how a stream learns its customer, also after a link moved it.
        if (event.message.address?.conversationId === stream.sender.conversationId)
          stream.customerId = event.customerId;
        if (stream.customerId !== event.customerId || event.message.content.type === 'typing') continue;
        const message = event.message;
        this.enqueue(stream, async () => {
          const { position } = stream;
          if (message.conversationId === position.conversationId && message.seq <= position.seq) return;
          if (message.conversationId === position.conversationId && message.seq === position.seq + 1) {
            this.push(stream, [message]);
          } else {
            await this.catchUp(stream); // a gap, or a new conversation: read the store
          }
        });
      } else if (event.kind === 'typing' && event.on && stream.customerId === event.customerId) {
        const typing = {
          type: 'typing',
          id: newId('dlt'),
          channelId: CHANNEL,
          conversation: { id: stream.sender.conversationId },
          from: { id: BOT_ID, name: this.need().runtime.config.BOT_NAME, role: 'bot' },
          timestamp: new Date().toISOString(),
        };
        // Typing is WebSocket-only and has no watermark (clients ignore frames without one for paging).
        this.enqueue(stream, async () => this.frame(stream, { activities: [typing] }));
      }
    }
  }

  private enqueue(stream: Stream, task: () => Promise<void>): void {
    stream.queue = stream.queue.then(task).catch((error: unknown) => {
      this.need().runtime.logger.warn(
        { err: error, conversationId: stream.sender.conversationId },
        'directline stream push failed',
      );
    });
  }

  private async catchUp(stream: Stream): Promise<void> {
    const page = await this.page(stream.sender, stream.position);
    if (page.customerId) stream.customerId = page.customerId;
    if (page.messages.length > 0) this.push(stream, page.messages);
  }

  private push(stream: Stream, messages: Message[]): void {
    const last = messages.at(-1) as Message;
    stream.position = { conversationId: last.conversationId, seq: last.seq };
    this.frame(stream, {
      activities: messages.map((m) => toActivity(m, this.parties(stream.sender))),
      watermark: encodeWatermark(last.conversationId, last.seq),
    });
  }

  private frame(stream: Stream, frame: unknown): void {
    if (stream.ws.readyState === WebSocket.OPEN) stream.ws.send(JSON.stringify(frame));
  }

  // ---- helpers ----

  /** The customer's current conversation after the watermark, as activities. */
  private async page(sender: Sender, position: { conversationId: string; seq: number }) {
    const { store } = this.need().runtime;
    const none = {
      activities: [],
      messages: [] as Message[],
      watermark: position.conversationId ? encodeWatermark(position.conversationId, position.seq) : '',
      customerId: null as string | null,
    };
    const identity = await store.identities.find(CHANNEL, sender.userId);
    if (!identity) return none;
    const conversation = await store.conversations.findOpen(identity.customerId);
    if (!conversation) return { ...none, customerId: identity.customerId };
    const afterSeq = position.conversationId === conversation.id ? position.seq : 0;
    const messages = (await store.messages.list(conversation.id, { afterSeq, limit: PAGE })).filter(
      (m) => m.content.type !== 'typing',
    );
    const last = messages.at(-1);
    return {
      activities: messages.map((m) => toActivity(m, this.parties(sender))),
      messages,
      watermark: encodeWatermark(conversation.id, last ? last.seq : afterSeq),
      customerId: identity.customerId as string | null,
    };
  }

  private parties(sender: Sender) {
    return {
      conversationId: sender.conversationId,
      userId: sender.userId,
      ...(sender.userName !== undefined && { userName: sender.userName }),
      botName: this.need().runtime.config.BOT_NAME,
    };
  }

  private caller(req: Request): Caller {
    return authorize(req.get('authorization'), this.settings.secret);
  }

  /** Who posts: a token's user, always; with the secret, the activity's `from.id` (or the conversation's user). */
  private sender(
    conversationId: string,
    record: ConversationRecord,
    caller: Caller,
    activity: PostedActivity | undefined,
  ): Sender {
    if (caller.kind === 'token' || !activity?.from?.id) return senderOf(conversationId, record);
    if (activity.from.id === record.userId) return senderOf(conversationId, record);
    return {
      conversationId,
      userId: activity.from.id,
      ...(activity.from.name !== undefined && { userName: activity.from.name }),
    };
  }

  private watermarkParam(req: Request): string | undefined {
    const raw = req.query.watermark;
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || !decodeWatermark(raw))
      throw new DirectLineError(400, 'BadArgument', 'watermark is not one this server gave out');
    return raw;
  }

  /** The account a signed web identity (`X-Switchboard-Identity`, WEB_IDENTITY_SECRET) vouches for. */
  private account(identityToken: string | undefined): VerifiedAccount | undefined {
    if (!identityToken) return undefined;
    let claims: ReturnType<typeof verifyIdentityToken>;
    try {
      claims = verifyIdentityToken(identityToken, this.need().runtime.config.WEB_IDENTITY_SECRET);
    } catch (error) {
      throw new DirectLineError(403, 'Forbidden', (error as Error).message);
    }
    return {
      id: claims.sub,
      ...(claims.name !== undefined && { name: claims.name }),
      ...(claims.email !== undefined && { email: claims.email }),
      ...(claims.phone !== undefined && { phone: claims.phone }),
    };
  }

  /**
   * A verified account always gets the same user id (so its Direct Line identity is one,
   * whatever the device), derived rather than the account id itself, which stays private.
   */
  private userIdFor(account: VerifiedAccount | undefined): string {
    if (!account) return `dl_${randomBytes(12).toString('base64url')}`;
    const digest = createHmac('sha256', this.settings.secret)
      .update(`account:${account.id}`)
      .digest('base64url');
    return `dl_${digest.slice(0, 22)}`;
  }

  private tokenAnswer(conversationId: string, record: ConversationRecord) {
    const token = signToken(
      {
        conv: conversationId,
        user: record.userId,
        ...(record.userName !== undefined && { name: record.userName }),
        ...(record.account && { acct: record.account }),
      },
      this.settings.secret,
      this.settings.tokenTtlSeconds,
    );
    return { conversationId, token, expires_in: this.settings.tokenTtlSeconds };
  }

  /** `ws(s)://<the host the client used>/…/stream?t=<token>[&watermark=W]`: opened by the browser as given. */
  private streamUrl(
    req: Request,
    conversationId: string,
    record: ConversationRecord,
    watermark?: string,
  ): string {
    const { token } = this.tokenAnswer(conversationId, record);
    const host = req.get('host') ?? new URL(this.need().runtime.config.publicUrl).host;
    const scheme = req.protocol === 'https' ? 'wss' : 'ws';
    const query = new URLSearchParams({ t: token, ...(watermark && { watermark }) });
    return `${scheme}://${host}${BASE_PATH}/conversations/${conversationId}/stream?${query}`;
  }

  private async conversation(id: string): Promise<ConversationRecord> {
    const record = CONVERSATION_ID.test(id) ? await this.loadConversation(id) : null;
    if (!record) throw new DirectLineError(404, 'NotFound', `conversation ${id} does not exist`);
    return record;
  }

  private loadConversation(id: string): Promise<ConversationRecord | null> {
    return this.need().runtime.store.kv.get<ConversationRecord>(`directline:conversation:${id}`);
  }

  private saveConversation(id: string, record: ConversationRecord): Promise<void> {
    return this.need().runtime.store.kv.set(`directline:conversation:${id}`, record, CONVERSATION_TTL_MS);
  }

  private corsHeaders(origin: string | undefined): [string, string][] {
    if (!origin) return [];
    const allowed = this.need().runtime.config.allowedOrigins;
    if (allowed !== '*' && !allowed.includes(origin)) return [];
    return [
      ['Access-Control-Allow-Origin', allowed === '*' ? '*' : origin],
      ['Vary', 'Origin'],
      [
        'Access-Control-Allow-Headers',
        'authorization, content-type, x-ms-bot-agent, x-requested-with, x-switchboard-identity',
      ],
      ['Access-Control-Allow-Methods', 'GET, POST, OPTIONS'],
      ['Access-Control-Max-Age', '600'],
    ];
  }

  private errorAnswer(error: unknown, req: Request): { status: number; code: string; message: string } {
    if (error instanceof DirectLineError) return error;
    const parser = error as { type?: string };
    if (parser.type === 'entity.parse.failed')
      return { status: 400, code: 'BadSyntax', message: 'body is not valid JSON' };
    if (parser.type === 'entity.too.large')
      return { status: 413, code: 'MessageSizeTooBig', message: 'body is too large' };
    if (parser.type === 'charset.unsupported' || parser.type === 'encoding.unsupported')
      return { status: 415, code: 'BadArgument', message: 'unsupported body encoding' };
    this.runtime?.logger.error({ err: error, path: req.path }, 'directline request failed');
    return { status: 500, code: 'ServiceError', message: 'internal error' };
  }

  private need() {
    if (!this.runtime || !this.activity) throw new Error('directline adapter used before start()');
    return { runtime: this.runtime, activity: this.activity };
  }
}

function senderOf(conversationId: string, record: ConversationRecord): Sender {
  return {
    conversationId,
    userId: record.userId,
    ...(record.userName !== undefined && { userName: record.userName }),
    ...(record.account && { account: record.account }),
  };
}

/** Direct Line conversation ids are opaque; 128 random bits, URL-safe. */
function newConversationId(): string {
  return randomBytes(16).toString('base64url');
}
