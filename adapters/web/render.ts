/**
 * The web channel renders in the browser (the widget draws every Content kind), so
 * "rendering" here is the public JSON shape of a message in the web API.
 */
import type { Message } from '../../src/model';
import type { WebMessage } from './wire';

export type { WebMessage };

/** Web inbound platform ids are `<visitorId>:<clientMessageId>` (dedupe is per visitor). */
export function webPlatformId(visitorId: string, clientMessageId: string): string {
  return `${visitorId}:${clientMessageId}`;
}

export function toWebMessage(message: Message): WebMessage {
  const out: WebMessage = {
    id: message.id,
    conversationId: message.conversationId,
    seq: message.seq,
    author: message.author,
    channel: message.channel,
    text: message.text,
    content: message.content,
    createdAt: new Date(message.createdAt).toISOString(),
  };
  if (message.authorName !== undefined) out.authorName = message.authorName;
  if (message.direction === 'in' && message.channel === 'web' && message.platformMessageId) {
    const colon = message.platformMessageId.indexOf(':');
    if (colon >= 0) out.clientMessageId = message.platformMessageId.slice(colon + 1);
  }
  return out;
}

/** Cursors are opaque to clients: `<conversationId>.<seq>`. */
export function encodeCursor(conversationId: string, seq: number): string {
  return `${conversationId}.${seq}`;
}

export function decodeCursor(cursor: string | undefined): { conversationId: string; seq: number } | null {
  if (!cursor) return null;
  const dot = cursor.lastIndexOf('.');
  const seq = Number(cursor.slice(dot + 1));
  if (dot <= 0 || !Number.isInteger(seq) || seq < 0) return null;
  return { conversationId: cursor.slice(0, dot), seq };
}
