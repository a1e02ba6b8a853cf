/**
 * WhatsApp through whatsapp-web.js (`WHATSAPP_WEB=true`): the unofficial route for a
 * number without a Business API account. The library drives WhatsApp Web in Chromium;
 * the session is kept by LocalAuth under `DATA_DIR/whatsapp-web`.
 *
 * - Login: the QR is printed in the terminal and served at `GET /whatsapp-web/qr`
 *   (JSON `{state, qr, updatedAt}`, or `?format=text` for a terminal-style QR), behind
 *   `Authorization: Bearer <WHATSAPP_WEB_QR_TOKEN>`; without a token only to loopback
 *   callers and never with NODE_ENV=production.
 * - Reconnects on `disconnected` (and when `initialize()` fails) with exponential backoff.
 * - One-to-one chats only: group, status and own messages are ignored (logged).
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  FetchedMedia,
  InboundEvent,
  OutboundDelivery,
  SendResult,
} from '../../src/core/adapter';
import { capabilities } from './capabilities';
import { ChannelApiError, TransportError } from '../../src/errors';
import type { Content, MediaKind } from '../../src/model';
import { type ClientFactory, createRealClient, type WaWebClient, type WaWebMessage } from './client';
import type { WhatsAppWebSettings } from './config';
import { renderWaWeb } from './render';

export type { ClientFactory, WaWebClient, WaWebMessage } from './client';
export { renderWaWeb } from './render';

export const CHANNEL = 'whatsapp-web';

export type WaWebState = 'starting' | 'qr' | 'authenticated' | 'ready' | 'disconnected' | 'stopped';

export interface WhatsAppWebOptions {
  /** Builds the client (default: the real whatsapp-web.js Client). Tests pass a fake. */
  createClient?: ClientFactory;
  /** Shows the login QR (default: printed in the terminal with qrcode-terminal). */
  printQr?: (qr: string) => void;
  /** Reconnect backoff: first delay and cap (ms). */
  reconnect?: { baseMs?: number; maxMs?: number };
}

const MEDIA_KINDS: Record<string, MediaKind> = {
  image: 'image',
  sticker: 'image',
  video: 'video',
  audio: 'audio',
  ptt: 'audio',
  document: 'file',
};

const ACK_STATES: Record<number, 'delivered' | 'read' | 'failed'> = {
  [-1]: 'failed',
  2: 'delivered',
  3: 'read',
  4: 'read',
};

export class WhatsAppWebAdapter implements ChannelAdapter {
  readonly channel = CHANNEL;
  readonly delivery = 'push' as const;
  readonly capabilities: ChannelCapabilities = capabilities;

  private runtime: AdapterRuntime | undefined;
  private client: WaWebClient | undefined;
  private state: WaWebState = 'starting';
  private qr: { value: string; at: number } | undefined;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly createClient: ClientFactory;

  constructor(
    private readonly settings: WhatsAppWebSettings,
    private readonly options: WhatsAppWebOptions = {},
  ) {
    this.createClient = options.createClient ?? createRealClient;
  }

  /** The connection state and the latest login QR (what `GET /whatsapp-web/qr` shows). */
  status(): { state: WaWebState; qr: string | null; updatedAt: number | null } {
    return { state: this.state, qr: this.qr?.value ?? null, updatedAt: this.qr?.at ?? null };
  }

  async start(runtime: AdapterRuntime): Promise<void> {
    this.runtime = runtime;
    this.stopped = false;
    runtime.router.get('/whatsapp-web/qr', (req, res) => this.serveQr(req, res));
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    client?.removeAllListeners();
    await client?.destroy().catch(() => {});
  }

  private get dataPath(): string {
    return path.join(this.need().config.dataDir, 'whatsapp-web');
  }

  private connect(): void {
    const runtime = this.need();
    const { logger } = runtime;
    this.state = 'starting';
    const client = this.createClient({
      dataPath: this.dataPath,
      clientId: this.settings.clientId,
      executablePath: this.settings.executablePath,
    });
    this.client = client;
    client.on('qr', (qr) => {
      this.state = 'qr';
      this.qr = { value: qr, at: Date.now() };
      logger.info(
        { channel: CHANNEL },
        'scan the QR with WhatsApp → Linked devices (also at GET /whatsapp-web/qr)',
      );
      (this.options.printQr ?? printQrInTerminal)(qr);
    });
    client.on('authenticated', () => {
      this.state = 'authenticated';
      this.qr = undefined;
    });
    client.on('auth_failure', (reason) =>
      logger.warn({ channel: CHANNEL, reason }, 'WhatsApp Web login failed'),
    );
    client.on('ready', () => {
      this.state = 'ready';
      this.qr = undefined;
      this.attempts = 0;
      logger.info({ channel: CHANNEL }, 'WhatsApp Web is connected');
    });
    client.on('disconnected', (reason) => {
      logger.warn({ channel: CHANNEL, reason }, 'WhatsApp Web disconnected; reconnecting');
      this.reconnect(client);
    });
    client.on('message', (message) => {
      this.onMessage(message).catch((error: unknown) =>
        logger.error({ err: error, channel: CHANNEL }, 'could not store a WhatsApp Web message'),
      );
    });
    client.on('message_ack', (message, ack) => {
      const state = ACK_STATES[ack];
      if (!state) return;
      runtime.outbox
        .receipt({
          channel: CHANNEL,
          platformMessageId: message.id._serialized,
          state,
          ...(state === 'failed' && { error: 'WhatsApp reported the message as failed (ack -1)' }),
        })
        .catch((error: unknown) => logger.warn({ err: error, channel: CHANNEL }, 'receipt failed'));
    });
    client.initialize().catch((error: unknown) => {
      logger.warn({ err: error, channel: CHANNEL }, 'WhatsApp Web did not start; retrying');
      this.reconnect(client);
    });
  }

  /** Drops `client` and builds a new one after a growing delay (1 s, 2 s, 4 s … up to 5 min). */
  private reconnect(client: WaWebClient): void {
    if (this.stopped || client !== this.client || this.reconnectTimer) return;
    this.state = 'disconnected';
    const base = this.options.reconnect?.baseMs ?? 1000;
    const max = this.options.reconnect?.maxMs ?? 300_000;
    const delay = Math.min(max, base * 2 ** this.attempts);
    this.attempts++;
    client.removeAllListeners();
    void client.destroy().catch(() => {});
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async onMessage(message: WaWebMessage): Promise<void> {
    const runtime = this.need();
    const ignore = (reason: string) =>
      runtime.logger.info({ channel: CHANNEL, reason }, 'ignored WhatsApp Web message');
    if (message.fromMe) return ignore('own message');
    if (message.isStatus || message.from === 'status@broadcast') return ignore('status update');
    if (!message.from.endsWith('@c.us')) return ignore('not a one-to-one chat (group, broadcast or channel)');
    const content = await this.contentOf(message);
    if (!content) return ignore(`unsupported message type "${message.type}"`);
    const number = message.from.replace(/@c\.us$/, '');
    const event: InboundEvent = {
      channel: CHANNEL,
      platformMessageId: message.id._serialized,
      sender: { externalId: message.from, profile: { phone: `+${number}` } },
      address: { chatId: message.from },
      content,
      ...(message.timestamp !== undefined && { sentAt: message.timestamp * 1000 }),
    };
    await runtime.inbox.accept(event);
  }

  private async contentOf(message: WaWebMessage): Promise<Content | null> {
    if (message.type === 'chat') return message.body ? { type: 'text', text: message.body } : null;
    if (message.type === 'location' && message.location) {
      return {
        type: 'location',
        latitude: Number(message.location.latitude),
        longitude: Number(message.location.longitude),
        ...(message.location.description && { name: message.location.description }),
      };
    }
    const kind = MEDIA_KINDS[message.type];
    if (!message.hasMedia || !kind) return null;
    const media: Content = {
      type: 'media',
      kind,
      url: `wa-web-media:${message.id._serialized}`,
      ...(message.body && { caption: message.body }),
    };
    // The bytes are only reachable through this session: keep a copy now, best effort.
    try {
      const downloaded = await message.downloadMedia?.();
      if (downloaded) {
        const ext =
          downloaded.mimetype
            .split('/')[1]
            ?.split(';')[0]
            ?.replace(/[^a-z0-9]/gi, '') || 'bin';
        const file = path.join(
          this.dataPath,
          'media',
          `${message.id._serialized.replace(/[^A-Za-z0-9_-]/g, '_')}.${ext}`,
        );
        await fs.promises.mkdir(path.dirname(file), { recursive: true });
        await fs.promises.writeFile(file, Buffer.from(downloaded.data, 'base64'));
        media.mimeType = downloaded.mimetype;
        media.url = `file://${file}`;
        if (downloaded.filename) media.filename = downloaded.filename;
      }
    } catch (error) {
      this.need().logger.warn({ err: error, channel: CHANNEL }, 'could not download WhatsApp Web media');
    }
    return media;
  }

  /**
   * A copy kept at receipt (`file://…` under this channel's media folder): the session
   * that could fetch it again may be gone. Nothing outside that folder is ever served.
   */
  async fetchMedia(ref: string): Promise<FetchedMedia> {
    const folder = path.resolve(this.dataPath, 'media');
    const file = ref.startsWith('file://') ? path.resolve(ref.slice('file://'.length)) : '';
    const stat = file.startsWith(`${folder}${path.sep}`)
      ? await fs.promises.stat(file).catch(() => undefined)
      : undefined;
    if (!stat?.isFile()) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'media',
        description: 'no kept copy of this media (it could not be downloaded when it arrived)',
        permanent: true,
      });
    }
    return { body: fs.createReadStream(file), size: stat.size };
  }

  async send({ content, address }: OutboundDelivery): Promise<SendResult> {
    const chatId = address.chatId;
    if (typeof chatId !== 'string' || chatId === '') {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'sendMessage',
        description: 'the message has no WhatsApp Web chat (address.chatId)',
        permanent: true,
      });
    }
    const texts = renderWaWeb(content);
    if (texts.length === 0) return {};
    const client = this.client;
    if (!client || this.state !== 'ready') {
      throw new TransportError(
        CHANNEL,
        `WhatsApp Web is not connected (state: ${this.state}); scan the login QR (GET /whatsapp-web/qr)`,
      );
    }
    let platformMessageId: string | undefined;
    for (const text of texts) {
      try {
        const sent = await client.sendMessage(chatId, text);
        platformMessageId = sent.id._serialized;
      } catch (error) {
        throw new TransportError(CHANNEL, `sendMessage: ${(error as Error).message}`, { cause: error });
      }
    }
    return platformMessageId ? { platformMessageId } : {};
  }

  private serveQr(req: Request, res: Response): void {
    const runtime = this.need();
    const token = this.settings.qrToken;
    if (token) {
      if (req.get('authorization') !== `Bearer ${token}`) {
        res.status(401).json({
          error: { code: 'SB_SIGNATURE_INVALID', message: 'Bearer WHATSAPP_WEB_QR_TOKEN required' },
        });
        return;
      }
    } else {
      const remote = req.socket.remoteAddress ?? '';
      const loopback = remote === '127.0.0.1' || remote === '::1' || remote === '::ffff:127.0.0.1';
      if (runtime.config.NODE_ENV === 'production' || !loopback) {
        res
          .status(404)
          .json({ error: { code: 'SB_NOT_FOUND', message: 'set WHATSAPP_WEB_QR_TOKEN to expose the QR' } });
        return;
      }
    }
    res.setHeader('Cache-Control', 'no-store');
    const status = this.status();
    if (req.query.format === 'text') {
      if (!status.qr) {
        res.status(404).type('text/plain').send(`no QR to scan (state: ${status.state})\n`);
        return;
      }
      qrcodeTerminal().generate(status.qr, { small: true }, (art) => res.type('text/plain').send(`${art}\n`));
      return;
    }
    res.json(status);
  }

  private need(): AdapterRuntime {
    if (!this.runtime) throw new Error('the whatsapp-web adapter is not started');
    return this.runtime;
  }
}

interface QrcodeTerminal {
  generate(text: string, options: { small: boolean }, callback: (art: string) => void): void;
}

function qrcodeTerminal(): QrcodeTerminal {
  return require('qrcode-terminal') as QrcodeTerminal;
}

function printQrInTerminal(qr: string): void {
  qrcodeTerminal().generate(qr, { small: true }, (art) => {
    process.stdout.write(`\nWhatsApp Web login: scan with WhatsApp → Linked devices\n${art}\n`);
  });
}
