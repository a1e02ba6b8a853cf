/**
 * A customer's message activity → the Content it carries, for both activity channels
 * (Azure Bot Service and Switchboard's Direct Line server): the way back of render.ts.
 *
 * - `value` that is an object (our buttons' `messageBack` carrying `{payload}`, a
 *   `postBack` with an object, an Adaptive Card submit) → a postback: `value.payload`,
 *   else the value as JSON; the text is the title.
 * - `channelData.postBack` with text (a `postBack` button with a string value, which
 *   clients send as hidden text) → a postback with the text as payload.
 * - attachments with a web `contentUrl` → one media content per file, the text as the
 *   first one's caption.
 * - otherwise the text.
 *
 * @module
 */
import type { Content, MediaKind } from '../../src/model';

/** `http(s)` only: a `data:` or `blob:` URL from a browser is not something we can fetch later. */
export const isWebUrl = (url: unknown): url is string => typeof url === 'string' && /^https?:\/\//i.test(url);

export function mediaKind(contentType: string): MediaKind {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  return 'file';
}

/** The Content of a message activity whose (trimmed, mention-free) text is `text`; empty when it carries none. */
export function messageContents(
  activity: {
    value?: unknown;
    channelData?: unknown;
    attachments?: { contentType?: string; contentUrl?: string; name?: string }[];
  },
  text: string | undefined,
): Content[] {
  const contents: Content[] = [];
  const value = activity.value as unknown;
  const channelData = activity.channelData as { postBack?: unknown } | undefined;
  if (value !== undefined && value !== null && typeof value === 'object') {
    const payload = (value as { payload?: unknown }).payload;
    contents.push({
      type: 'postback',
      payload: typeof payload === 'string' ? payload : JSON.stringify(value),
      ...(text && { title: text }),
    });
  } else if (channelData?.postBack === true && text) {
    contents.push({ type: 'postback', payload: text });
  } else {
    const files = (activity.attachments ?? []).filter((a) => isWebUrl(a.contentUrl));
    files.forEach((file, i) => {
      contents.push({
        type: 'media',
        kind: mediaKind(file.contentType ?? ''),
        url: file.contentUrl as string,
        ...(i === 0 && text && { caption: text }),
        ...(file.name && { filename: file.name }),
        ...(file.contentType && { mimeType: file.contentType }),
      });
    });
    if (files.length === 0 && text) contents.push({ type: 'text', text });
  }
  return contents;
}
