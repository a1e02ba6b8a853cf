/**
 * The shape of the Telegram Update fields Switchboard reads (Bot API types), checked
 * before parsing. Unknown fields pass (Telegram adds some every release); a field we
 * read with the wrong type, or a message without its `chat`, does not.
 *
 * @module
 */
import { z } from 'zod';

const id = z.union([z.number().int(), z.string().max(64)]);
const str = z.string().optional();
const fileId = z.looseObject({ file_id: z.string().min(1) });
const file = z.looseObject({ file_id: z.string().min(1), file_name: str, mime_type: str });
const coordinates = z.looseObject({ latitude: z.number(), longitude: z.number() });

const user = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: str,
  last_name: str,
  username: str,
  language_code: str,
});

const message = z.looseObject({
  message_id: z.number().int(),
  message_thread_id: z.number().int().optional(),
  is_topic_message: z.boolean().optional(),
  from: user.optional(),
  chat: z.looseObject({ id, type: str }),
  date: z.number().optional(),
  edit_date: z.number().optional(),
  text: str,
  caption: str,
  photo: z
    .array(
      z.looseObject({
        file_id: z.string().min(1),
        width: z.number().optional(),
        height: z.number().optional(),
      }),
    )
    .optional(),
  document: file.optional(),
  audio: file.optional(),
  voice: file.optional(),
  video: file.optional(),
  video_note: fileId.optional(),
  animation: file.optional(),
  sticker: z.looseObject({ file_id: z.string(), emoji: str }).optional(),
  location: coordinates.optional(),
  venue: z.looseObject({ location: coordinates, title: z.string(), address: z.string() }).optional(),
  contact: z.looseObject({ phone_number: z.string(), first_name: str, last_name: str }).optional(),
  reply_markup: z
    .looseObject({
      inline_keyboard: z.array(z.array(z.looseObject({ text: z.string(), callback_data: str }))).optional(),
    })
    .optional(),
});

/** One Update. Only the kinds Switchboard handles are checked in depth; the rest are ignored by kind. */
export const updateSchema = z.looseObject({
  update_id: z.number().int(),
  message: message.optional(),
  edited_message: message.optional(),
  callback_query: z
    .looseObject({
      id: z.string().min(1).max(256),
      from: user,
      message: message.optional(),
      data: str,
    })
    .optional(),
});
