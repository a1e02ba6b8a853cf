/**
 * The shape of the Slack request fields Switchboard (customer side and desk) reads,
 * checked after the signature and before anything else. Unknown fields pass; a field we
 * read with the wrong type (`event: null`, `channel: 123`, an action that is a string)
 * does not. Other event types keep their own shapes (`channel_created` has an object
 * `channel`): only the kinds we read are checked in depth.
 *
 * @module
 */
import { z } from 'zod';

const text = z.string().nullish();
const slackId = z.string().max(255);
/**
 * A workspace or organisation id (`T…`, `E…`): Slack's ids are upper-case letters and digits.
 * Bolt keys its client pools by these in a plain object, so anything else (`__proto__`,
 * `constructor`) would reach it as a property name: refused here, before bolt reads it.
 */
const workspaceId = z
  .string()
  .regex(/^[A-Z][A-Z0-9]{1,63}$/, 'not a Slack workspace id')
  .nullish();

const file = z.looseObject({
  id: text,
  name: text,
  title: text,
  mimetype: text,
  url_private: text,
  permalink: text,
});

/** `message` and `app_mention`: what both sides read. */
const messageEvent = z.looseObject({
  type: z.string(),
  subtype: text,
  // bolt reads `user` and `channel` as a string or an object: present, never null.
  channel: slackId.optional(),
  channel_type: text,
  user: slackId.optional(),
  user_team: text,
  team: text,
  text,
  ts: text,
  thread_ts: text,
  bot_id: text,
  files: z.array(file).nullish(),
});

/** Any other event: what bolt itself reads of it to find the user (a string or an object, never null). */
const anyEvent = z.looseObject({
  type: z.string(),
  user: z.union([z.string(), z.looseObject({ id: text })]).optional(),
  channel: z.union([z.string(), z.looseObject({})]).optional(),
  subteam: z.looseObject({}).optional(),
});

/** What bolt itself reads on every envelope (to find the installation) before our listeners run. */
const boltEnvelope = {
  is_enterprise_install: z.union([z.boolean(), z.string()]).nullish(),
  enterprise_id: workspaceId,
  enterprise: z.looseObject({ id: workspaceId }).nullish(),
  authorizations: z
    .array(
      z.looseObject({
        is_enterprise_install: z.boolean().nullish(),
        enterprise_id: workspaceId,
        team_id: workspaceId,
        user_id: text,
        is_bot: z.boolean().nullish(),
      }),
    )
    .nullish(),
};

const eventCallback = z.looseObject({
  ...boltEnvelope,
  type: z.literal('event_callback'),
  event_id: text,
  team_id: workspaceId,
  event: z
    .looseObject({ type: z.string() })
    .pipe(
      z.union([
        messageEvent.refine((e) => e.type === 'message' || e.type === 'app_mention'),
        anyEvent.refine((e) => e.type !== 'message' && e.type !== 'app_mention'),
      ]),
    ),
});

/** The Events API body: a callback, the URL handshake, or another envelope type (app_rate_limited…). */
export const eventsSchema = z.union([
  eventCallback,
  z.looseObject({ type: z.literal('url_verification'), challenge: z.string().max(1000) }),
  z.looseObject({
    type: z.string().refine((t) => t !== 'event_callback' && t !== 'url_verification'),
    // bolt dispatches any body's `event`: only a checked event_callback may carry one.
    event: z.undefined(),
  }),
]);

const action = z.looseObject({
  // bolt matches listeners on it before ours run (`action_id.match`).
  action_id: z.string().max(255),
  block_id: text,
  value: text,
  action_ts: text,
  type: text,
  text: z.looseObject({ text: text }).nullish(),
  selected_option: z.looseObject({ value: text }).nullish(),
});

/**
 * The decoded `payload` of an interactivity request (block_actions, view_submission, shortcut…).
 * bolt tells "absent" by `!== undefined` for `channel`, `view` and `actions`: those are an object
 * (an array) or absent, never null, and a view action carries its view.
 */
export const interactivitySchema = z
  .looseObject({
    ...boltEnvelope,
    type: z.string(),
    trigger_id: text,
    response_url: text,
    // Every interactivity payload names its user; bolt reads user.id before our listeners run.
    user: z.looseObject({ id: slackId, team_id: workspaceId, name: text, username: text }),
    team: z.looseObject({ id: workspaceId, enterprise_id: workspaceId }).nullish(),
    channel: z.looseObject({ id: text }).optional(),
    container: z.looseObject({ channel_id: text, message_ts: text, thread_ts: text }).nullish(),
    message: z
      .looseObject({
        ts: text,
        thread_ts: text,
        text,
        blocks: z.array(z.looseObject({ block_id: text })).nullish(),
      })
      .nullish(),
    actions: z.array(action).optional(),
    view: z
      .looseObject({
        type: text,
        id: text,
        callback_id: text,
        private_metadata: text,
        app_installed_team_id: workspaceId,
      })
      .optional(),
  })
  .refine((p) => !(p.type === 'view_submission' || p.type === 'view_closed') || p.view !== undefined, {
    message: 'view: missing on a view action',
    path: ['view'],
  });

/** A slash command's form: every field a single string (a repeated field parses as an array). */
export const commandSchema = z.looseObject({
  ...boltEnvelope,
  command: z.string(),
  // Slack always sends it, empty when nothing was typed; the desk's parsers rely on that.
  text: z.string().default(''),
  user_id: slackId,
  user_name: z.string().optional(),
  team_id: workspaceId,
  channel_id: slackId,
  trigger_id: z.string().optional(),
  response_url: z.string().optional(),
});
