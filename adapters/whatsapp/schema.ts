/**
 * The shape of the WhatsApp Cloud API webhook fields Switchboard reads, checked before
 * parsing. Unknown fields pass; a field we read with the wrong type (`contacts: {}`, an id
 * that is an object) does not.
 *
 * @module
 */
import { z } from 'zod';

const text = z.string().nullish();
const id = z.string().min(1).max(512);
const media = z.looseObject({ id: id.nullish(), mime_type: text, caption: text, filename: text }).nullish();
const reply = z.looseObject({ id: id.nullish(), title: text }).nullish();

const message = z.looseObject({
  from: id.nullish(),
  id: id.nullish(),
  timestamp: z.union([z.string(), z.number()]).nullish(),
  type: text,
  text: z.looseObject({ body: text }).nullish(),
  image: media,
  document: media,
  audio: media,
  video: media,
  sticker: media,
  location: z
    .looseObject({
      latitude: z.number().nullish(),
      longitude: z.number().nullish(),
      name: text,
      address: text,
    })
    .nullish(),
  contacts: z
    .array(
      z.looseObject({
        name: z.looseObject({ formatted_name: text }).nullish(),
        phones: z.array(z.looseObject({ phone: text })).nullish(),
      }),
    )
    .nullish(),
  interactive: z.looseObject({ type: text, button_reply: reply, list_reply: reply }).nullish(),
  button: z.looseObject({ payload: text, text }).nullish(),
});

const status = z.looseObject({
  id: id.nullish(),
  status: text,
  recipient_id: text,
  errors: z
    .array(
      z.looseObject({
        code: z.number().nullish(),
        title: text,
        message: text,
        error_data: z.looseObject({ details: text }).nullish(),
      }),
    )
    .nullish(),
});

export const whatsappWebhookSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.looseObject({
      changes: z
        .array(
          z.looseObject({
            field: text,
            value: z
              .looseObject({
                metadata: z.looseObject({ phone_number_id: text }).nullish(),
                contacts: z
                  .array(z.looseObject({ wa_id: text, profile: z.looseObject({ name: text }).nullish() }))
                  .nullish(),
                messages: z.array(message).nullish(),
                statuses: z.array(status).nullish(),
              })
              .nullish(),
          }),
        )
        .nullish(),
    }),
  ),
});
