/**
 * The web channel's wire format: what the widget (adapters/web/widget) and the server
 * (adapters/web/index.ts) say to each other. Both sides import these types, so a change
 * to one side that the other does not expect fails `npm run typecheck`.
 *
 * Types only: the widget is bundled for the browser and must not pull in server code.
 *
 * - `POST /web/messages` {@link WebPostBody} → `202` {@link WebPostAnswer}, or an {@link WebErrorBody}
 * - `GET /web/messages?visitorId=…&after=…&wait=…` → {@link WebPage}
 * - WebSocket `/web/socket?visitorId=…&identity=…`: server frames {@link WebServerFrame},
 *   client frames {@link WebClientFrame}
 *
 * @module
 */
import type { Content, PostbackButton } from '../../src/model/content';
import type { Author } from '../../src/model/types';

/** Who wrote a message. */
export type WebAuthor = Author;

/** `POST /web/messages`: a text or a button press (exactly one of `text` and `postback`). */
export interface WebPostBody {
  visitorId: string;
  text?: string;
  postback?: { payload: string; title?: string };
  /** The widget's own id for the message: a retry with the same id is stored once. */
  clientMessageId?: string;
}

/** The `202` answer to a post. */
export interface WebPostAnswer {
  conversationId: string;
  messageId: string;
}

/** A stored message, as the web API shows it. */
export interface WebMessage {
  id: string;
  conversationId: string;
  seq: number;
  author: WebAuthor;
  authorName?: string;
  channel: string;
  text: string;
  content: Content;
  /** The id the widget posted the message with (customer messages from the web only). */
  clientMessageId?: string;
  /** ISO 8601. */
  createdAt: string;
}

/** `GET /web/messages`: the visitor's messages after the cursor, and the cursor to ask from next. */
export interface WebPage {
  messages: WebMessage[];
  cursor: string;
}

/** What the server pushes on the socket. */
export type WebServerFrame = { type: 'message'; message: WebMessage } | { type: 'typing'; on: boolean };

/** What the widget may send on the socket (typing notifications; the server accepts and ignores them). */
export type WebClientFrame = { type: 'typing'; on: boolean };

/** Every error answer: `{error: {code, message, field?}}`. */
export interface WebErrorBody {
  error: { code: string; message: string; field?: string };
}

export type { Content, PostbackButton };
