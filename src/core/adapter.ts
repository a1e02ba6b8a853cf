/**
 * The contract between the core and a channel. Adapters are transport only: verify,
 * parse, ack, render, send. No business logic lives in them.
 *
 * @module
 */
import type { Server } from 'node:http';
import type { Router } from 'express';
import type { Config } from '../config';
import type {
  Author,
  ChannelAddress,
  ChannelId,
  Content,
  CustomerProfile,
  MediaKind,
  Message,
} from '../model';
import type { Logger } from '../observability/logger';
import type { HttpParts } from '../server/http';
import type { Store } from '../store';
import type { Bus } from './bus';
import type { Inbox } from './inbox';
import type { OutboundReceipts } from './outbox';

/** What a channel can show; renderers degrade everything else. */
export interface ChannelCapabilities {
  /** Buttons one message can carry natively (0: none, degrade to a numbered menu). */
  maxButtons: number;
  quickReplies: boolean;
  cards: boolean;
  media: MediaKind[];
  /** The text dialect the channel renders. */
  markdown: 'plain' | 'markdown' | 'slack-mrkdwn' | 'telegram-html' | 'whatsapp';
  maxTextLength: number;
  typing: boolean;
  /** Hours after the customer's last message during which free-form messages are allowed. */
  messageWindowHours?: number;
  /**
   * The platform's documented limits: the one table the channel's renderer degrades by,
   * `switchboard test`'s `channel:` checks simulate and proactive rules check against.
   */
  limits?: ChannelLimits;
}

/** A platform's documented limits for one outbound message (characters are code points). */
export interface ChannelLimits {
  /** Text in one message (longer text is split into several). */
  text: number;
  /** Buttons shown natively with one message (more degrade to a list or a numbered menu). */
  buttons: number;
  /** A button's title (longer titles are clipped; clipped titles stay unique where the platform requires it). */
  buttonTitle: number;
  /** A button's payload as the platform carries it (longer payloads travel as a key or a number). */
  payload: number;
  /** Quick replies on one message (0: none; they degrade like buttons). */
  quickReplies: number;
  /** Cards in one carousel. */
  cards: number;
  /** A media caption (a longer caption follows as text). */
  caption: number;
}

/** One normalised inbound message, as an adapter hands it to the {@link Inbox}. */
export interface InboundEvent {
  channel: ChannelId;
  /** The platform's message id: the dedupe key (with `channel`). */
  platformMessageId?: string;
  sender: {
    /** The platform's user id (Telegram user id, Slack user id, web visitor id…). */
    externalId: string;
    /** What the platform tells about the person (used for a new customer's profile). */
    profile?: CustomerProfile;
  };
  /** Where replies go (chat id, thread…); stored on the identity and the message. */
  address: ChannelAddress;
  content: Content;
  /** Platform timestamp (ms), when it gives one. */
  sentAt?: number;
  /**
   * An account the sender has proven to own (a signed web identity token): the inbox
   * links the sender's identity to that account's customer.
   */
  verifiedAccount?: { id: string; profile?: CustomerProfile };
}

/** An outbound message on its way to the platform. */
export interface OutboundDelivery {
  message: Message;
  content: Content;
  address: ChannelAddress;
  /**
   * When the customer last wrote on this channel (ms), if known (what the plan was made
   * from; see {@link ChannelAdapter.planDelivery}).
   */
  lastInboundAt?: number;
  /** How the outbox decided the message goes out: as it is, or with a message tag. */
  plan?: SendPlan;
}

export interface SendResult {
  /** The platform's id for what it stored (for receipts, edits, threading). */
  platformMessageId?: string;
}

/**
 * How a message may go out on a channel now, decided by the channel's
 * {@link ChannelAdapter.planDelivery} and carried out by the outbox: as it is
 * (`free_form`), with a message tag (`message_tag`, Messenger's HUMAN_AGENT), replaced by
 * the channel's approved template (`template`, WhatsApp outside its window), or not at all
 * (`refuse`, with the reason in words an operator understands).
 */
export type DeliveryPlan =
  | { via: 'free_form' }
  | { via: 'message_tag'; tag: string }
  | { via: 'template'; template: string }
  | { via: 'refuse'; reason: string; platformCode?: string | number };

/** The plans under which {@link ChannelAdapter.send} itself sends the message. */
export type SendPlan = Extract<DeliveryPlan, { via: 'free_form' | 'message_tag' }>;

/** What {@link ChannelAdapter.planDelivery} decides from. */
export interface DeliveryTarget {
  /** Where the message would go (the identity's address). */
  address: ChannelAddress;
  author: Author;
  /** When the customer last wrote on this channel (ms), if ever. */
  lastInboundAt?: number;
  /** Whether the message answers a customer's message (a reply) or not (proactive). */
  isReply: boolean;
  /**
   * When a template last went out to this recipient in place of a message, if the customer
   * has not written since (one template per closed window). Looked up only when the plan
   * without it is `template`: the channel is then asked again with it.
   */
  templateSentAt?: number;
  /** The platform refused the message as outside its window, although our clock said open. */
  platformRefusal?: string;
}

/**
 * Whether a message that does not answer the customer (a proactive one) may go out on a
 * channel now, and how (the {@link DeliveryPlan} of a proactive message, as the proactive
 * API reports it).
 */
export type ProactiveVerdict =
  | { allowed: true; via: 'free_form' | 'template' | 'message_tag' }
  | { allowed: false; reason: string };

/** What the framework gives an adapter when it starts. */
export interface AdapterRuntime {
  /** Mount HTTP routes here (`/webhooks/<channel>`…); raw bodies are on `req.rawBody`. */
  router: Router;
  /** The HTTP server, for protocol upgrades (WebSockets). */
  httpServer: Server;
  /** Serves one hot route ahead of express (see `DirectRoute` in src/server/http); most adapters use `router`. */
  direct: HttpParts['direct'];
  /** The one JSON error answer, for direct routes. */
  sendError: HttpParts['sendError'];
  inbox: Inbox;
  /** Delivery receipts (delivered, read, failed) go here: the outbox owns outbound state. */
  outbox: OutboundReceipts;
  store: Store;
  bus: Bus;
  config: Config;
  logger: Logger;
}

export interface ChannelAdapter {
  readonly channel: ChannelId;
  readonly capabilities: ChannelCapabilities;
  /**
   * `push`: outbound messages go through the outbox and {@link ChannelAdapter.send}.
   * `store`: clients read the store and get live pushes from the bus (the web widget);
   * a stored message is a delivered one.
   */
  readonly delivery: 'push' | 'store';
  start(runtime: AdapterRuntime): Promise<void>;
  stop(): Promise<void>;
  /**
   * Required for `push` adapters: sends one message under `delivery.plan`. Transport only:
   * whether and how it may go is {@link ChannelAdapter.planDelivery}'s, what is recorded the
   * outbox's. Throw ChannelApiError / TransportError on failure; a ChannelApiError with
   * `windowClosed` says the platform refused it as outside its messaging window.
   */
  send?(delivery: OutboundDelivery): Promise<SendResult>;
  /**
   * The channel's rules (messaging windows, templates, tags): may this message go now, and
   * how? Pure, no I/O. Without it, a message goes as it is unless
   * `capabilities.messageWindowHours` says the window closed.
   */
  planDelivery?(target: DeliveryTarget): DeliveryPlan;
  /** Sends the channel's approved template in place of `delivery.message` (plan `template`). */
  sendTemplate?(delivery: OutboundDelivery): Promise<SendResult>;
  /** Best effort; errors are logged, never retried. */
  sendTyping?(address: ChannelAddress, on: boolean): Promise<void>;
  /**
   * A deep link that opens a chat with this bot and hands it `code` (Telegram:
   * `https://t.me/<bot>?start=<code>`), for "continue on this channel" offers. Undefined
   * when the channel cannot make one (yet).
   */
  linkUrl?(code: string): string | undefined;
  /**
   * The bytes behind a media reference this channel stored (`tg-file:…`, `wa-media:…`),
   * fetched with the channel's credentials, for `GET /media/<signed token>`. Throw
   * ChannelApiError when the platform refuses (unknown or expired file).
   */
  fetchMedia?(ref: string): Promise<FetchedMedia>;
}

/** A file fetched from a platform, streamed to whoever opened a media link. */
export interface FetchedMedia {
  body: NodeJS.ReadableStream;
  mimeType?: string;
  /** Bytes, when the platform said. */
  size?: number;
}
