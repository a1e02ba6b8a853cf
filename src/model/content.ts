/**
 * What a message says, independent of any channel. Every adapter renders every kind,
 * degrading what its platform cannot show (never dropping it): buttons past a channel's
 * limit become a list or a numbered menu, a card becomes an image plus text, and so on.
 *
 * @module
 */

/** A button the customer can press. Its `payload` comes back as a {@link PostbackContent}. */
export interface PostbackButton {
  type: 'postback';
  /** What the customer sees (keep it under 20 characters: several channels truncate). */
  title: string;
  /** What the bot receives when it is pressed. Defaults to the title when omitted by authors. */
  payload: string;
}

/** A button that opens a web page. Channels without link buttons show the URL in the text. */
export interface UrlButton {
  type: 'url';
  title: string;
  url: string;
}

export type Button = PostbackButton | UrlButton;

/**
 * Plain text, optionally with buttons (stay under the message) or quick replies
 * (disappear once one is pressed). Text is plain: adapters escape or convert it for
 * their markdown dialect.
 */
export interface TextContent {
  type: 'text';
  text: string;
  buttons?: Button[];
  quickReplies?: PostbackButton[];
}

export type MediaKind = 'image' | 'file' | 'audio' | 'video';

/** A picture, document, voice note or video, by URL. */
export interface MediaContent {
  type: 'media';
  kind: MediaKind;
  url: string;
  caption?: string;
  filename?: string;
  mimeType?: string;
}

export interface Card {
  title: string;
  subtitle?: string;
  imageUrl?: string;
  buttons?: Button[];
}

/** One card, or a carousel when there are several. */
export interface CardContent {
  type: 'card';
  cards: Card[];
}

export interface LocationContent {
  type: 'location';
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

/** A button press (or a quick reply, or a numbered-menu answer mapped back to its button). */
export interface PostbackContent {
  type: 'postback';
  payload: string;
  /** The pressed button's title, when the platform tells us. */
  title?: string;
}

/** "… is typing". Transient: adapters send it, the store keeps none. */
export interface TypingContent {
  type: 'typing';
  on: boolean;
}

/** The discriminated union every adapter renders. */
export type Content =
  | TextContent
  | MediaContent
  | CardContent
  | LocationContent
  | PostbackContent
  | TypingContent;

export type ContentType = Content['type'];

/** A short plain-text rendering of any content: transcripts, search, logs, plain channels. */
export function contentToText(content: Content): string {
  switch (content.type) {
    case 'text':
      return content.text;
    case 'media':
      return content.caption
        ? `[${content.kind}] ${content.caption}`
        : `[${content.kind}] ${content.filename ?? content.url}`;
    case 'card':
      return content.cards.map((c) => [c.title, c.subtitle].filter(Boolean).join(' — ')).join('\n');
    case 'location':
      return `[location] ${content.name ?? ''} ${content.address ?? ''} (${content.latitude}, ${content.longitude})`.replace(
        /\s+/g,
        ' ',
      );
    case 'postback':
      return content.title ?? content.payload;
    case 'typing':
      return '';
  }
}

/** Accepts the shorthand authors write (`'Hello'`) as well as full content. */
export type ContentInput = string | Content;

export function toContent(input: ContentInput): Content {
  return typeof input === 'string' ? { type: 'text', text: input } : input;
}

/** All buttons a content offers, in order: what a reply of "2" on a plain channel refers to. */
export function offeredButtons(content: Content): Button[] {
  if (content.type === 'text') return [...(content.buttons ?? []), ...(content.quickReplies ?? [])];
  if (content.type === 'card') return content.cards.flatMap((c) => c.buttons ?? []);
  return [];
}
