/**
 * The Telegram channel, with telegraf.
 *
 * - Webhook mode (default): `POST /webhooks/telegram`, authenticated by the
 *   `X-Telegram-Bot-Api-Secret-Token` header; answered 200 only after the inbox stored
 *   the message (Telegram redelivers anything else).
 * - Polling mode (development): a `getUpdates` loop whose offset lives in the store.
 * - Outbound: the outbox calls {@link TelegramAdapter.send}, which renders the content
 *   into Bot API calls and maps Telegram's refusals onto retry decisions.
 *
 * @module
 */
import { Telegraf, TelegramError } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import { capabilities } from './capabilities';
import type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  FetchedMedia,
  OutboundDelivery,
  SendResult,
} from '../../src/core/adapter';
import {
  ChannelApiError,
  ConfigError,
  MalformedPayloadError,
  PayloadError,
  TransportError,
  asError,
} from '../../src/errors';
import { downloadFile } from '../../src/media/download';
import type { ChannelAddress } from '../../src/model';
import type { Logger } from '../../src/observability/logger';
import { validatePayload } from '../../src/server/validate';
import type { TelegramSettings } from './config';
import { CHANNEL, FILE_REF, parseUpdate } from './parse';
import { CallbackData, type TelegramCall, TelegramRenderer } from './render';
import { updateSchema } from './schema';
import { SECRET_HEADER, verifySecretToken } from './verify';

export { telegramSettings, type TelegramSettings } from './config';
export { parseUpdate } from './parse';

export const WEBHOOK_PATH = '/webhooks/telegram';

type CallApi = (method: string, payload: object, options?: { signal?: AbortSignal }) => Promise<unknown>;

export class TelegramAdapter implements ChannelAdapter {
  readonly channel = CHANNEL;
  readonly delivery = 'push' as const;
  readonly capabilities: ChannelCapabilities = capabilities;

  readonly bot: Telegraf;
  private runtime: AdapterRuntime | undefined;
  private logger: Logger | undefined;
  private renderer: TelegramRenderer | undefined;
  private callbackData: CallbackData | undefined;
  private polling: { abort: AbortController; done: Promise<void> } | undefined;

  constructor(readonly settings: TelegramSettings) {
    // webhookReply: false — answers to webhook requests must not carry API calls: we answer
    // only after storing, and every call must reach the API (and its errors reach us).
    this.bot = new Telegraf(settings.token, {
      telegram: { apiRoot: settings.apiRoot, webhookReply: false },
    });
    // telegraf's default error handler sets process.exitCode; let errors reach the caller
    // instead (a failed webhook is answered 500 and redelivered by Telegram).
    this.bot.catch((error) => {
      throw error;
    });
    this.bot.use((ctx) => this.onUpdate(ctx.update));
  }

  private get callApi(): CallApi {
    return this.bot.telegram.callApi.bind(this.bot.telegram) as unknown as CallApi;
  }

  async start(runtime: AdapterRuntime): Promise<void> {
    this.runtime = runtime;
    this.logger = runtime.logger.child({ channel: CHANNEL });
    this.callbackData = new CallbackData(runtime.store.kv);
    this.renderer = new TelegramRenderer(this.callbackData);
    await this.fetchBotInfo();

    if (this.settings.mode === 'webhook') {
      const secret = this.settings.webhookSecret as string;
      runtime.router.post(WEBHOOK_PATH, async (req, res, next) => {
        try {
          verifySecretToken(req.headers[SECRET_HEADER], secret);
          if (!req.body || typeof req.body !== 'object' || typeof req.body.update_id !== 'number') {
            throw new PayloadError('body is not a Telegram Update (no numeric update_id)', 'update_id');
          }
          const update = validatePayload(CHANNEL, updateSchema, req.body) as unknown as Update;
          await this.bot.handleUpdate(update);
          // An empty body: a JSON body with "method" would be executed by Telegram.
          res.status(200).end();
        } catch (error) {
          next(error);
        }
      });
      this.logger.info(
        { path: WEBHOOK_PATH, bot: this.bot.botInfo?.username },
        'telegram webhook mounted; register it with setWebhook (see adapters/telegram/README.md)',
      );
    } else {
      this.startPolling();
    }
  }

  async stop(): Promise<void> {
    if (this.polling) {
      this.polling.abort.abort();
      await this.polling.done;
      this.polling = undefined;
    }
  }

  /**
   * `https://t.me/<bot>?start=<code>`: Telegram opens the chat and, when the customer taps
   * Start, sends `/start <code>` (payloads are 1–64 characters of A–Z a–z 0–9 _ -). The
   * username comes from getMe; until it is known there is no link.
   */
  linkUrl(code: string): string | undefined {
    const username = this.bot.botInfo?.username;
    if (!username || !/^[A-Za-z0-9_-]{1,64}$/.test(code)) return undefined;
    return `https://t.me/${username}?start=${code}`;
  }

  /**
   * telegraf calls getMe before handling the first update unless it knows the bot; ask
   * once at start so webhooks never wait on it. A rejected token stops the start; an
   * unreachable API does not (telegraf asks again with the first update).
   */
  private async fetchBotInfo(): Promise<void> {
    try {
      this.bot.botInfo = (await this.callApi('getMe', {})) as UserFromGetMe;
    } catch (error) {
      if (error instanceof TelegramError && (error.code === 401 || error.code === 404)) {
        throw new ConfigError([
          `TELEGRAM_BOT_TOKEN: Telegram rejected the token (${error.code} ${error.description}); copy it again from @BotFather`,
        ]);
      }
      this.logger?.warn({ err: error }, 'telegram getMe failed; will retry with the first update');
    }
  }

  /** Every update, from the webhook or from polling. Resolves once it is stored (or ignored). */
  private async onUpdate(update: Update): Promise<void> {
    const runtime = this.need();
    const parsed = parseUpdate(update);
    if (parsed.kind === 'ignored') {
      this.logger?.debug(
        { updateId: update.update_id, updateType: parsed.updateType, reason: parsed.reason },
        'telegram update ignored',
      );
      return;
    }
    if (parsed.kind === 'callback') {
      const payload = await (this.callbackData as CallbackData).decode(parsed.data);
      const content = parsed.event.content;
      if (payload === null) {
        // The key expired: pass on what the customer saw on the button.
        const title = content.type === 'postback' ? content.title : undefined;
        this.logger?.info({ updateId: update.update_id }, 'telegram button key expired; using its title');
        parsed.event.content = title ? { type: 'text', text: title } : content;
      } else if (content.type === 'postback') {
        content.payload = payload;
      }
      await runtime.inbox.accept(parsed.event);
      // Stops the spinner on the customer's button. Not awaited: the ack must not wait on it.
      this.callApi('answerCallbackQuery', { callback_query_id: parsed.callbackQueryId }).catch(
        (error: unknown) => this.logger?.debug({ err: error }, 'answerCallbackQuery failed'),
      );
      return;
    }
    await runtime.inbox.accept(parsed.event);
  }

  // ---------------------------------------------------------------------------------
  // Polling

  /**
   * Our own getUpdates loop rather than telegraf's `launch()`: `launch()` never resolves,
   * cannot start from a stored offset, and handles a batch's updates concurrently (two
   * messages of one chat could be stored out of order). Here updates are stored one by
   * one, in order, and the offset is saved after each.
   */
  private startPolling(): void {
    const abort = new AbortController();
    const done = this.pollLoop(abort.signal).catch((error: unknown) => {
      this.logger?.error({ err: error }, 'telegram polling stopped');
    });
    this.polling = { abort, done };
  }

  private async pollLoop(signal: AbortSignal): Promise<void> {
    const runtime = this.need();
    const botId = this.settings.token.split(':')[0];
    const offsetKey = `telegram:offset:${botId}`;
    // getUpdates is refused (409) while a webhook is set.
    await this.retrying(signal, () => this.callApi('deleteWebhook', {}, { signal }));
    let offset = (await runtime.store.kv.get<number>(offsetKey)) ?? 0;
    this.logger?.info({ offset }, 'telegram polling started');
    while (!signal.aborted) {
      const askedAt = Date.now();
      const updates = await this.retrying(
        signal,
        () =>
          this.callApi(
            'getUpdates',
            { offset, timeout: 25, allowed_updates: ['message', 'edited_message', 'callback_query'] },
            { signal },
          ) as Promise<Update[]>,
      );
      if (!updates) return;
      // A long poll holds the request open for `timeout` seconds. An empty answer that came
      // back at once (an emulator or proxy ignoring `timeout`) would otherwise turn this
      // loop into a busy one (~1,000 calls a second): wait a little before asking again.
      if (updates.length === 0 && Date.now() - askedAt < MIN_EMPTY_POLL_MS) {
        await abortableSleep(MIN_EMPTY_POLL_MS, signal);
        continue;
      }
      for (const update of updates) {
        if (signal.aborted) return;
        try {
          validatePayload(CHANNEL, updateSchema, update);
          await this.retrying(signal, () => this.bot.handleUpdate(update));
        } catch (error) {
          // Skipped for good (the offset moves past it): the same update would fail forever.
          if (!(error instanceof MalformedPayloadError)) throw error;
          runtime.inbox.countMalformed(CHANNEL);
          this.logger?.warn(
            { updateId: update.update_id, issues: error.issues },
            'malformed payload acknowledged',
          );
        }
        offset = update.update_id + 1;
        await runtime.store.kv.set(offsetKey, offset);
      }
    }
  }

  /** Runs `fn` until it succeeds or polling stops; waits as Telegram asks on 429, backs off otherwise. */
  private async retrying<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T | undefined> {
    let delayMs = 1000;
    for (;;) {
      if (signal.aborted) return undefined;
      try {
        return await fn();
      } catch (error) {
        if (signal.aborted) return undefined;
        if (error instanceof TelegramError && error.code === 401) throw error;
        let wait = delayMs;
        if (error instanceof TelegramError && error.parameters?.retry_after !== undefined) {
          wait = error.parameters.retry_after * 1000;
        }
        if (error instanceof TelegramError && error.code === 409) {
          this.logger?.error(
            { err: error },
            'telegram getUpdates conflict: another process polls this bot, or a webhook was set again',
          );
        } else {
          this.logger?.warn({ err: error, retryInMs: wait }, 'telegram polling call failed; retrying');
        }
        await abortableSleep(wait, signal);
        delayMs = Math.min(delayMs * 2, 30_000);
      }
    }
  }

  // ---------------------------------------------------------------------------------
  // Sending

  async send({ message, content, address }: OutboundDelivery): Promise<SendResult> {
    const runtime = this.need();
    const chatId = chatIdOf(address);
    const calls = await (this.renderer as TelegramRenderer).render(
      content,
      chatId,
      typeof address.threadId === 'number' ? address.threadId : undefined,
    );
    // A content can take several calls (a carousel, a long text). If one fails and the
    // outbox retries, the calls that went through are not sent twice.
    const progressKey = `telegram:progress:${message.id}`;
    const progress = (calls.length > 1 && (await runtime.store.kv.get<Progress>(progressKey))) || {
      done: 0,
    };
    let first = progress.first;
    for (let i = progress.done; i < calls.length; i++) {
      const result = await this.call(calls[i] as TelegramCall);
      const id = platformIdOf(result);
      first ??= id;
      if (calls.length > 1 && i < calls.length - 1) {
        await runtime.store.kv.set(progressKey, { done: i + 1, ...(first && { first }) }, 7 * 24 * 3600_000);
      }
    }
    if (calls.length > 2 || progress.done > 0) await runtime.store.kv.delete(progressKey);
    return first ? { platformMessageId: first } : {};
  }

  /** `tg-file:<file_id>` → getFile, then the file from Telegram's file server (20 MB at most). */
  async fetchMedia(ref: string): Promise<FetchedMedia> {
    const fileId = ref.startsWith(FILE_REF) ? ref.slice(FILE_REF.length) : '';
    if (!fileId) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'getFile',
        description: `not a Telegram file reference: ${ref.slice(0, 40)}`,
        permanent: true,
      });
    }
    let file: { file_path?: string };
    try {
      file = (await this.callApi('getFile', { file_id: fileId })) as typeof file;
    } catch (error) {
      throw toChannelError(error, 'getFile');
    }
    if (!file.file_path) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'getFile',
        description: 'Telegram gave no file_path (files over 20 MB cannot be downloaded by bots)',
        permanent: true,
      });
    }
    const url = `${this.settings.apiRoot}file/bot${this.settings.token}/${file.file_path}`;
    return downloadFile(CHANNEL, url, { method: 'file' });
  }

  async sendTyping(address: ChannelAddress, on: boolean): Promise<void> {
    if (!on) return; // Telegram's "typing" fades by itself after 5 s.
    await this.call({ method: 'sendChatAction', payload: { chat_id: chatIdOf(address), action: 'typing' } });
  }

  /** One Bot API call, falling back (media Telegram cannot fetch → a link) when it has one. */
  private async call(call: TelegramCall): Promise<unknown> {
    try {
      return await this.callApi(call.method, call.payload);
    } catch (error) {
      if (call.fallback && error instanceof TelegramError && error.code === 400 && !isChatGone(error)) {
        this.logger?.info(
          { method: call.method, description: error.description },
          'telegram refused the media; sending a link instead',
        );
        return this.call(call.fallback);
      }
      throw toChannelError(error, call.method);
    }
  }

  private need(): AdapterRuntime {
    if (!this.runtime) throw new Error('telegram adapter used before start()');
    return this.runtime;
  }
}

/** The least time between two getUpdates calls when the previous one came back empty at once. */
export const MIN_EMPTY_POLL_MS = 1000;

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

interface Progress {
  done: number;
  first?: string;
}

function chatIdOf(address: ChannelAddress): number | string {
  const chatId = address.chatId;
  if (typeof chatId === 'number' || (typeof chatId === 'string' && chatId !== '')) return chatId;
  throw new ChannelApiError({
    channel: CHANNEL,
    method: 'send',
    description: 'the address has no chatId (not a Telegram address)',
    permanent: true,
  });
}

function platformIdOf(result: unknown): string | undefined {
  const sent = result as { message_id?: number; chat?: { id?: number } } | null;
  if (sent && typeof sent.message_id === 'number' && sent.chat?.id !== undefined) {
    return `${sent.chat.id}:${sent.message_id}`;
  }
  return undefined;
}

const isChatGone = (error: TelegramError) =>
  /chat not found|user is deactivated|PEER_ID_INVALID/i.test(error.description);

/**
 * Telegram's answer → the outbox's decision. 429 waits `retry_after`; 403 (blocked,
 * kicked, deactivated) and 400 (chat not found, or a request Telegram will refuse again
 * identically) are permanent; 5xx, 401/404 (token being fixed) and 409 are retried.
 * Anything thrown that is not an API answer is the network.
 */
export function toChannelError(error: unknown, method: string): Error {
  if (error instanceof TelegramError) {
    const code = error.code;
    return new ChannelApiError({
      channel: CHANNEL,
      method,
      status: code,
      platformCode: code,
      description: error.description,
      ...(error.parameters?.retry_after !== undefined && { retryAfter: error.parameters.retry_after }),
      permanent: code === 403 || code === 400,
      cause: error,
    });
  }
  const err = asError(error);
  return new TransportError(CHANNEL, `${method}: ${err.message}`, { cause: err });
}
