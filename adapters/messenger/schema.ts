/**
 * The shape of the Messenger webhook fields Switchboard reads, checked before parsing.
 * Unknown fields pass; a field we read with the wrong type, or a `messaging` item that is
 * not an object, does not. `null` is accepted wherever a field is optional (Meta sends
 * `payload: null` on some attachments).
 *
 * @module
 */
import { z } from 'zod';

const id = z.string().min(1).max(256);
const text = z.string().nullish();
const referral = z.looseObject({ ref: text, source: text, type: text }).nullish();

const attachment = z.looseObject({
  type: text,
  title: text,
  url: text,
  payload: z
    .looseObject({
      url: text,
      sticker_id: z.union([z.number(), z.string()]).nullish(),
      coordinates: z.looseObject({ lat: z.number().nullish(), long: z.number().nullish() }).nullish(),
      title: text,
    })
    .nullish(),
});

const messagingItem = z.looseObject({
  sender: z.looseObject({ id: id.nullish() }).nullish(),
  recipient: z.looseObject({ id: id.nullish() }).nullish(),
  timestamp: z.number().nullish(),
  message: z
    .looseObject({
      mid: id.nullish(),
      text,
      is_echo: z.boolean().nullish(),
      quick_reply: z.looseObject({ payload: text }).nullish(),
      attachments: z.array(attachment).nullish(),
    })
    .nullish(),
  postback: z.looseObject({ mid: id.nullish(), title: text, payload: text, referral }).nullish(),
  referral,
  delivery: z.looseObject({ mids: z.array(id).nullish(), watermark: z.number().nullish() }).nullish(),
  read: z.looseObject({ watermark: z.number().nullish() }).nullish(),
});

export const messengerWebhookSchema = z.looseObject({
  object: z.literal('page'),
  entry: z.array(
    z.looseObject({
      messaging: z.array(messagingItem).nullish(),
      standby: z.array(z.unknown()).nullish(),
    }),
  ),
});
