/**
 * The conversation model: one {@link Customer} whatever channel they use, reached through
 * {@link Identity}s; at most one open {@link Conversation} per customer; {@link Message}s in
 * strict order inside it.
 *
 * @module
 */
import type { Content } from './content';

/** A channel's name: `web`, `telegram`, `slack`, `messenger`, `whatsapp`, `botframework`, … */
export type ChannelId = string;

export interface CustomerProfile {
  name?: string;
  email?: string;
  phone?: string;
  locale?: string;
  /** Data from the CRM profile provider (tier, orders, …). */
  crm?: Record<string, unknown>;
}

/** One person, whatever channel they write on. */
export interface Customer {
  id: string;
  profile: CustomerProfile;
  /** Free-form facts the bot or an operator set (opt-outs, preferences). */
  attributes: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** How an identity came to belong to its customer. Links are never guessed. */
export type IdentityLink =
  | 'first_contact'
  | 'verified_token'
  | 'link_code'
  | 'one_time_code'
  | 'operator_merge';

/**
 * (channel, external user id) → customer. `address` is the channel's own reply
 * coordinates (a Telegram chat id, a Slack channel, a Bot Framework conversation
 * reference…), refreshed on every inbound message.
 */
export interface Identity {
  id: string;
  channel: ChannelId;
  externalId: string;
  customerId: string;
  linkedBy: IdentityLink;
  linkedByWhom?: string;
  address: ChannelAddress;
  /** When this identity last wrote to us (drives messaging windows and "last used channel"). */
  lastInboundAt?: number;
  createdAt: number;
}

/** Channel-specific reply coordinates; only the channel's adapter reads them. */
export type ChannelAddress = Record<string, unknown>;

export type ConversationStatus = 'bot' | 'queued' | 'assigned' | 'closed';

/** Where a conversation is inside a flow. Steps are named, so a deploy cannot shift it. */
export interface FlowState {
  flowId: string;
  /** The flow file's content hash the conversation started on: it finishes that version. */
  flowVersion: string;
  step: string;
  slots: Record<string, unknown>;
  /** Flows interrupted by a digression, most recent last. */
  stack?: Omit<FlowState, 'stack'>[];
  /** Anything else the flow engine needs to keep (retry counters, pending question). */
  data?: Record<string, unknown>;
}

/** A customer's conversation. A customer has at most one open (status ≠ closed) at a time. */
export interface Conversation {
  id: string;
  customerId: string;
  status: ConversationStatus;
  flow: FlowState | null;
  /** The handoff envelope, set when escalated (shape owned by the handoff module). */
  handoff: Record<string, unknown> | null;
  /** The channel the customer used last: where replies go. */
  lastChannel: ChannelId;
  /** The identity the customer used last on that channel. */
  lastIdentityId: string;
  /** Free-form per-conversation memory for middleware. */
  data: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  closedAt?: number;
}

export type Direction = 'in' | 'out';
export type Author = 'customer' | 'bot' | 'operator' | 'system';

/**
 * Delivery state. Inbound messages are `received`. Outbound ones go
 * `pending` → `sent` (→ `delivered` → `read` where the platform reports it) or `failed`.
 */
export type DeliveryState = 'received' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface NluSnapshot {
  intent: string | null;
  confidence: number;
  entities?: { entity: string; value: unknown; text: string }[];
  sentiment?: { score: number; label: 'negative' | 'neutral' | 'positive' };
}

export interface Message {
  id: string;
  conversationId: string;
  customerId: string;
  /**
   * Position in the conversation, from 1, gapless and in commit order (an unmerge that takes
   * moved messages back out of a conversation that went on may leave a gap: see
   * docs/omnichannel.md).
   */
  seq: number;
  direction: Direction;
  author: Author;
  /** Operator's display name, bot name… */
  authorName?: string;
  channel: ChannelId;
  content: Content;
  /** Plain-text rendering of `content`: what search and transcripts use. */
  text: string;
  /** The platform's id for this message (dedupe key with `channel` for inbound). */
  platformMessageId?: string;
  /** Outbound: where it is going. */
  address?: ChannelAddress;
  /** Outbound: the inbound message it answers. */
  replyToId?: string;
  nlu?: NluSnapshot;
  delivery: DeliveryState;
  deliveryError?: string;
  attempts: number;
  /** Inbound: when the bot finished handling it (null until then). */
  processedAt?: number;
  createdAt: number;
}
