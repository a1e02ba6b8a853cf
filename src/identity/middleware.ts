/**
 * The built-in linking middleware, first in every bot:
 *
 * - **Offers.** "continue on telegram", "/link whatsapp" (or a button whose payload is
 *   `link:messenger`) answers with a one-time deep link to that channel
 *   (`LINK_COMMANDS=off` turns the words off; the button payload always works).
 * - **Outcomes.** The inbox redeems codes before the conversation is chosen; this tells the
 *   customer what happened — connected (and the question the bot was waiting on, asked
 *   again on the new channel), or why the code linked nothing — and keeps the code away
 *   from the flows.
 *
 * Every other message passes through after one regular expression.
 *
 * @module
 */
import type { Config } from '../config';
import type { ChannelAdapter } from '../core/adapter';
import type { MiddlewareFn } from '../core/composer';
import type { Context } from '../core/context';
import type { TextContent } from '../model';
import { findCodeClaim } from './codes';
import { issueLinkCode, LINK_EVENTS, type LinkingSettings, type RejectionReason } from './linking';

/** Display names of the channels a customer can ask to continue on. */
const CHANNEL_NAMES: Record<string, string> = {
  telegram: 'Telegram',
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  web: 'our website',
};

const SPOKEN: Record<string, string> = {
  telegram: 'telegram',
  whatsapp: 'whatsapp',
  'whats app': 'whatsapp',
  messenger: 'messenger',
  'facebook messenger': 'messenger',
  facebook: 'messenger',
};

const OFFER =
  /^\s*(?:\/link\s+|(?:(?:please|can we|can i|could we|let'?s|i want to|i'd like to)\s+)?(?:continue|switch|move|carry on|chat|talk)\s+(?:this\s+)?(?:(?:chat|conversation)\s+)?(?:on|in|to|via|over to|through)\s+)(telegram|whats ?app|facebook messenger|messenger|facebook)\s*[.!?]*\s*$/i;
const OFFER_PAYLOAD = /^link:([a-z]+)$/;

export interface LinkingMiddlewareOptions {
  settings: LinkingSettings;
  config: Config;
  /** The running bot's adapter for a channel, if configured. */
  adapter(channel: string): ChannelAdapter | undefined;
}

const nameOf = (channel: string) => CHANNEL_NAMES[channel] ?? channel;

/**
 * The deep link that opens `channel` with `code`: the adapter's own (Telegram, from getMe),
 * else from the `LINK_MESSENGER_PAGE` / `LINK_WHATSAPP_NUMBER` settings. Undefined when the
 * channel is off or cannot make one.
 */
export function deepLink(
  channel: string,
  code: string,
  config: Config,
  adapter: ChannelAdapter | undefined,
): string | undefined {
  if (!adapter) return undefined;
  const own = adapter.linkUrl?.(code);
  if (own) return own;
  if (channel === 'messenger' && config.LINK_MESSENGER_PAGE)
    return `https://m.me/${config.LINK_MESSENGER_PAGE}?ref=${code}`;
  if (channel === 'whatsapp' && config.LINK_WHATSAPP_NUMBER)
    return `https://wa.me/${config.LINK_WHATSAPP_NUMBER.replace(/\D/g, '')}?text=${encodeURIComponent(code)}`;
  return undefined;
}

/** The channel a message asks to continue on, if it is such a request. */
function requestedChannel(ctx: Context, commands: boolean): string | undefined {
  if (ctx.payload !== undefined) return OFFER_PAYLOAD.exec(ctx.payload)?.[1];
  if (!commands || ctx.text === undefined || ctx.text.length > 80) return undefined;
  const spoken = OFFER.exec(ctx.text)?.[1]?.toLowerCase().replace(/\s+/g, ' ');
  return spoken === undefined ? undefined : (SPOKEN[spoken] ?? SPOKEN[spoken.replace(' ', '')]);
}

export function identityLinking(options: LinkingMiddlewareOptions): MiddlewareFn<Context> {
  const { settings, config } = options;
  const minutes = Math.round(settings.codeTtlMs / 60_000);
  const commands = config.LINK_COMMANDS === 'on';

  const offer = async (ctx: Context, channel: string): Promise<boolean> => {
    if (channel === ctx.channel) {
      await ctx.reply(`We're already talking on ${nameOf(channel)}.`);
      return true;
    }
    const adapter = options.adapter(channel);
    // Probe with a well-formed code: whether this channel can make a link at all.
    if (!deepLink(channel, 'LINK-00000-00000', config, adapter)) {
      if (ctx.payload === undefined && !adapter) return false; // Not ours to answer: the flows may.
      await ctx.reply(`Sorry, I can't continue on ${nameOf(channel)} right now. Let's keep going here.`);
      return true;
    }
    const { code } = await issueLinkCode(ctx.store, {
      customerId: ctx.customer.id,
      conversationId: ctx.conversation.id,
      offeredSeq: ctx.message.seq,
      channel,
      ttlMs: settings.codeTtlMs,
    });
    const url = deepLink(channel, code, config, adapter) as string;
    const content: TextContent = {
      type: 'text',
      text: `To continue on ${nameOf(channel)}, open this link: ${url}\nIt works once, within ${minutes} minutes, and our conversation comes with you. (Code: ${code})`,
      buttons: [{ type: 'url', title: `Open ${nameOf(channel)}`, url }],
    };
    await ctx.reply(content);
    return true;
  };

  const rejection = (ctx: Context, kind: string, reason: RejectionReason): string => {
    const again = `ask for a new link where you started (say "continue on ${nameOf(ctx.channel)}")`;
    if (reason === 'rate_limited')
      return `That's too many codes that didn't work. Please wait ${Math.round(settings.attemptWindowMs / 60_000)} minutes and try again.`;
    if (kind === 'one_time_code')
      return reason === 'unknown'
        ? "That code isn't right. Please check it and type it again."
        : 'That code has expired. Please ask for a new one.';
    if (reason === 'expired')
      return `That link has expired (links work for ${minutes} minutes), so nothing was connected. Please ${again}.`;
    if (reason === 'used')
      return `That link has already been used, so nothing was connected. Each link works once: please ${again}.`;
    return `I don't recognise that code, so nothing was connected. Please check it, or ${again}.`;
  };

  /** After a link: on the new channel, the question the bot was waiting on, asked again. */
  const resume = async (ctx: Context, offeredIn: unknown, offeredSeq: unknown): Promise<void> => {
    const status = ctx.conversation.status;
    if (status === 'queued' || status === 'assigned') {
      await ctx.reply("You're connected: a colleague will continue with you here.");
      return;
    }
    let question: TextContent | undefined;
    if (ctx.conversation.flow && offeredIn === ctx.conversation.id && typeof offeredSeq === 'number') {
      const recent = await ctx.store.messages.list(ctx.conversation.id, {
        afterSeq: Math.max(0, offeredSeq - 20),
        limit: 20,
      });
      const last = recent
        .filter((m) => m.direction === 'out' && m.author === 'bot' && m.seq < offeredSeq)
        .at(-1);
      if (last?.content.type === 'text') question = last.content;
    }
    if (question) {
      await ctx.reply("You're connected: let's continue here.");
      await ctx.reply(question);
    } else {
      await ctx.reply("You're connected: this chat continues our conversation. How can I help?");
    }
  };

  return async (ctx, next) => {
    if (findCodeClaim(ctx.message.content, ctx.message.address)) {
      const events = await ctx.store.events.list(ctx.conversation.id);
      const outcome = events.findLast(
        (e) =>
          e.data.messageId === ctx.message.id &&
          (e.type === LINK_EVENTS.linked ||
            e.type === LINK_EVENTS.rejected ||
            e.type === LINK_EVENTS.repeated),
      );
      if (outcome) {
        if (outcome.type === LINK_EVENTS.linked)
          await resume(ctx, outcome.data.offeredIn, outcome.data.offeredSeq);
        else if (outcome.type === LINK_EVENTS.repeated) await ctx.reply("You're already connected here.");
        else
          await ctx.reply(rejection(ctx, String(outcome.data.kind), outcome.data.reason as RejectionReason));
        return;
      }
    }
    const channel = requestedChannel(ctx, commands);
    if (channel && (await offer(ctx, channel))) return;
    await next();
  };
}
