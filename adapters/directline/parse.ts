/**
 * Inbound Direct Line payloads: their zod schemas (every body is checked before anything
 * touches the store; a malformed one is a 400 in Direct Line's shape) and the way from a
 * posted activity to an {@link InboundEvent}.
 *
 * | Activity | Becomes |
 * |---|---|
 * | `message` with text | text |
 * | `message` with `value` (messageBack, postBack, Adaptive Card submit) or `channelData.postBack` | postback (shared mapping: `adapters/bot-activity`) |
 * | `message` with attachments by URL (`contentUrl`, http/https) | media, one message per file |
 * | `event` | postback whose payload is the event's `name` (then a space and the JSON `value`, if any) |
 * | `typing` | nothing stored |
 *
 * @module
 */
import { z } from 'zod';
import type { InboundEvent } from '../../src/core/adapter';
import type { Content } from '../../src/model';
import { newId } from '../../src/util/ids';
import { messageContents } from '../bot-activity';
import { type ActivityKind, CHANNEL, platformId } from './render';
import { DirectLineError, type VerifiedAccount } from './verify';

const id = z.string().trim().min(1).max(128);
const name = z.string().max(256);

const user = z.object({ id: id.optional(), name: name.optional() }).optional();

/** `POST /tokens/generate`: `{user: {id, name}, trustedOrigins}`, all optional. */
export const tokenRequestSchema = z.object({
  user,
  trustedOrigins: z.array(z.string().max(2048)).max(50).optional(),
});

/** `POST /conversations`: Web Chat sends `{user: {}}` or `{user: {id}}`, maybe a locale. */
export const startRequestSchema = z.object({ user, locale: z.string().max(35).optional() });

const MAX_VALUE_JSON = 16 * 1024;

/** One activity, as a client posts it. Fields the server sets (id, timestamp, conversation) are ignored. */
export function activitySchema(maxText: number) {
  return z.object({
    type: z.string().min(1).max(64),
    from: z.object({ id: id, name: name.optional(), role: z.string().max(32).optional() }).optional(),
    text: z.string().max(maxText, `text is longer than ${maxText} characters`).optional(),
    locale: z.string().max(35).optional(),
    name: name.optional(),
    value: z
      .unknown()
      .refine((v) => v === undefined || JSON.stringify(v).length <= MAX_VALUE_JSON, {
        message: `value is larger than ${MAX_VALUE_JSON} characters of JSON`,
      })
      .optional(),
    attachments: z
      .array(
        z.object({
          contentType: z.string().max(255).optional(),
          contentUrl: z.string().max(4096).optional(),
          name: z.string().max(256).optional(),
        }),
      )
      .max(10)
      .optional(),
    channelData: z
      .object({
        clientActivityID: z
          .string()
          .regex(
            /^[A-Za-z0-9_.:-]{1,128}$/,
            'channelData.clientActivityID must be 1–128 characters of A–Z, a–z, 0–9, "_.:-"',
          )
          .optional(),
        postBack: z.boolean().optional(),
      })
      .loose()
      .optional(),
  });
}

export type PostedActivity = z.infer<ReturnType<typeof activitySchema>>;

/** Parses with `schema`, or throws a 400 `BadArgument` naming the first problem. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new DirectLineError(400, 'BadArgument', `${where}${issue?.message ?? 'invalid body'}`);
}

export interface Sender {
  conversationId: string;
  userId: string;
  userName?: string;
  account?: VerifiedAccount;
}

/** The events to store for a posted activity; empty for a typing activity. Throws 400 for what cannot be stored. */
export function toInboundEvents(activity: PostedActivity, sender: Sender): InboundEvent[] {
  if (activity.type === 'typing') return [];
  const clientId = activity.channelData?.clientActivityID ?? newId('dla');
  let kind: ActivityKind = 'message';
  let contents: Content[];
  if (activity.type === 'event') {
    if (!activity.name) throw new DirectLineError(400, 'MissingProperty', 'an event activity needs a name');
    kind = 'event';
    const value = activity.value === undefined ? '' : ` ${JSON.stringify(activity.value)}`;
    contents = [{ type: 'postback', payload: `${activity.name}${value}` }];
  } else if (activity.type === 'message') {
    const text = activity.text?.trim();
    contents = messageContents(activity, text || undefined);
    const first = contents[0];
    if (first?.type === 'postback' && activity.channelData?.postBack === true) kind = 'postBack';
    if (!first) {
      throw new DirectLineError(
        400,
        'BadArgument',
        'a message needs text, a value or an attachment by http(s) URL',
      );
    }
  } else {
    throw new DirectLineError(
      400,
      'BadArgument',
      `activity type "${activity.type}" is not accepted (message, event or typing)`,
    );
  }
  const base = platformId(sender.conversationId, kind, clientId);
  const name = sender.userName ?? activity.from?.name;
  const profile = {
    ...(name && { name }),
    ...(activity.locale && { locale: activity.locale }),
  };
  return contents.map((content, i) => ({
    channel: CHANNEL,
    platformMessageId: i === 0 ? base : `${base}:a${i}`,
    sender: { externalId: sender.userId, profile },
    address: { conversationId: sender.conversationId },
    content,
    ...(sender.account && {
      verifiedAccount: {
        id: sender.account.id,
        profile: {
          ...(sender.account.name !== undefined && { name: sender.account.name }),
          ...(sender.account.email !== undefined && { email: sender.account.email }),
          ...(sender.account.phone !== undefined && { phone: sender.account.phone }),
        },
      },
    }),
  }));
}
