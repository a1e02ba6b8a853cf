/**
 * The shape of the Activity fields Switchboard reads, checked before parsing (Bot
 * Framework Activity schema). Unknown fields pass; a field we read with the wrong type
 * (an object as an id, a string as the attachments) does not.
 *
 * @module
 */
import { z } from 'zod';

const text = z.string().nullish();
const account = z.looseObject({ id: z.string().max(512).nullish(), name: text, role: text }).nullish();

export const activitySchema = z.looseObject({
  type: z.string(),
  id: z.string().max(512).nullish(),
  channelId: z.string().max(128).nullish(),
  serviceUrl: z.string(),
  timestamp: text,
  locale: text,
  text,
  from: account,
  recipient: account,
  conversation: z.looseObject({ id: z.string().min(1).max(512) }),
  channelData: z.unknown().optional(),
  value: z.unknown().optional(),
  entities: z.array(z.looseObject({ type: text })).nullish(),
  attachments: z.array(z.looseObject({ contentType: text, contentUrl: text, name: text })).nullish(),
});
